/*
 * Win64 ABI check, run under Wine by run-wine.sh (test/profitdll/relay-win.test.ts): the relay DLL and the
 * stand-in DLL, both built by mingw-w64, driven through the Microsoft x64 calling convention the real
 * ProfitDLL uses. On Win64 a record passed by value (TConnectorAssetIdentifier to the depth and trade
 * callbacks, the packed 20-byte TAssetIDRec to the progress callback, TConnectorOrderIdentifier to the order
 * callback) travels as a hidden pointer, not on the stack as on Linux; strings are UTF-16 wchar_t; callbacks
 * come from the DLL's own thread; output fields (MessageID) come back through the pointer.
 *
 * Plays Node's part: a notify function the relay's notifier thread calls, and a drain loop. Prints one
 * "ok" line with what it checked, or "FAIL: <what>" and exits 1.
 *
 * The same source builds on Linux (run-tsan.sh) against TSan/ASan builds of the relay and the stand-in,
 * so the relay's threads (ring, notifier, request hand-off) are checked by the sanitizers too.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uchar.h>

#include "../relay.h"

#ifdef _WIN32
#include <windows.h>
typedef HMODULE lib_t;
static lib_t lib_open(const char *path) {
  wchar_t w[MAX_PATH];
  MultiByteToWideChar(CP_UTF8, 0, path, -1, w, MAX_PATH);
  return LoadLibraryW(w);
}
#define lib_sym(m, name) ((void *)GetProcAddress(m, name))
static HANDLE g_wake;
static void wake_init(void) { g_wake = CreateEventW(NULL, FALSE, FALSE, NULL); }
static void wake_signal(void) { SetEvent(g_wake); }
static void wake_wait(int ms) { WaitForSingleObject(g_wake, (DWORD)ms); }
static long thread_id(void) { return (long)GetCurrentThreadId(); }
static long now_ms(void) { return (long)GetTickCount(); }
#else
#include <dlfcn.h>
#include <pthread.h>
typedef void *lib_t;
static lib_t lib_open(const char *path) { return dlopen(path, RTLD_NOW | RTLD_LOCAL); }
#define lib_sym(m, name) dlsym(m, name)
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_signalled;
static void wake_init(void) {}
static void wake_signal(void) {
  pthread_mutex_lock(&g_mu);
  g_signalled = 1;
  pthread_cond_signal(&g_cv);
  pthread_mutex_unlock(&g_mu);
}
static void wake_wait(int ms) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += (long)ms * 1000000L;
  ts.tv_sec += ts.tv_nsec / 1000000000L;
  ts.tv_nsec %= 1000000000L;
  pthread_mutex_lock(&g_mu);
  if (!g_signalled) pthread_cond_timedwait(&g_cv, &g_mu, &ts);
  g_signalled = 0;
  pthread_mutex_unlock(&g_mu);
}
static long thread_id(void) { return (long)pthread_self(); }
static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}
#endif
#include <stdatomic.h>

/* UTF-16 helpers: wchar_t is 32-bit on Linux, so everything here is char16_t (u"" literals). */
static int w16cmp(const wchar16 *a, const wchar16 *b) {
  size_t i = 0;
  for (; a[i] && a[i] == b[i]; i++) {
  }
  return a[i] != b[i];
}
static int w16prefix(const wchar16 *a, const wchar16 *p) {
  for (size_t i = 0; p[i]; i++)
    if (a[i] != p[i]) return 0;
  return 1;
}
static void w16_from(wchar16 *out, const char *s) {
  size_t i = 0;
  for (; s[i]; i++) out[i] = (unsigned char)s[i];
  out[i] = 0;
}
#define W(s) ((const wchar16 *)u##s)

#define CHECK(cond, ...)          \
  do {                            \
    if (!(cond)) {                \
      printf("FAIL: " __VA_ARGS__); \
      printf("\n");               \
      fflush(stdout);             \
      exit(1);                    \
    }                             \
  } while (0)

