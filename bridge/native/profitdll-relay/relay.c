/*
 * BlackBox callback relay for ProfitDLL (see relay.h for why). Builds as blackbox-relay.dll with mingw-w64
 * for Windows and as librelay.so on Linux, where the tests run it against the C stand-in.
 *
 * Threads:
 *   - the DLL's ConnectorThread runs the relay's callbacks: accessor calls, one copy into the ring, return;
 *   - the request thread (the relay's) runs DLLInitializeLogin, every request function and DLLFinalize;
 *   - the notifier thread (the relay's) calls Node's notify function when records wait and Node has not been
 *     told yet. koffi blocks that thread until JavaScript has run, which costs nothing: it is ours.
 * Node's main thread only posts requests (and waits, bounded) and drains the ring.
 */
#define _GNU_SOURCE
#include "relay.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
typedef SRWLOCK mutex_t;
typedef CONDITION_VARIABLE cond_t;
#define MUTEX_INIT SRWLOCK_INIT
#define COND_INIT CONDITION_VARIABLE_INIT
#define THREAD_FN DWORD WINAPI
#define THREAD_RETURN return 0
static void lock(mutex_t *m) { AcquireSRWLockExclusive(m); }
static void unlock(mutex_t *m) { ReleaseSRWLockExclusive(m); }
static void wake_all(cond_t *c) { WakeAllConditionVariable(c); }
static void wait(cond_t *c, mutex_t *m) { SleepConditionVariableSRW(c, m, INFINITE, 0); }
static int64_t mono_us(void) {
  static LARGE_INTEGER freq;
  LARGE_INTEGER now;
  if (!freq.QuadPart) QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&now);
  return (int64_t)(now.QuadPart / freq.QuadPart * 1000000 + now.QuadPart % freq.QuadPart * 1000000 / freq.QuadPart);
}
/* Waits until `deadlineUs` (mono_us clock); returns 0 once it passed. */
static int wait_until(cond_t *c, mutex_t *m, int64_t deadlineUs) {
  int64_t left = deadlineUs - mono_us();
  if (left <= 0) return 0;
  SleepConditionVariableSRW(c, m, (DWORD)((left + 999) / 1000), 0);
  return 1;
}
/* Each thread clears its own running flag on its way out, which is what the relay waits for; it is then
 * joined, so none is still ending when the host unloads the DLL or exits (a thread ending while the process
 * detached its DLLs has crashed Wine). */
typedef HANDLE thread_t;
static int start_thread(thread_t *t, LPTHREAD_START_ROUTINE fn) {
  *t = CreateThread(NULL, 0, fn, NULL, 0, NULL);
  return *t != NULL;
}
/* `ended`: the thread cleared its flag and only has to return, so it is waited for (until `deadlineUs`);
 * otherwise it is let go. */
static void reap_thread(thread_t *t, int ended, int64_t deadlineUs) {
  if (!*t) return;
  if (ended) {
    int64_t left = deadlineUs - mono_us();
    WaitForSingleObject(*t, left > 0 ? (DWORD)((left + 999) / 1000) : 0);
  }
  CloseHandle(*t);
  *t = NULL;
}
typedef HMODULE lib_t;
#else
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>
typedef pthread_mutex_t mutex_t;
typedef pthread_cond_t cond_t;
#define MUTEX_INIT PTHREAD_MUTEX_INITIALIZER
#define COND_INIT PTHREAD_COND_INITIALIZER
#define THREAD_FN void *
#define THREAD_RETURN return NULL
static void lock(mutex_t *m) { pthread_mutex_lock(m); }
static void unlock(mutex_t *m) { pthread_mutex_unlock(m); }
static void wake_all(cond_t *c) { pthread_cond_broadcast(c); }
static void wait(cond_t *c, mutex_t *m) { pthread_cond_wait(c, m); }
static int64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
/* The condition variables use CLOCK_REALTIME; the deadline is converted at each wait. */
static int wait_until(cond_t *c, mutex_t *m, int64_t deadlineUs) {
  int64_t left = deadlineUs - mono_us();
  if (left <= 0) return 0;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t ns = ts.tv_nsec + (left % 1000000) * 1000;
  ts.tv_sec += (time_t)(left / 1000000 + ns / 1000000000);
  ts.tv_nsec = (long)(ns % 1000000000);
  pthread_cond_timedwait(c, m, &ts);
  return 1;
}
/* As on Windows: waited for by flag, then joined (or let go when it never cleared its flag). */
typedef struct {
  pthread_t id;
  int live;
} thread_t;
static int start_thread(thread_t *t, void *(*fn)(void *)) {
  t->live = pthread_create(&t->id, NULL, fn, NULL) == 0;
  return t->live;
}
static void reap_thread(thread_t *t, int ended, int64_t deadlineUs) {
  (void)deadlineUs; /* a thread past its flag returns at once */
  if (!t->live) return;
  if (ended) pthread_join(t->id, NULL);
  else pthread_detach(t->id);
  t->live = 0;
}
typedef void *lib_t;
#endif

#define RELAY_EXPORT DLLEXPORT

/* ------------------------------------------------------------------------------------------------ */
/* The DLL's exports                                                                                */

typedef void(PFX *VoidFn)(void);
static struct {
  int32_t(PFX *DLLInitializeLogin)(const wchar16 *, const wchar16 *, const wchar16 *, TStateCallback, void *, void *,
                                   TAccountCallback, void *, void *, void *, void *, void *, TProgressCallback, void *);
  int32_t(PFX *DLLFinalize)(void);
  int32_t(PFX *SetOrderCallback)(TConnectorOrderCallback);
  int32_t(PFX *SetOrderHistoryCallback)(TConnectorAccountCallback);
  int32_t(PFX *SetTradeCallbackV2)(TConnectorTradeCallback);
  int32_t(PFX *SetHistoryTradeCallbackV2)(TConnectorTradeCallback);
  int32_t(PFX *SetPriceDepthCallback)(TConnectorPriceDepthCallback);
  int32_t(PFX *SetAssetListInfoCallbackV2)(TAssetListInfoCallbackV2);
  int32_t(PFX *SetTradingMessageResultCallback)(TConnectorTradingMessageResultCallback); /* optional: < 4.0.0.34 */
  int32_t(PFX *SubscribeTicker)(const wchar16 *, const wchar16 *);
  int32_t(PFX *UnsubscribeTicker)(const wchar16 *, const wchar16 *);
  int32_t(PFX *SubscribePriceDepth)(const TConnectorAssetIdentifier *);
  int32_t(PFX *UnsubscribePriceDepth)(const TConnectorAssetIdentifier *);
  int32_t(PFX *GetPriceGroup)(const TConnectorAssetIdentifier *, uint8_t, int32_t, TConnectorPriceGroup *);
  int32_t(PFX *TranslateTrade)(void *, TConnectorTrade *);
  int32_t(PFX *RequestTickerInfo)(const wchar16 *, const wchar16 *);
  int32_t(PFX *GetHistoryTrades)(const wchar16 *, const wchar16 *, const wchar16 *, const wchar16 *);
  int64_t(PFX *SendOrder)(TConnectorSendOrder *);
  int32_t(PFX *SendChangeOrderV2)(TConnectorChangeOrder *);
  int32_t(PFX *SendCancelOrderV2)(TConnectorCancelOrder *);
  int32_t(PFX *SendCancelAllOrdersV2)(TConnectorCancelAllOrders *);
  int64_t(PFX *SendZeroPositionV2)(TConnectorZeroPosition *);
  int32_t(PFX *GetOrderDetails)(TConnectorOrderOut *);
  int32_t(PFX *EnumerateAllOrders)(const TConnectorAccountIdentifier *, uint8_t, intptr_t, TConnectorEnumerateOrdersProc);
  int32_t(PFX *GetAccountCount)(void);
  int32_t(PFX *GetAccounts)(int32_t, int32_t, int32_t, TConnectorAccountIdentifierOut *);
  int32_t(PFX *GetAccountDetails)(TConnectorTradingAccountOut *);
  int32_t(PFX *GetPositionV2)(TConnectorTradingAccountPosition *);
} D;

static const struct {
  const char *name;
  size_t offset;
  int optional;
} EXPORTS[] = {
#define X(n) {#n, offsetof(__typeof__(D), n), 0}
    X(DLLInitializeLogin), X(DLLFinalize), X(SetOrderCallback), X(SetOrderHistoryCallback), X(SetTradeCallbackV2),
    X(SetHistoryTradeCallbackV2), X(SetPriceDepthCallback), X(SetAssetListInfoCallbackV2),
    {"SetTradingMessageResultCallback", offsetof(__typeof__(D), SetTradingMessageResultCallback), 1},
    X(SubscribeTicker), X(UnsubscribeTicker), X(SubscribePriceDepth), X(UnsubscribePriceDepth), X(GetPriceGroup),
    X(TranslateTrade), X(RequestTickerInfo), X(GetHistoryTrades), X(SendOrder), X(SendChangeOrderV2),
    X(SendCancelOrderV2), X(SendCancelAllOrdersV2), X(SendZeroPositionV2), X(GetOrderDetails), X(EnumerateAllOrders),
    X(GetAccountCount), X(GetAccounts), X(GetAccountDetails), X(GetPositionV2),
#undef X
};

/* ------------------------------------------------------------------------------------------------ */
/* State                                                                                            */

typedef struct Job Job;

static struct {
  /* ring and notifier, under mu */
  mutex_t mu;
  cond_t cv;
  RelayRecord *ring;
  int32_t cap, head, count, highWater;
  int notified, stopNotifier;
  int64_t pushed, drained, lost, lostOrders, lostTrades, lostOther, truncated;
  int64_t lostSinceDrain;
  int32_t latestState[4];
  RelayNotifyFn notify;
  int notifierRunning;
  thread_t notifierThread, workerThread;
  /* A full ring makes the DLL's thread wait for space, once per episode, at most RING_FULL_WAIT_MS. */
  cond_t spaceCv;
  int degraded;

  /* request thread, under jmu */
  mutex_t jmu;
  cond_t jcv;
  Job *job;
  int stopWorker, workerRunning, hung;
  int32_t timeoutMs;

  /* what the threads are doing, read by RelayStatus without a lock */
  _Atomic int64_t requestStartUs, callbackStartUs, slowestCallbackUs;
  const char *_Atomic requestName;
  const char *_Atomic callbackName;

  int open;
  lib_t lib;
  char lastError[512];
} R = {.mu = MUTEX_INIT, .cv = COND_INIT, .spaceCv = COND_INIT, .jmu = MUTEX_INIT, .jcv = COND_INIT};

/* ------------------------------------------------------------------------------------------------ */
/* Strings                                                                                          */

static size_t w16len(const wchar16 *s) {
  size_t n = 0;
  if (s)
    while (s[n]) n++;
  return n;
}

/* Copies at most `n` units of `s` (and never past its NUL) into `out` of `cap` units; returns 1 if cut. */
static int w16_put(wchar16 *out, size_t cap, const wchar16 *s, size_t n) {
  size_t i = 0;
  if (s)
    for (; i < n && i + 1 < cap && s[i]; i++) out[i] = s[i];
  out[i] = 0;
  return s && i < n && i + 1 >= cap && s[i];
}

static void w16_from_ascii(wchar16 *out, size_t cap, const char *s) {
  size_t i = 0;
  for (; s[i] && i + 1 < cap; i++) out[i] = (unsigned char)s[i];
  out[i] = 0;
}

static void set_error(const char *fmt, const char *a, const char *b) {
  snprintf(R.lastError, sizeof R.lastError, fmt, a, b ? b : "");
}

/* ------------------------------------------------------------------------------------------------ */
/* The ring                                                                                         */

/* How long the DLL's thread may wait for Node to make room before records are dropped. It waits once per
 * episode: after a wait that did not help, records are dropped at once until Node has drained half the
 * ring, so a callback from Node's own thread (which cannot drain while it waits) stalls once, not forever. */
#define RING_FULL_WAIT_MS 200

static void push(const RelayRecord *r) {
  lock(&R.mu);
  if (!R.ring) {
    unlock(&R.mu);
    return;
  }
  if (r->kind == RK_STATE && r->i[0] >= 0 && r->i[0] < 4) R.latestState[r->i[0]] = r->i[1];
  if (R.count == R.cap && !R.degraded) {
    if (!R.notified) wake_all(&R.cv);
    int64_t deadline = mono_us() + RING_FULL_WAIT_MS * 1000;
    while (R.ring && R.count == R.cap && wait_until(&R.spaceCv, &R.mu, deadline)) {
    }
    if (!R.ring) {
      unlock(&R.mu);
      return;
    }
    if (R.count == R.cap) R.degraded = 1;
  }
  if (R.count == R.cap) {
    R.lost++;
    R.lostSinceDrain++;
    if (r->kind == RK_ORDER || r->kind == RK_MESSAGE_RESULT) R.lostOrders++;
    else if (r->kind == RK_TRADE || r->kind == RK_HISTORY_TRADE) R.lostTrades++;
    else R.lostOther++;
  } else {
    R.ring[(R.head + R.count) % R.cap] = *r;
    R.count++;
    R.pushed++;
    if (R.count > R.highWater) R.highWater = R.count;
  }
  /* Lost records wake Node too: it must learn of the loss. */
  if (!R.notified) wake_all(&R.cv);
  unlock(&R.mu);
}

static THREAD_FN notifier_main(void *unused) {
  (void)unused;
  lock(&R.mu);
  for (;;) {
    while (!R.stopNotifier && (R.notified || (R.count == 0 && R.lostSinceDrain == 0))) wait(&R.cv, &R.mu);
    if (R.stopNotifier) break;
    R.notified = 1;
    RelayNotifyFn fn = R.notify;
    unlock(&R.mu);
    if (fn) fn();
    lock(&R.mu);
  }
  R.notifierRunning = 0;
  wake_all(&R.cv);
  unlock(&R.mu);
  THREAD_RETURN;
}

/* ------------------------------------------------------------------------------------------------ */
/* Callbacks, on the DLL's thread                                                                   */

static void cb_begin(const char *name) {
  atomic_store(&R.callbackName, name);
  atomic_store(&R.callbackStartUs, mono_us());
}

static void cb_end(void) {
  int64_t us = mono_us() - atomic_load(&R.callbackStartUs);
  atomic_store(&R.callbackStartUs, 0);
  int64_t slowest = atomic_load(&R.slowestCallbackUs);
  while (us > slowest && !atomic_compare_exchange_weak(&R.slowestCallbackUs, &slowest, us)) {
  }
}