typedef int32_t (*OpenFn)(const wchar16 *, RelayNotifyFn, int32_t, int32_t);
typedef int32_t (*LoginFn)(const wchar16 *, const wchar16 *, const wchar16 *, int32_t *);
typedef int32_t (*DrainFn)(RelayRecord *, int32_t);
typedef int32_t (*StatusFn)(RelayStatus *);
typedef int32_t (*FinalizeFn)(int32_t);
typedef int32_t (*TwoStrFn)(const wchar16 *, const wchar16 *);
typedef int32_t (*AssetFn)(const TConnectorAssetIdentifier *);
typedef int32_t (*HistoryFn)(const wchar16 *, const wchar16 *, const wchar16 *, const wchar16 *);
typedef int64_t (*SendFn)(TConnectorSendOrder *);
typedef int32_t (*DetailsFn)(TConnectorTradingAccountOut *);
typedef int32_t (*PositionFn)(TConnectorTradingAccountPosition *);
typedef int32_t (*EnumFn)(const TConnectorAccountIdentifier *, uint8_t, RelayOrder *, int32_t);
typedef int32_t (*EmitFn)(const wchar16 *, const wchar16 *, int32_t, int32_t);

static atomic_long g_notifies, g_notifyOnMain;
static long g_mainThread;

static void notify(void) {
  g_notifies++;
  if (thread_id() == g_mainThread) g_notifyOnMain++;
  wake_signal();
}

static void *need(lib_t m, const char *name) {
  void *p = lib_sym(m, name);
  CHECK(p, "missing export %s", name);
  return p;
}

static RelayRecord g_batch[512];
static DrainFn Drain;

/* Counters of what the drain saw. */
static int g_states[4][8], g_books, g_trades, g_tradesInOrder = 1, g_progress100, g_orderNew, g_orderFilled;
static int g_messages, g_messageIdSeen;
static int64_t g_expectMessageId = -1, g_orderId = -1;
static int g_badTicker, g_badTime;

static void handle(const RelayRecord *r) {
  switch (r->kind) {
    case RK_STATE:
      if (r->i[0] >= 0 && r->i[0] < 4 && r->i[1] >= 0 && r->i[1] < 8) g_states[r->i[0]][r->i[1]]++;
      break;
    case RK_BOOK:
      if (w16cmp(r->ticker, u"VALE3")) g_badTicker++;
      else if (r->i[1] && r->d[0] > 60 && r->d[0] < 62) g_books++;
      break;
    case RK_TRADE:
      if (w16cmp(r->ticker, u"VALE3")) g_badTicker++;
      if (r->code == NL_OK && r->d[0] > 60) {
        g_trades++;
        if (r->q[0] != g_trades) g_tradesInOrder = 0;
        if (r->time.wYear < 2024 || r->time.wMonth < 1 || r->time.wMonth > 12) g_badTime++;
      }
      break;
    case RK_PROGRESS:
      if (!w16cmp(r->ticker, u"PETR4") && r->i[0] == 100) g_progress100++;
      break;
    case RK_ORDER:
      if (r->q[0] == g_orderId && r->code == NL_OK) {
        if (r->i[0] == cosNew) g_orderNew++;
        if (r->i[0] == cosFilled && r->q[2] == 100) g_orderFilled++;
        if (w16cmp(r->ticker, u"PETR4")) g_badTicker++;
      }
      break;
    case RK_MESSAGE_RESULT:
      g_messages++;
      if (r->q[1] == g_expectMessageId && r->q[0] == g_orderId && r->i[1] == mrcAccepted) g_messageIdSeen++;
      break;
  }
}

/* Drains until `done()` holds or timeoutMs passes. */
static int pump(int (*done)(void), long timeoutMs) {
  long t0 = now_ms();
  for (;;) {
    int32_t n;
    while ((n = Drain(g_batch, 512)) > 0)
      for (int32_t k = 0; k < n; k++) handle(&g_batch[k]);
    if (done()) return 1;
    if (now_ms() - t0 > timeoutMs) return 0;
    wake_wait(50);
  }
}