static void note_truncated(int cut) {
  if (!cut) return;
  lock(&R.mu);
  R.truncated++;
  unlock(&R.mu);
}

static void PFX on_state(int32_t type, int32_t result) {
  cb_begin("TStateCallback");
  RelayRecord r = {.kind = RK_STATE, .i = {type, result}};
  push(&r);
  cb_end();
}

static void PFX on_account(int32_t broker, const wchar16 *brokerName, const wchar16 *account, const wchar16 *holder) {
  (void)broker, (void)brokerName, (void)account, (void)holder;
  cb_begin("TAccountCallback");
  RelayRecord r = {.kind = RK_ACCOUNT};
  push(&r);
  cb_end();
}

static void PFX on_progress(TAssetIDRec asset, int32_t percent) {
  cb_begin("TProgressCallback");
  RelayRecord r = {.kind = RK_PROGRESS, .i = {percent}};
  w16_put(r.ticker, RELAY_TICKER_UNITS, asset.pwcTicker, RELAY_TICKER_UNITS);
  push(&r);
  cb_end();
}

/* The text of an order can be long (a broker's rejection); what exceeds this is cut and counted. */
#define ORDER_TEXT_CAP 1024

static int32_t clamp_len(int32_t reported, int32_t cap, int *cut) {
  if (reported < 0) {
    *cut = 1;
    return 0;
  }
  if (reported > cap) {
    *cut = 1;
    return cap;
  }
  return reported;
}

/* GetOrderDetails, two-call (§6.4): every buffer is allocated and pointed at before the second call, each
 * with its length capped, so the DLL never sees NULL with a non-zero length nor writes past a buffer. */
static void PFX on_order(TConnectorOrderIdentifier id) {
  cb_begin("SetOrderCallback");
  RelayRecord r;
  memset(&r, 0, sizeof r);
  r.kind = RK_ORDER;
  r.q[0] = id.LocalOrderID;
  w16_put(r.id, RELAY_ID_UNITS, id.ClOrderID, RELAY_ID_UNITS);
  TConnectorOrderOut o;
  memset(&o, 0, sizeof o);
  o.Version = 1;
  o.OrderID = id;
  atomic_store(&R.callbackName, "GetOrderDetails");
  int32_t rc = D.GetOrderDetails(&o);
  wchar16 ticker[RELAY_TICKER_UNITS + 1], exchange[9], text[ORDER_TEXT_CAP + 1];
  int cut = 0;
  if (rc == NL_OK) {
    o.AssetID.TickerLength = clamp_len(o.AssetID.TickerLength, RELAY_TICKER_UNITS, &cut);
    o.AssetID.ExchangeLength = clamp_len(o.AssetID.ExchangeLength, 8, &cut);
    o.TextMessageLength = clamp_len(o.TextMessageLength, ORDER_TEXT_CAP, &cut);
    int32_t textLen = o.TextMessageLength;
    ticker[0] = exchange[0] = text[0] = 0;
    o.AssetID.Ticker = ticker;
    o.AssetID.Exchange = exchange;
    o.TextMessage = text;
    rc = D.GetOrderDetails(&o);
    if (rc == NL_OK) {
      ticker[RELAY_TICKER_UNITS] = exchange[8] = text[ORDER_TEXT_CAP] = 0;
      r.q[1] = o.Quantity;
      r.q[2] = o.TradedQuantity;
      r.q[3] = o.LeavesQuantity;
      r.d[0] = o.Price;
      r.d[1] = o.AveragePrice;
      r.i[0] = o.OrderStatus;
      r.i[1] = o.OrderSide;
      r.i[2] = o.OrderType;
      r.time = o.LastUpdate;
      w16_put(r.ticker, RELAY_TICKER_UNITS, ticker, RELAY_TICKER_UNITS);
      cut |= w16_put(r.text, RELAY_TEXT_UNITS, text, (size_t)textLen);
      r.i[3] = cut;
    }
  }
  note_truncated(cut);
  r.code = rc;
  push(&r);
  cb_end();
}

static void PFX on_order_history(TConnectorAccountIdentifier account) {
  cb_begin("SetOrderHistoryCallback");
  RelayRecord r = {.kind = RK_HISTORY_LOADED};
  w16_put(r.id, RELAY_ID_UNITS, account.AccountID, RELAY_ID_UNITS);
  push(&r);
  cb_end();
}

static void trade_record(uint32_t kind, TConnectorAssetIdentifier *asset, void *handle, uint32_t flags) {
  RelayRecord r;
  memset(&r, 0, offsetof(RelayRecord, ticker));
  r.kind = kind;
  w16_put(r.ticker, RELAY_TICKER_UNITS, asset->Ticker, RELAY_TICKER_UNITS);
  r.id[0] = r.text[0] = 0;
  TConnectorTrade t;
  memset(&t, 0, sizeof t);
  atomic_store(&R.callbackName, "TranslateTrade");
  r.code = D.TranslateTrade(handle, &t);
  r.d[0] = t.Price;
  r.q[0] = t.Quantity;
  r.q[1] = t.TradeNumber;
  r.i[0] = t.TradeType;
  r.i[1] = (int32_t)flags;
  r.time = t.TradeDate;
  push(&r);
}

static void PFX on_trade(TConnectorAssetIdentifier asset, void *handle, uint32_t flags) {
  cb_begin("SetTradeCallbackV2");
  trade_record(RK_TRADE, &asset, handle, flags);
  cb_end();
}

static void PFX on_history_trade(TConnectorAssetIdentifier asset, void *handle, uint32_t flags) {
  cb_begin("SetHistoryTradeCallbackV2");
  trade_record(RK_HISTORY_TRADE, &asset, handle, flags);
  cb_end();
}

/* Tickers inside a utPrepare … utFlush burst; only the DLL's thread touches this. */
#define MAX_BURSTS 64
static wchar16 g_bursts[MAX_BURSTS][RELAY_TICKER_UNITS];

static int burst_find(const wchar16 *ticker) {
  for (int i = 0; i < MAX_BURSTS; i++)
    if (g_bursts[i][0] && !memcmp(g_bursts[i], ticker, RELAY_TICKER_UNITS * sizeof(wchar16))) return i;
  return -1;
}

static void read_top(const TConnectorAssetIdentifier *asset, uint8_t side, RelayRecord *r) {
  TConnectorPriceGroup g;
  memset(&g, 0, sizeof g);
  atomic_store(&R.callbackName, "GetPriceGroup");
  int32_t rc = D.GetPriceGroup(asset, side, 0, &g);
  /* A theoretical (auction) level has Price = -INF (§10.6): not a tradable top. An empty side is OUT_OF_RANGE. */
  int valid = rc == NL_OK && isfinite(g.Price) && g.Price > 0;
  int k = side == bsBuy ? 0 : 1;
  r->i[1 + k] = valid;
  r->d[k] = valid ? g.Price : 0;
  r->q[k] = valid ? g.Quantity : 0;
  if (rc != NL_OK && rc != NL_OUT_OF_RANGE && rc != NL_NOT_FOUND) r->code = rc;
}

static void PFX on_depth(TConnectorAssetIdentifier asset, uint8_t side, int32_t position, uint8_t updateType) {
  (void)position;
  cb_begin("SetPriceDepthCallback");
  RelayRecord r;
  memset(&r, 0, sizeof r);
  w16_put(r.ticker, RELAY_TICKER_UNITS, asset.Ticker, RELAY_TICKER_UNITS);
  int b = burst_find(r.ticker);
  if (updateType == utPrepare) {
    for (int i = 0; b < 0 && i < MAX_BURSTS; i++)
      if (!g_bursts[i][0]) b = i;
    if (b >= 0) memcpy(g_bursts[b], r.ticker, sizeof r.ticker);
  } else if (updateType == utFlush || b < 0) {
    if (b >= 0) g_bursts[b][0] = 0;
    int both = updateType == utFlush || side == bsBoth;
    r.kind = RK_BOOK;
    if (both || side == bsBuy) {
      read_top(&asset, bsBuy, &r);
      r.i[0] |= 1;
    }
    if (both || side == bsSell) {
      read_top(&asset, bsSell, &r);
      r.i[0] |= 2;
    }
    if (r.i[0]) push(&r);
  }
  cb_end();
}

static void PFX on_asset_info(TAssetIDRec asset, const wchar16 *name, const wchar16 *description, int64_t minQty,
                              int64_t maxQty, int64_t lot, int32_t secType, int32_t subType, double tick,
                              double multiplier, const wchar16 *validDate, const wchar16 *isin, const wchar16 *sector,
                              const wchar16 *subSector, const wchar16 *segment) {
  (void)name, (void)description, (void)secType, (void)subType, (void)validDate, (void)isin;
  (void)sector, (void)subSector, (void)segment;
  cb_begin("SetAssetListInfoCallbackV2");
  RelayRecord r = {.kind = RK_ASSET_INFO, .q = {minQty, maxQty, lot}, .d = {tick, multiplier}};
  w16_put(r.ticker, RELAY_TICKER_UNITS, asset.pwcTicker, RELAY_TICKER_UNITS);
  push(&r);
  cb_end();
}

static void PFX on_message_result(const TConnectorTradingMessageResult *m) {
  cb_begin("SetTradingMessageResultCallback");
  if (m) {
    RelayRecord r;
    memset(&r, 0, sizeof r);
    r.kind = RK_MESSAGE_RESULT;
    r.i[0] = m->BrokerID;
    r.i[1] = m->ResultCode;
    r.q[0] = m->OrderID.LocalOrderID;
    r.q[1] = m->MessageID;
    w16_put(r.id, RELAY_ID_UNITS, m->OrderID.ClOrderID, RELAY_ID_UNITS);
    int cut = 0;
    int32_t n = clamp_len(m->MessageLength, RELAY_TEXT_UNITS, &cut);
    /* A length the DLL did not mean is bounded by the NUL: never read past the string. */
    cut |= w16_put(r.text, RELAY_TEXT_UNITS, m->Message, (size_t)(n ? n : RELAY_TEXT_UNITS));
    note_truncated(cut);
    push(&r);
  }
  cb_end();
}

/* ------------------------------------------------------------------------------------------------ */
/* Requests, on the relay's request thread                                                          */

enum {
  F_LOGIN = 1,
  F_FINALIZE,
  F_SUB_TICKER,
  F_UNSUB_TICKER,
  F_TICKER_INFO,
  F_SUB_DEPTH,
  F_UNSUB_DEPTH,
  F_HISTORY,
  F_SEND_ORDER,
  F_CHANGE,
  F_CANCEL,
  F_CANCEL_ALL,
  F_ZERO,
  F_ACCOUNT_COUNT,
  F_ACCOUNTS,
  F_ACCOUNT_DETAILS,
  F_POSITION,
  F_ENUM_ORDERS,
};

#define MAX_JOB_BLOCKS 24
#define MAX_ENUMERATED 200000

/* A request and copies of everything it points to: when the caller stops waiting, the request keeps
 * its own memory until it returns, so a late DLL never reads the caller's reused stack. */
struct Job {
  int fn;
  const char *name;
  void *p[4];
  int64_t i[4];
  int64_t result;
  int done, abandoned;
  void *blocks[MAX_JOB_BLOCKS];
  int nblocks, oom;
  RelayOrder *orders;
  int32_t nOrders, capOrders;
};

static void *job_alloc(Job *j, size_t n) {
  if (j->nblocks == MAX_JOB_BLOCKS) {
    j->oom = 1;
    return NULL;
  }
  void *p = calloc(1, n ? n : 1);
  if (!p) j->oom = 1;
  else j->blocks[j->nblocks++] = p;
  return p;
}

static void *job_copy(Job *j, const void *src, size_t n) {
  void *p = job_alloc(j, n);
  if (p && src) memcpy(p, src, n);
  return p;
}

static wchar16 *job_str(Job *j, const wchar16 *s) {
  return s ? job_copy(j, s, (w16len(s) + 1) * sizeof(wchar16)) : NULL;
}

static void job_account(Job *j, TConnectorAccountIdentifier *a) {
  a->AccountID = job_str(j, a->AccountID);
  a->SubAccountID = job_str(j, a->SubAccountID);
}

static void job_asset(Job *j, TConnectorAssetIdentifier *a) {
  a->Ticker = job_str(j, a->Ticker);
  a->Exchange = job_str(j, a->Exchange);
}

static Job *job_new(int fn, const char *name) {
  Job *j = calloc(1, sizeof *j);
  if (j) {
    j->fn = fn;
    j->name = name;
  }
  return j;
}

static void job_free(Job *j) {
  for (int i = 0; i < j->nblocks; i++) free(j->blocks[i]);
  free(j->orders);
  free(j);
}

static int32_t PFX enumerate_proc(const TConnectorOrder *o, intptr_t param) {
  Job *j = (Job *)param;
  if (!o || j->nOrders >= MAX_ENUMERATED) return 0;
  if (j->nOrders == j->capOrders) {
    int32_t cap = j->capOrders ? j->capOrders * 2 : 256;
    RelayOrder *grown = realloc(j->orders, (size_t)cap * sizeof *grown);
    if (!grown) return 0;
    j->orders = grown;
    j->capOrders = cap;
  }
  RelayOrder *out = &j->orders[j->nOrders++];
  memset(out, 0, sizeof *out);
  out->localOrderId = o->OrderID.LocalOrderID;
  out->quantity = o->Quantity;
  out->tradedQuantity = o->TradedQuantity;
  out->leavesQuantity = o->LeavesQuantity;
  out->price = o->Price;
  out->stopPrice = o->StopPrice;
  out->averagePrice = o->AveragePrice;
  out->side = o->OrderSide;
  out->type = o->OrderType;
  out->status = o->OrderStatus;
  out->validity = o->ValidityType;
  out->lastUpdate = o->LastUpdate;
  w16_put(out->clOrdId, RELAY_ID_UNITS, o->OrderID.ClOrderID, RELAY_ID_UNITS);
  w16_put(out->accountId, RELAY_ID_UNITS, o->AccountID.AccountID, RELAY_ID_UNITS);
  w16_put(out->subAccountId, RELAY_ID_UNITS, o->AccountID.SubAccountID, RELAY_ID_UNITS);
  w16_put(out->ticker, RELAY_TICKER_UNITS, o->AssetID.Ticker, RELAY_TICKER_UNITS);
  w16_put(out->text, RELAY_TEXT_UNITS, o->TextMessage, RELAY_TEXT_UNITS);
  return 1;
}