static int connected(void) { return g_states[1][5] > 0 && g_states[2][4] > 0 && g_states[0][0] > 0 && g_states[3][0] > 0; }
static int booked(void) { return g_books > 0; }
static int traded(void) { return g_trades >= 10000; }
static int historyDone(void) { return g_progress100 > 0; }
static int orderDone(void) { return g_orderFilled > 0 && g_messageIdSeen > 0; }

int main(int argc, char **argv) {
  CHECK(argc == 3, "usage: harness RELAY.dll STANDIN.dll");
  g_mainThread = thread_id();
  wake_init();
  static wchar16 standinPath[4096];
  w16_from(standinPath, argv[2]);
  putenv("PROFITDLL_STANDIN_STEP_MS=2");
  putenv("PROFITDLL_STANDIN_MARKET_MS=0");

  lib_t relay = lib_open(argv[1]);
  CHECK(relay, "cannot load the relay %s", argv[1]);
  OpenFn Open = (OpenFn)need(relay, "RelayOpen");
  LoginFn Login = (LoginFn)need(relay, "RelayLogin");
  Drain = (DrainFn)need(relay, "RelayDrain");
  StatusFn Status = (StatusFn)need(relay, "RelayGetStatus");
  FinalizeFn Finalize = (FinalizeFn)need(relay, "RelayFinalize");
  TwoStrFn SubscribeTicker = (TwoStrFn)need(relay, "RelaySubscribeTicker");
  AssetFn SubscribeDepth = (AssetFn)need(relay, "RelaySubscribePriceDepth");
  HistoryFn History = (HistoryFn)need(relay, "RelayGetHistoryTrades");
  SendFn Send = (SendFn)need(relay, "RelaySendOrder");
  DetailsFn Details = (DetailsFn)need(relay, "RelayGetAccountDetails");
  PositionFn Position = (PositionFn)need(relay, "RelayGetPositionV2");
  EnumFn Enumerate = (EnumFn)need(relay, "RelayEnumerateAllOrders");

  CHECK(Open(standinPath, notify, 32768, 5000) == NL_OK, "RelayOpen");
  lib_t standin = lib_open(argv[2]); /* the module the relay loaded: the same instance */
  CHECK(standin, "cannot load the stand-in %s", argv[2]);
  EmitFn Emit = (EmitFn)need(standin, "StandinEmitTrades");

  int32_t setCallbacks = -1;
  CHECK(Login(W("KEY"), W("multi@example.com"), W("segredo"), &setCallbacks) == NL_OK,
        "RelayLogin");
  CHECK(setCallbacks == NL_OK, "Set*Callback refused: %d", setCallbacks);
  CHECK(pump(connected, 10000), "no (0,0) (3,0) (1,5) (2,4) state sequence");

  /* UTF-16 out strings through the two-call pattern, by pointer, with accents. */
  TConnectorTradingAccountOut acct = {0};
  acct.Version = 1;
  acct.AccountID = (TConnectorAccountIdentifier){0, 32006, W("1234567"), NULL, 0};
  CHECK(Details(&acct) == NL_OK, "GetAccountDetails #1");
  wchar16 owner[128] = {0}, brokerName[128] = {0};
  CHECK(acct.OwnerNameLength > 0 && acct.OwnerNameLength < 127, "owner length %d", acct.OwnerNameLength);
  acct.OwnerName = owner;
  acct.BrokerName = brokerName;
  acct.BrokerNameLength = 127;
  CHECK(Details(&acct) == NL_OK, "GetAccountDetails #2");
  CHECK(!w16cmp(owner, u"Jo\u00e3o da Concei\u00e7\u00e3o \u00c1vila"), "owner name decoded wrong");
  CHECK(!w16cmp(brokerName, u"Simulador Nelogica"), "broker name decoded wrong");

  /* Depth callback: TConnectorAssetIdentifier by value (hidden pointer), GetPriceGroup on the DLL's thread. */
  TConnectorAssetIdentifier vale = {0, W("VALE3"), W("B"), 0};
  CHECK(SubscribeTicker(W("VALE3"), W("B")) == NL_OK, "SubscribeTicker");
  CHECK(SubscribeDepth(&vale) == NL_OK, "SubscribePriceDepth");
  CHECK(pump(booked, 5000), "no top of book for VALE3");

  /* Trade callback from the DLL's thread: 10,000 in order, TranslateTrade inside it. */
  CHECK(Emit(W("VALE3"), W("B"), 10000, 0) == NL_OK, "StandinEmitTrades");
  CHECK(pump(traded, 20000), "trades: %d of 10000", g_trades);
  CHECK(g_tradesInOrder && !g_badTime && !g_badTicker, "trades out of order, bad times or tickers");

  /* Progress callback: the packed 20-byte TAssetIDRec by value. */
  time_t now = time(NULL) - 3 * 3600 - 7200;
  char a[32], b[32];
  strftime(a, sizeof a, "%d/%m/%Y %H:%M:%S", gmtime(&now));
  now += 600;
  strftime(b, sizeof b, "%d/%m/%Y %H:%M:%S", gmtime(&now));
  wchar16 from[32], to[32];
  w16_from(from, a);
  w16_from(to, b);
  CHECK(History(W("PETR4"), W("B"), from, to) == NL_OK,
        "GetHistoryTrades");
  CHECK(pump(historyDone, 10000), "no progress 100 for PETR4");

  /* SendOrder: a record by pointer, MessageID written back; order and message-result callbacks. */
  TConnectorSendOrder o = {2, {0, 32006, W("1234567"), W(""), 0},
                           {0, W("PETR4"), W("B"), 0}, W("segredo"),
                           cotLimit, cosBuy, 36.60, -1, 100, -1};
  g_orderId = Send(&o);
  CHECK(g_orderId > 0, "SendOrder returned %lld", (long long)g_orderId);
  g_expectMessageId = o.MessageID;
  CHECK(o.MessageID > 0, "MessageID not written back: %lld", (long long)o.MessageID);
  CHECK(pump(orderDone, 10000), "order %lld: new=%d filled=%d message=%d", (long long)g_orderId, g_orderNew, g_orderFilled,
        g_messageIdSeen);

  RelayOrder orders[64];
  int32_t n = Enumerate(&o.AccountID, 1, orders, 64);
  CHECK(n >= 1 && w16prefix(orders[0].clOrdId, u"SIM-"), "EnumerateAllOrders: %d", n);

  TConnectorTradingAccountPosition p = {0};
  p.Version = 2;
  p.AccountID = o.AccountID;
  p.AssetID = o.AssetID;
  p.PositionType = cptConsolidated;
  CHECK(Position(&p) == NL_OK && p.OpenQuantity == 100, "GetPositionV2: %lld", (long long)p.OpenQuantity);

  RelayStatus st;
  Status(&st);
  CHECK(st.lost == 0, "lost %lld", (long long)st.lost);
  CHECK(g_notifyOnMain == 0 && g_notifies > 0, "notify ran on the main thread or never");
  CHECK(Finalize(5000) == NL_OK, "RelayFinalize");

  printf("wine-harness ok: states, accounts (UTF-16), book, trades=%d in order, history progress, order %lld filled, "
         "MessageID %lld, enumerated=%d, position=%lld, notifies=%ld, record=%u, status=%u\n",
         g_trades, (long long)g_orderId, (long long)g_expectMessageId, n, (long long)p.OpenQuantity, (long)atomic_load(&g_notifies),
         (unsigned)sizeof(RelayRecord), (unsigned)sizeof(RelayStatus));
  return 0;
}