static int32_t register_callbacks(void) {
  int32_t rc = NL_OK, r;
#define SET(fn, cb)                     \
  r = D.fn(cb);                          \
  if (r != NL_OK && rc == NL_OK) rc = r;
  SET(SetOrderCallback, on_order)
  SET(SetOrderHistoryCallback, on_order_history)
  SET(SetTradeCallbackV2, on_trade)
  SET(SetHistoryTradeCallbackV2, on_history_trade)
  SET(SetPriceDepthCallback, on_depth)
  SET(SetAssetListInfoCallbackV2, on_asset_info)
  if (D.SetTradingMessageResultCallback) {
    SET(SetTradingMessageResultCallback, on_message_result)
  }
#undef SET
  return rc;
}

static int64_t run(Job *j) {
  void **p = j->p;
  switch (j->fn) {
    case F_LOGIN: {
      int32_t rc = D.DLLInitializeLogin(p[0], p[1], p[2], on_state, NULL, NULL, on_account, NULL, NULL, NULL, NULL, NULL,
                                        on_progress, NULL);
      /* Registered right after init, before the connection is up (§3.2), from the same thread. */
      if (rc == NL_OK) j->i[0] = register_callbacks();
      return rc;
    }
    case F_FINALIZE:
      return D.DLLFinalize();
    case F_SUB_TICKER:
      return D.SubscribeTicker(p[0], p[1]);
    case F_UNSUB_TICKER:
      return D.UnsubscribeTicker(p[0], p[1]);
    case F_TICKER_INFO:
      return D.RequestTickerInfo(p[0], p[1]);
    case F_SUB_DEPTH:
      return D.SubscribePriceDepth(p[0]);
    case F_UNSUB_DEPTH:
      return D.UnsubscribePriceDepth(p[0]);
    case F_HISTORY:
      return D.GetHistoryTrades(p[0], p[1], p[2], p[3]);
    case F_SEND_ORDER:
      return D.SendOrder(p[0]);
    case F_CHANGE:
      return D.SendChangeOrderV2(p[0]);
    case F_CANCEL:
      return D.SendCancelOrderV2(p[0]);
    case F_CANCEL_ALL:
      return D.SendCancelAllOrdersV2(p[0]);
    case F_ZERO:
      return D.SendZeroPositionV2(p[0]);
    case F_ACCOUNT_COUNT:
      return D.GetAccountCount();
    case F_ACCOUNTS:
      return D.GetAccounts((int32_t)j->i[0], (int32_t)j->i[1], (int32_t)j->i[2], p[0]);
    case F_ACCOUNT_DETAILS:
      return D.GetAccountDetails(p[0]);
    case F_POSITION:
      return D.GetPositionV2(p[0]);
    case F_ENUM_ORDERS:
      return D.EnumerateAllOrders(p[0], (uint8_t)j->i[0], (intptr_t)j, enumerate_proc);
  }
  return NL_INVALID_ARGS;
}

/* MessageID written back by the requests that have one, for RK_LATE_RESULT. */
static int64_t message_id_of(const Job *j) {
  if (j->fn == F_SEND_ORDER) return ((TConnectorSendOrder *)j->p[0])->MessageID;
  if (j->fn == F_ZERO) return ((TConnectorZeroPosition *)j->p[0])->MessageID;
  return -1;
}

static THREAD_FN worker_main(void *unused) {
  (void)unused;
  lock(&R.jmu);
  for (;;) {
    while (!R.stopWorker && !R.job) wait(&R.jcv, &R.jmu);
    if (!R.job) break;
    Job *j = R.job;
    R.job = NULL;
    atomic_store(&R.requestName, j->name);
    atomic_store(&R.requestStartUs, mono_us());
    unlock(&R.jmu);
    int64_t result = run(j);
    lock(&R.jmu);
    atomic_store(&R.requestStartUs, 0);
    j->result = result;
    j->done = 1;
    if (j->abandoned) {
      /* The caller gave up on it: report the outcome now, so nothing it did goes unaccounted. */
      R.hung = 0;
      RelayRecord r;
      memset(&r, 0, sizeof r);
      r.kind = RK_LATE_RESULT;
      r.q[0] = result;
      r.q[1] = message_id_of(j);
      w16_from_ascii(r.text, RELAY_TEXT_UNITS, j->name);
      unlock(&R.jmu);
      push(&r);
      job_free(j);
      lock(&R.jmu);
    } else {
      wake_all(&R.jcv);
    }
    if (j->fn == F_FINALIZE && result == NL_OK) break;
  }
  R.workerRunning = 0;
  wake_all(&R.jcv);
  unlock(&R.jmu);
  THREAD_RETURN;
}

/* Posts `j` and waits at most timeoutMs. On RELAY_TIMEOUT the job belongs to the request thread. */
static int64_t post(Job *j, int32_t timeoutMs) {
  if (!j) return RELAY_NO_MEMORY;
  if (j->oom) {
    job_free(j);
    return RELAY_NO_MEMORY;
  }
  lock(&R.jmu);
  if (!R.workerRunning || R.stopWorker) {
    unlock(&R.jmu);
    job_free(j);
    return RELAY_NOT_OPEN;
  }
  if (R.hung || R.job) {
    unlock(&R.jmu);
    job_free(j);
    return RELAY_BUSY;
  }
  R.job = j;
  wake_all(&R.jcv);
  int64_t deadline = mono_us() + (int64_t)timeoutMs * 1000;
  while (!j->done && wait_until(&R.jcv, &R.jmu, deadline)) {
  }
  if (!j->done) {
    if (R.job == j) R.job = NULL; /* never started: nothing was sent */
    else {
      j->abandoned = 1;
      R.hung = 1;
      unlock(&R.jmu);
      return RELAY_TIMEOUT;
    }
    unlock(&R.jmu);
    job_free(j);
    return RELAY_BUSY;
  }
  unlock(&R.jmu);
  int64_t result = j->result;
  job_free(j);
  return result;
}

/* Runs a job whose outputs the caller copies back before freeing it; *completed says whether it ran. */
static int64_t post_keep(Job *j, int *completed) {
  *completed = 0;
  if (!j || j->oom) return post(j, R.timeoutMs);
  lock(&R.jmu);
  int ok = R.workerRunning && !R.stopWorker && !R.hung && !R.job;
  unlock(&R.jmu);
  if (!ok) return post(j, R.timeoutMs); /* refuses with the reason and frees */
  /* Same as post(), but the job survives for copying back. */
  lock(&R.jmu);
  R.job = j;
  wake_all(&R.jcv);
  int64_t deadline = mono_us() + (int64_t)R.timeoutMs * 1000;
  while (!j->done && wait_until(&R.jcv, &R.jmu, deadline)) {
  }
  if (!j->done) {
    if (R.job == j) {
      R.job = NULL;
      unlock(&R.jmu);
      job_free(j);
      return RELAY_BUSY;
    }
    j->abandoned = 1;
    R.hung = 1;
    unlock(&R.jmu);
    return RELAY_TIMEOUT;
  }
  unlock(&R.jmu);
  *completed = 1;
  return j->result;
}

/* ------------------------------------------------------------------------------------------------ */
/* Exports                                                                                          */

#ifndef _WIN32
/* UTF-16 → UTF-8 for dlopen. */
static void utf8_of(const wchar16 *s, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; s && s[i] && o + 4 < cap; i++) {
    uint32_t c = s[i];
    if (c >= 0xD800 && c < 0xDC00 && s[i + 1] >= 0xDC00 && s[i + 1] < 0xE000) c = 0x10000 + ((c - 0xD800) << 10) + (s[++i] - 0xDC00);
    if (c < 0x80) out[o++] = (char)c;
    else if (c < 0x800) out[o++] = (char)(0xC0 | c >> 6), out[o++] = (char)(0x80 | (c & 0x3F));
    else if (c < 0x10000)
      out[o++] = (char)(0xE0 | c >> 12), out[o++] = (char)(0x80 | (c >> 6 & 0x3F)), out[o++] = (char)(0x80 | (c & 0x3F));
    else
      out[o++] = (char)(0xF0 | c >> 18), out[o++] = (char)(0x80 | (c >> 12 & 0x3F)),
      out[o++] = (char)(0x80 | (c >> 6 & 0x3F)), out[o++] = (char)(0x80 | (c & 0x3F));
  }
  out[o] = 0;
}
#endif

static int load_dll(const wchar16 *path) {
  memset(&D, 0, sizeof D);
#ifdef _WIN32
  /* The DLL may load companion DLLs from its own folder. */
  R.lib = LoadLibraryExW((LPCWSTR)path, NULL, LOAD_WITH_ALTERED_SEARCH_PATH);
  if (!R.lib) {
    char code[16];
    snprintf(code, sizeof code, "%lu", (unsigned long)GetLastError());
    set_error("LoadLibrary failed (Windows error %s)%s", code, NULL);
    return 0;
  }
#define RESOLVE(name) ((VoidFn)GetProcAddress(R.lib, name))
#else
  char utf8[4096];
  utf8_of(path, utf8, sizeof utf8);
  R.lib = dlopen(utf8, RTLD_NOW | RTLD_LOCAL);
  if (!R.lib) {
    set_error("%s%s", dlerror(), NULL);
    return 0;
  }
#define RESOLVE(name) ((VoidFn)dlsym(R.lib, name))
#endif
  for (size_t i = 0; i < sizeof EXPORTS / sizeof EXPORTS[0]; i++) {
    VoidFn fn = RESOLVE(EXPORTS[i].name);
    if (!fn && !EXPORTS[i].optional) {
      set_error("missing export %s%s", EXPORTS[i].name, NULL);
      return 0;
    }
    memcpy((char *)&D + EXPORTS[i].offset, &fn, sizeof fn);
  }
#undef RESOLVE
  return 1;
}

/* Loads the DLL and starts the relay's threads. ringCapacity records (16 … 1,048,576); requests wait at most
 * requestTimeoutMs. */
RELAY_EXPORT int32_t RelayOpen(const wchar16 *dllPath, RelayNotifyFn notify, int32_t ringCapacity,
                               int32_t requestTimeoutMs) {
  if (R.open) return RELAY_ALREADY_OPEN;
  /* The threads of a previous session may still be on their way out. */
  int64_t deadline = mono_us() + 2000000;
  lock(&R.jmu);
  while (R.workerRunning && wait_until(&R.jcv, &R.jmu, deadline)) {
  }
  int busy = R.workerRunning;
  unlock(&R.jmu);
  lock(&R.mu);
  while (R.notifierRunning && wait_until(&R.cv, &R.mu, deadline)) {
  }
  busy |= R.notifierRunning;
  unlock(&R.mu);
  if (busy) {
    set_error("a request of the previous session (%s) never returned%s", atomic_load(&R.requestName), NULL);
    return RELAY_BUSY;
  }
  /* Threads a finalize that timed out left running have ended since: join them now. */
  reap_thread(&R.workerThread, 1, deadline);
  reap_thread(&R.notifierThread, 1, deadline);
  if (ringCapacity < 16 || ringCapacity > (1 << 20) || requestTimeoutMs < 1 || !notify) return NL_INVALID_ARGS;
  R.lastError[0] = 0;
  if (!load_dll(dllPath)) return RELAY_LOAD_FAILED;
  RelayRecord *ring = calloc((size_t)ringCapacity, sizeof *ring);
  if (!ring) return RELAY_NO_MEMORY;
  lock(&R.mu);
  R.ring = ring;
  R.cap = ringCapacity;
  R.head = R.count = R.highWater = 0;
  R.notified = R.stopNotifier = R.degraded = 0;
  R.pushed = R.drained = R.lost = R.lostOrders = R.lostTrades = R.lostOther = R.truncated = R.lostSinceDrain = 0;
  for (int i = 0; i < 4; i++) R.latestState[i] = -1;
  R.notify = notify;
  unlock(&R.mu);
  memset(g_bursts, 0, sizeof g_bursts);
  atomic_store(&R.slowestCallbackUs, 0);
  atomic_store(&R.callbackStartUs, 0);
  atomic_store(&R.requestStartUs, 0);
  atomic_store(&R.requestName, "");
  atomic_store(&R.callbackName, "");
  R.timeoutMs = requestTimeoutMs;
  R.stopWorker = R.hung = 0;
  R.job = NULL;
  R.notifierRunning = 1;
  if (!start_thread(&R.notifierThread, notifier_main)) {
    R.notifierRunning = 0;
    return RELAY_NO_MEMORY;
  }
  R.workerRunning = 1;
  if (!start_thread(&R.workerThread, worker_main)) {
    R.workerRunning = 0;
    return RELAY_NO_MEMORY;
  }
  R.open = 1;
  return NL_OK;
}

/* Why RelayOpen failed, as text (the loader's message, or the missing export). */
RELAY_EXPORT int32_t RelayLastError(wchar16 *out, int32_t cap) {
  if (!out || cap < 1) return NL_INVALID_ARGS;
  w16_from_ascii(out, (size_t)cap, R.lastError);
  return NL_OK;
}

/* DLLInitializeLogin and every Set*Callback, on the request thread. A refused Set*Callback is reported in
 * *setCallbacksResult (the first refusal). */
RELAY_EXPORT int32_t RelayLogin(const wchar16 *key, const wchar16 *user, const wchar16 *password,
                                int32_t *setCallbacksResult) {
  Job *j = job_new(F_LOGIN, "DLLInitializeLogin");
  if (j) {
    j->p[0] = job_str(j, key);
    j->p[1] = job_str(j, user);
    j->p[2] = job_str(j, password);
  }
  int completed;
  int64_t rc = post_keep(j, &completed);
  if (completed) {
    if (setCallbacksResult) *setCallbacksResult = (int32_t)j->i[0];
    job_free(j);
  }
  return (int32_t)rc;
}

/* Copies up to maxRecords records into out; returns how many. Re-arms the notifier once the ring is empty. */
RELAY_EXPORT int32_t RelayDrain(RelayRecord *out, int32_t maxRecords) {
  if (!out || maxRecords < 1) return 0;
  lock(&R.mu);
  int32_t n = 0;
  if (R.ring) {
    n = R.count < maxRecords ? R.count : maxRecords;
    for (int32_t k = 0; k < n; k++) out[k] = R.ring[(R.head + k) % R.cap];
    R.head = (R.head + n) % R.cap;
    R.count -= n;
    R.drained += n;
    R.lostSinceDrain = 0;
    if (R.count == 0) R.notified = 0;
    if (R.count <= R.cap / 2) R.degraded = 0;
    if (n) wake_all(&R.spaceCv);
  }
  unlock(&R.mu);
  return n;
}

RELAY_EXPORT int32_t RelayGetStatus(RelayStatus *s) {
  if (!s) return NL_INVALID_ARGS;
  memset(s, 0, sizeof *s);
  lock(&R.mu);
  s->pushed = R.pushed;
  s->drained = R.drained;
  s->lost = R.lost;
  s->lostOrders = R.lostOrders;
  s->lostTrades = R.lostTrades;
  s->lostOther = R.lostOther;
  s->capacity = R.cap;
  s->pending = R.count;
  s->highWater = R.highWater;
  s->truncatedTexts = (int32_t)R.truncated;
  for (int i = 0; i < 4; i++) s->latestState[i] = R.ring ? R.latestState[i] : -1;
  unlock(&R.mu);
  lock(&R.jmu);
  s->requestHung = R.hung;
  unlock(&R.jmu);
  int64_t now = mono_us();
  int64_t req = atomic_load(&R.requestStartUs), cb = atomic_load(&R.callbackStartUs);
  s->requestBusyMs = req ? (int32_t)((now - req) / 1000) : -1;
  s->callbackBusyMs = cb ? (int32_t)((now - cb) / 1000) : -1;
  s->slowestCallbackUs = atomic_load(&R.slowestCallbackUs);
  const char *rn = atomic_load(&R.requestName), *cn = atomic_load(&R.callbackName);
  w16_from_ascii(s->requestName, 32, rn ? rn : "");
  w16_from_ascii(s->callbackName, 32, cn ? cn : "");
  return NL_OK;
}

/* DLLFinalize on the request thread (the login's), then the relay's threads stop. Call it off Node's main
 * thread (koffi's async form): the notifier may be waiting for the main thread to run Node's function. */
/* Stops the relay's threads and frees the ring; waits (bounded) for them when `wait`. */
static void stop_threads(int wait) {
  int64_t deadline = mono_us() + 2000000;
  lock(&R.jmu);
  R.stopWorker = 1;
  wake_all(&R.jcv);
  while (wait && R.workerRunning && wait_until(&R.jcv, &R.jmu, deadline)) {
  }
  int workerEnded = !R.workerRunning;
  unlock(&R.jmu);
  lock(&R.mu);
  R.stopNotifier = 1;
  wake_all(&R.cv);
  while (wait && R.notifierRunning && wait_until(&R.cv, &R.mu, deadline)) {
  }
  int notifierEnded = !R.notifierRunning;
  /* No callback can come any more (the DLL's thread is gone, or it never started). */
  free(R.ring);
  R.ring = NULL;
  R.count = 0;
  wake_all(&R.spaceCv);
  unlock(&R.mu);
  /* Not waiting (Node's main thread, after a failed login): the threads are let go and end on their own. */
  reap_thread(&R.workerThread, wait && workerEnded, deadline);
  reap_thread(&R.notifierThread, wait && notifierEnded, deadline);
}

/* DLLFinalize on the request thread (the login's), then the relay's threads stop. Call it off Node's main
 * thread (koffi's async form): the notifier may be waiting for the main thread to run Node's function. */
RELAY_EXPORT int32_t RelayFinalize(int32_t timeoutMs) {
  if (!R.open) return RELAY_NOT_OPEN;
  R.open = 0;
  int64_t rc = post(job_new(F_FINALIZE, "DLLFinalize"), timeoutMs > 0 ? timeoutMs : 1);
  if (rc == RELAY_TIMEOUT) {
    /* DLLFinalize is stuck: the DLL's thread may still call back, so the ring stays; only the notifier stops. */
    lock(&R.mu);
    R.stopNotifier = 1;
    wake_all(&R.cv);
    unlock(&R.mu);
    return (int32_t)rc;
  }
  stop_threads(1);
  return (int32_t)rc;
}

/* After a failed login: nothing was initialised, so there is nothing to finalize; the threads just stop.
 * Safe on Node's main thread (it does not wait for them; RelayOpen does, bounded). */
RELAY_EXPORT int32_t RelayAbandon(void) {
  if (!R.open) return RELAY_NOT_OPEN;
  R.open = 0;
  stop_threads(0);
  return NL_OK;
}

static int32_t two_strings(int fn, const char *name, const wchar16 *a, const wchar16 *b) {
  Job *j = job_new(fn, name);
  if (j) {
    j->p[0] = job_str(j, a);
    j->p[1] = job_str(j, b);
  }
  return (int32_t)post(j, R.timeoutMs);
}

RELAY_EXPORT int32_t RelaySubscribeTicker(const wchar16 *t, const wchar16 *e) {
  return two_strings(F_SUB_TICKER, "SubscribeTicker", t, e);
}
RELAY_EXPORT int32_t RelayUnsubscribeTicker(const wchar16 *t, const wchar16 *e) {
  return two_strings(F_UNSUB_TICKER, "UnsubscribeTicker", t, e);
}
RELAY_EXPORT int32_t RelayRequestTickerInfo(const wchar16 *t, const wchar16 *e) {
  return two_strings(F_TICKER_INFO, "RequestTickerInfo", t, e);
}

static int32_t asset_request(int fn, const char *name, const TConnectorAssetIdentifier *a) {
  Job *j = job_new(fn, name);
  if (j) {
    TConnectorAssetIdentifier *c = job_copy(j, a, sizeof *a);
    if (c) job_asset(j, c);
    j->p[0] = c;
  }
  return (int32_t)post(j, R.timeoutMs);
}

RELAY_EXPORT int32_t RelaySubscribePriceDepth(const TConnectorAssetIdentifier *a) {
  return asset_request(F_SUB_DEPTH, "SubscribePriceDepth", a);
}
RELAY_EXPORT int32_t RelayUnsubscribePriceDepth(const TConnectorAssetIdentifier *a) {
  return asset_request(F_UNSUB_DEPTH, "UnsubscribePriceDepth", a);
}

RELAY_EXPORT int32_t RelayGetHistoryTrades(const wchar16 *t, const wchar16 *e, const wchar16 *from, const wchar16 *to) {
  Job *j = job_new(F_HISTORY, "GetHistoryTrades");
  if (j) {
    j->p[0] = job_str(j, t);
    j->p[1] = job_str(j, e);
    j->p[2] = job_str(j, from);
    j->p[3] = job_str(j, to);
  }
  return (int32_t)post(j, R.timeoutMs);
}

RELAY_EXPORT int64_t RelaySendOrder(TConnectorSendOrder *o) {
  Job *j = job_new(F_SEND_ORDER, "SendOrder");
  TConnectorSendOrder *c = NULL;
  if (j && o && (c = job_copy(j, o, sizeof *o))) {
    job_account(j, &c->AccountID);
    job_asset(j, &c->AssetID);
    c->Password = job_str(j, o->Password);
  }
  if (j) j->p[0] = c;
  int completed;
  int64_t rc = post_keep(j, &completed);
  if (completed) {
    o->MessageID = c->MessageID; /* an output (§6.3) */
    job_free(j);
  }
  return rc;
}

RELAY_EXPORT int32_t RelaySendChangeOrderV2(TConnectorChangeOrder *o) {
  Job *j = job_new(F_CHANGE, "SendChangeOrderV2");
  TConnectorChangeOrder *c = NULL;
  if (j && o && (c = job_copy(j, o, sizeof *o))) {
    job_account(j, &c->AccountID);
    c->OrderID.ClOrderID = job_str(j, o->OrderID.ClOrderID);
    c->Password = job_str(j, o->Password);
  }
  if (j) j->p[0] = c;
  int completed;
  int64_t rc = post_keep(j, &completed);
  if (completed) {
    o->MessageID = c->MessageID;
    job_free(j);
  }
  return (int32_t)rc;
}

RELAY_EXPORT int32_t RelaySendCancelOrderV2(TConnectorCancelOrder *o) {
  Job *j = job_new(F_CANCEL, "SendCancelOrderV2");
  TConnectorCancelOrder *c = NULL;
  if (j && o && (c = job_copy(j, o, sizeof *o))) {
    job_account(j, &c->AccountID);
    c->OrderID.ClOrderID = job_str(j, o->OrderID.ClOrderID);
    c->Password = job_str(j, o->Password);
  }
  if (j) j->p[0] = c;
  int completed;
  int64_t rc = post_keep(j, &completed);
  if (completed) {
    o->MessageID = c->MessageID;
    job_free(j);
  }
  return (int32_t)rc;
}

RELAY_EXPORT int32_t RelaySendCancelAllOrdersV2(TConnectorCancelAllOrders *o) {
  Job *j = job_new(F_CANCEL_ALL, "SendCancelAllOrdersV2");
  TConnectorCancelAllOrders *c = NULL;
  if (j && o && (c = job_copy(j, o, sizeof *o))) {
    job_account(j, &c->AccountID);
    c->Password = job_str(j, o->Password);
  }
  if (j) j->p[0] = c;
  return (int32_t)post(j, R.timeoutMs);
}

RELAY_EXPORT int64_t RelaySendZeroPositionV2(TConnectorZeroPosition *o) {
  Job *j = job_new(F_ZERO, "SendZeroPositionV2");
  TConnectorZeroPosition *c = NULL;
  if (j && o && (c = job_copy(j, o, sizeof *o))) {
    job_account(j, &c->AccountID);
    job_asset(j, &c->AssetID);
    c->Password = job_str(j, o->Password);
  }
  if (j) j->p[0] = c;
  int completed;
  int64_t rc = post_keep(j, &completed);
  if (completed) {
    o->MessageID = c->MessageID;
    job_free(j);
  }
  return rc;
}

RELAY_EXPORT int32_t RelayGetAccountCount(void) { return (int32_t)post(job_new(F_ACCOUNT_COUNT, "GetAccountCount"), R.timeoutMs); }

RELAY_EXPORT int32_t RelayGetAccounts(int32_t startSource, int32_t startDest, int32_t count,
                                      TConnectorAccountIdentifierOut *out) {
  if (!out || startDest < 0 || count < 0 || count > 100000) return NL_INVALID_ARGS;
  Job *j = job_new(F_ACCOUNTS, "GetAccounts");
  size_t bytes = (size_t)(startDest + count) * sizeof *out;
  if (j) {
    j->i[0] = startSource;
    j->i[1] = startDest;
    j->i[2] = count;
    j->p[0] = job_alloc(j, bytes);
  }
  int completed;
  int64_t rc = post_keep(j, &completed);
  if (completed) {
    if (rc >= 0) memcpy(out + startDest, (TConnectorAccountIdentifierOut *)j->p[0] + startDest, (size_t)count * sizeof *out);
    job_free(j);
  }
  return (int32_t)rc;
}

/* One two-call output string: a buffer of the caller's announced length, copied back bounded by both. */
#define OUT_STRING_CAP 4096
typedef struct {
  wchar16 **ptr;
  int32_t *len;
} OutString;

RELAY_EXPORT int32_t RelayGetAccountDetails(TConnectorTradingAccountOut *a) {
  Job *j = job_new(F_ACCOUNT_DETAILS, "GetAccountDetails");
  TConnectorTradingAccountOut *c = NULL;
  int32_t given[3] = {0, 0, 0};
  if (j && a && (c = job_copy(j, a, sizeof *a))) {
    job_account(j, &c->AccountID);
    OutString outs[3] = {{&c->BrokerName, &c->BrokerNameLength}, {&c->OwnerName, &c->OwnerNameLength},
                         {&c->SubOwnerName, &c->SubOwnerNameLength}};
    for (int k = 0; k < 3; k++) {
      if (!*outs[k].ptr) continue;
      int cut = 0;
      given[k] = clamp_len(*outs[k].len, OUT_STRING_CAP, &cut);
      *outs[k].len = given[k];
      *outs[k].ptr = job_alloc(j, ((size_t)given[k] + 1) * sizeof(wchar16));
    }
  }
  if (j) j->p[0] = c;
  int completed;
  int64_t rc = post_keep(j, &completed);
  if (completed) {
    OutString mine[3] = {{&c->BrokerName, &c->BrokerNameLength}, {&c->OwnerName, &c->OwnerNameLength},
                         {&c->SubOwnerName, &c->SubOwnerNameLength}};
    wchar16 *theirs[3] = {a->BrokerName, a->OwnerName, a->SubOwnerName};
    TConnectorAccountIdentifier keep = a->AccountID;
    *a = *c;
    a->AccountID = keep;
    a->BrokerName = theirs[0];
    a->OwnerName = theirs[1];
    a->SubOwnerName = theirs[2];
    for (int k = 0; k < 3; k++) {
      if (!theirs[k] || !*mine[k].ptr) continue;
      int32_t n = *mine[k].len < given[k] ? *mine[k].len : given[k];
      w16_put(theirs[k], (size_t)given[k] + 1, *mine[k].ptr, (size_t)(n < 0 ? 0 : n));
    }
    job_free(j);
  }
  return (int32_t)rc;
}

RELAY_EXPORT int32_t RelayGetPositionV2(TConnectorTradingAccountPosition *p) {
  Job *j = job_new(F_POSITION, "GetPositionV2");
  TConnectorTradingAccountPosition *c = NULL;
  if (j && p && (c = job_copy(j, p, sizeof *p))) {
    job_account(j, &c->AccountID);
    job_asset(j, &c->AssetID);
  }
  if (j) j->p[0] = c;
  int completed;
  int64_t rc = post_keep(j, &completed);
  if (completed) {
    TConnectorAccountIdentifier acct = p->AccountID;
    TConnectorAssetIdentifier asset = p->AssetID;
    *p = *c;
    p->AccountID = acct;
    p->AssetID = asset;
    job_free(j);
  }
  return (int32_t)rc;
}

/* EnumerateAllOrders on the request thread into flat records. Returns how many orders the DLL enumerated
 * (out holds the first `cap` of them) or an error code. */
RELAY_EXPORT int32_t RelayEnumerateAllOrders(const TConnectorAccountIdentifier *account, uint8_t orderVersion,
                                             RelayOrder *out, int32_t cap) {
  if (!account || (cap > 0 && !out) || cap < 0) return NL_INVALID_ARGS;
  Job *j = job_new(F_ENUM_ORDERS, "EnumerateAllOrders");
  if (j) {
    TConnectorAccountIdentifier *c = job_copy(j, account, sizeof *account);
    if (c) job_account(j, c);
    j->p[0] = c;
    j->i[0] = orderVersion;
  }
  int completed;
  int64_t rc = post_keep(j, &completed);
  if (completed) {
    if (rc == NL_OK) {
      rc = j->nOrders;
      memcpy(out, j->orders, (size_t)(j->nOrders < cap ? j->nOrders : cap) * sizeof *out);
    }
    job_free(j);
  }
  return (int32_t)rc;
}
