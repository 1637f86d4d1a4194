/*
 * ProfitDLL stand-in: a Linux shared library with the real DLL's exports, structs, UTF-16 strings and
 * threading, so the koffi binding runs against the same ABI in every test (reference/profitdll.md §15).
 *
 * Shape of the library:
 *   - DLLInitializeLogin starts one "ConnectorThread". That thread emits the state sequence
 *     (0,0) (3,0) (1,2) (1,5) (2,1) (2,4), runs a small matching engine, and delivers every callback.
 *   - Request functions (SendOrder, Subscribe*, GetHistoryTrades, ...) validate, queue a command for the
 *     connector thread and return at once, as the real DLL does; results arrive as callbacks.
 *   - Accessors (GetOrderDetails, TranslateTrade, GetPriceGroup, ...) read state under the lock. The
 *     connector thread never holds the lock while it calls back, because koffi blocks the calling thread
 *     until JavaScript has run the callback, and JavaScript calls the accessors from inside it.
 *   - Every engine mutation is delivered before the next one is made, so an accessor called inside a
 *     callback sees exactly the state that callback announces (one fill, one event).
 *
 * Credentials (any non-empty values log in, with one account, except these sentinels used by the tests):
 *   activation key starting with "INVALID" -> (3,1) activation refused
 *   password "wrong-password"              -> (0,2) LOGIN_INVALID_PASS
 *   user starting with "blocked"           -> (0,3) LOGIN_BLOCKED_PASS
 *   user containing "multi"                -> a second account (7654321)
 *   empty key / user / password            -> NL_NO_LICENSE / NL_NO_USER / NL_NO_PASSWORD from init
 *
 * Environment, read at DLLInitializeLogin:
 *   PROFITDLL_STANDIN_STATE_FILE        keep the day's orders and fills in this file, like a broker that
 *                                       still knows them when the client process restarts
 *   PROFITDLL_STANDIN_STEP_MS           delay between connection states (default 20)
 *   PROFITDLL_STANDIN_MARKET_MS         synthetic market tick for subscribed symbols (default 1000, 0 = off)
 *   PROFITDLL_STANDIN_HISTORY_SPACING_MS spacing of generated history trades (default 10000)
 *   PROFITDLL_STANDIN_ASSET_INFO        "on" (default); "off": RequestTickerInfo never answers; "garbage": the
 *                                       quantities arrive with junk in their high half, as a DLL older than
 *                                       4.0.0.38 passing 32-bit integers would deliver them
 *
 * The worst plausible real DLL, for the tests that prove the bridge survives it:
 *   PROFITDLL_STANDIN_ADVERSARIAL=1     the connector thread holds an internal lock (the dispatch lock) while it
 *                                       calls back, as a Delphi critical section would; an accessor or a request
 *                                       called from another thread meanwhile waits for that lock at most
 *                                       PROFITDLL_STANDIN_LOCK_WAIT_MS (default 1000), then fails with
 *                                       NL_NOT_SAME_THREAD (accessor) or NL_TIMEOUT (request). Slow callbacks
 *                                       raise the market-data states 5/6 (below).
 *   PROFITDLL_STANDIN_SLOW_CALLBACK_MS  a callback longer than this (default 5 in adversarial mode, else off)
 *                                       raises (2,5) MARKET_PERFORMANCE_WARNING; three in a row, or one ten
 *                                       times longer, raise (2,6) MARKET_PARTIAL_CONNECTED; 1000 fast ones in a
 *                                       row bring back (2,4)
 *   PROFITDLL_STANDIN_HANG=<export>     that export (DLLInitializeLogin, SendOrder, SubscribeTicker,
 *                                       GetAccountCount, TranslateTrade, DLLFinalize) blocks for
 *                                       PROFITDLL_STANDIN_HANG_MS (default 30000) or until StandinReleaseHang
 *   PROFITDLL_STANDIN_ROUTING_STATE=2   routing stops at ROTEAMENTO_CONNECTED (2) and never reports 5, though
 *                                       orders are accepted (the vendor examples treat 2 as connected)
 *   PROFITDLL_STANDIN_STRICT_BUFFERS=1  a two-call accessor given a NULL buffer with a non-zero length fails with
 *                                       NL_INTERNAL_ERROR, where the real DLL might raise an access violation
 *   PROFITDLL_STANDIN_GARBAGE_LENGTHS=1 two-call accessors report lengths 2^28 units longer than the string
 *   PROFITDLL_STANDIN_POSITION_INVALID_ARGS=1  GetPositionV2 answers NL_INVALID_ARGS whatever the position, as
 *                                       users report for a flat one
 *   PROFITDLL_STANDIN_SAME_THREAD=1     requests and DLLFinalize from a thread other than DLLInitializeLogin's
 *                                       fail with NL_NOT_SAME_THREAD
 *
 * Deviations from the real DLL, on purpose: it can be initialised again after DLLFinalize (tests run
 * many sessions in one process; the real DLL cannot, §3.2); order callbacks are not delivered while
 * routing is down (the client reconciles after reconnecting); the market clock is fixed at UTC-3; futures
 * expiries (validDate) follow the weekday rules without B3 holidays.
 */
#define _GNU_SOURCE
#include "profitdll.h"

#include <errno.h>
#include <stdatomic.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uchar.h>

/* ------------------------------------------------------------------------------------------------ */
/* Reference data                                                                                   */

typedef struct {
  const char *ticker;
  const char *exchange;
  const char16_t *name;
  const char16_t *description;
  double tick;
  int64_t lot, minQty, maxQty, levelQty;
  double multiplier;
  double ref;
  int32_t secType, subType;
  const char *isin;
  const char16_t *sector;
  const char16_t *validDate;
} Instrument;

#define STOCK(t, n, d, ref, sub, isin, sector) \
  {t, "B", n, d, 0.01, 100, 100, 100000000, 1000, 1, ref, stStock, sub, isin, sector, u""}
#define FRACTIONAL(t, n, d, ref, isin, sector) \
  {t, "B", n, d, 0.01, 1, 1, 99, 50, 1, ref, stStock, ssFractionary, isin, sector, u""}

static const Instrument EQUITIES[] = {
    STOCK("PETR4", u"PETROBRAS PN", u"Petróleo Brasileiro S.A. – Petrobras", 36.50, ssPreferredShares,
          "BRPETRACNPR6", u"Petróleo, Gás e Biocombustíveis"),
    STOCK("VALE3", u"VALE ON", u"Vale S.A.", 61.80, ssCommonShares, "BRVALEACNOR0", u"Materiais Básicos"),
    STOCK("ITUB4", u"ITAUUNIBANCO PN", u"Itaú Unibanco Holding S.A.", 38.20, ssPreferredShares, "BRITUBACNPR1",
          u"Financeiro"),
    STOCK("BBDC4", u"BRADESCO PN", u"Banco Bradesco S.A.", 16.40, ssPreferredShares, "BRBBDCACNPR8", u"Financeiro"),
    STOCK("BBAS3", u"BRASIL ON", u"Banco do Brasil S.A.", 24.10, ssCommonShares, "BRBBASACNOR3", u"Financeiro"),
    STOCK("ABEV3", u"AMBEV S/A ON", u"Ambev S.A.", 13.70, ssCommonShares, "BRABEVACNOR1", u"Consumo não Cíclico"),
    STOCK("B3SA3", u"B3 ON", u"B3 S.A. – Brasil, Bolsa, Balcão", 13.20, ssCommonShares, "BRB3SAACNOR6", u"Financeiro"),
    STOCK("WEGE3", u"WEG ON", u"WEG S.A.", 44.30, ssCommonShares, "BRWEGEACNOR0", u"Bens Industriais"),
    FRACTIONAL("PETR4F", u"PETROBRAS PN", u"Petróleo Brasileiro S.A. – Petrobras (fracionário)", 36.50, "BRPETRACNPR6",
               u"Petróleo, Gás e Biocombustíveis"),
    FRACTIONAL("VALE3F", u"VALE ON", u"Vale S.A. (fracionário)", 61.80, "BRVALEACNOR0", u"Materiais Básicos"),
    FRACTIONAL("ITUB4F", u"ITAUUNIBANCO PN", u"Itaú Unibanco Holding S.A. (fracionário)", 38.20, "BRITUBACNPR1",
               u"Financeiro"),
    FRACTIONAL("BBDC4F", u"BRADESCO PN", u"Banco Bradesco S.A. (fracionário)", 16.40, "BRBBDCACNPR8", u"Financeiro"),
    FRACTIONAL("BBAS3F", u"BRASIL ON", u"Banco do Brasil S.A. (fracionário)", 24.10, "BRBBASACNOR3", u"Financeiro"),
    FRACTIONAL("ABEV3F", u"AMBEV S/A ON", u"Ambev S.A. (fracionário)", 13.70, "BRABEVACNOR1", u"Consumo não Cíclico"),
    FRACTIONAL("B3SA3F", u"B3 ON", u"B3 S.A. – Brasil, Bolsa, Balcão (fracionário)", 13.20, "BRB3SAACNOR6",
               u"Financeiro"),
    FRACTIONAL("WEGE3F", u"WEG ON", u"WEG S.A. (fracionário)", 44.30, "BRWEGEACNOR0", u"Bens Industriais"),
};
#define NEQUITIES ((int)(sizeof(EQUITIES) / sizeof(EQUITIES[0])))

/* Futures: every code the bridge's rules make (bridge/model/data/futures-contracts.json), root + month
 * letter + two-digit year of 2000-2099: WIN in even months, WDO in every month. A bridge asks for the
 * current and next contracts of whatever date it runs on, so the stand-in lists them all rather than
 * one month's. Index: NEQUITIES, then each root's block of 100 years x its months. */
typedef struct {
  const char *root;
  const char *name;            /* + " DEZ/26" */
  const char16_t *description; /* + "dez/2026" */
  const int *months;
  int nMonths;
  double tick, multiplier, ref;
  const char *isinPrefix; /* + month letter and the year's last digit, as BRBMEFWIN0Z6 */
  int wednesdayNear15;    /* expiry: the Wednesday closest to the 15th; else the first weekday of the month */
} FuturesRoot;

static const int WIN_MONTHS[] = {2, 4, 6, 8, 10, 12};
static const int WDO_MONTHS[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
#define NMONTHS(months) ((int)(sizeof(months) / sizeof(months[0])))
static const FuturesRoot FUTURES_ROOTS[] = {
    {"WIN", "MINI IBOVESPA", u"Mini Índice Bovespa – vencimento ", WIN_MONTHS, NMONTHS(WIN_MONTHS), 5, 0.2, 155000,
     "BRBMEFWIN0", 1},
    {"WDO", "MINI DOLAR", u"Mini Dólar Comercial – vencimento ", WDO_MONTHS, NMONTHS(WDO_MONTHS), 0.5, 10, 5420,
     "BRBMEFWDO0", 0},
};
#define NROOTS ((int)(sizeof(FUTURES_ROOTS) / sizeof(FUTURES_ROOTS[0])))
#define FUTURES_YEARS 100
#define NFUTURES (FUTURES_YEARS * (NMONTHS(WIN_MONTHS) + NMONTHS(WDO_MONTHS)))
#define NINSTR (NEQUITIES + NFUTURES)
static const char MONTH_LETTERS[] = "FGHJKMNQUVXZ";
static const char *const MONTH_ABBR[] = {"JAN", "FEV", "MAR", "ABR", "MAI", "JUN", "JUL", "AGO", "SET", "OUT", "NOV", "DEZ"};

/* Equities, then the futures, filled once by build_tables; read-only afterwards. */
static Instrument INSTRUMENTS[NINSTR];
static char g_futTicker[NFUTURES][8], g_futIsin[NFUTURES][16];
static char16_t g_futName[NFUTURES][32], g_futDescription[NFUTURES][64], g_futValidDate[NFUTURES][11];

typedef struct {
  int32_t broker;
  const char *id;
  const char16_t *holder;
  const char16_t *brokerName;
} Account;

/* Broker 32006 is the id a community source gives for Nelogica's simulator (reference §12). A login has the
 * first account; a user whose name contains "multi" has both, for tests of account selection. */
static const Account ACCOUNTS[] = {
    {32006, "1234567", u"João da Conceição Ávila", u"Simulador Nelogica"},
    {32006, "7654321", u"Lúcia Brandão & Filhos Ltda", u"Simulador Nelogica"},
};
#define NACC ((int)(sizeof(ACCOUNTS) / sizeof(ACCOUNTS[0])))

#define LEVELS 5
#define MAX_DEPTH 64
#define TRADE_MAGIC 0x54524144u
#define BRT_OFFSET_MS (3LL * 3600 * 1000)
#define DAY_MS (86400LL * 1000)

/* ------------------------------------------------------------------------------------------------ */
/* Session state                                                                                    */

typedef struct {
  int64_t localId;
  char clOrdId[32];
  int acct, instr;
  uint8_t side, type, status;
  int64_t qty, traded;
  int64_t priceTicks; /* 0 = market */
  double execValue;   /* sum of price x quantity, for the average price */
  int64_t createdMs, updatedMs, closedMs;
  wchar16 text[96];
  int64_t eventId;
  int64_t priority;
  int working;
  int passwordOk;
  int64_t messageId;
  int riskBlocked;
} Order;

typedef struct {
  int64_t buyQty, sellQty;
  double buyValue, sellValue;
  int64_t net;
  double openAvg;
} Position;

typedef struct {
  int64_t refTicks;
  int64_t bid[LEVELS], ask[LEVELS];
} Book;

typedef enum {
  C_SEND,
  C_CHANGE,
  C_CANCEL,
  C_CANCEL_ALL,
  C_HISTORY,
  C_TICKER_INFO,
  C_DEPTH_SNAPSHOT,
  C_ROUTING,
  C_INJECT_STATE,
  C_MARKET_TRADE,
  C_EMIT_TRADES,
  C_INJECT_ORDER_STATUS,
} CmdType;

typedef struct Cmd {
  struct Cmd *next;
  CmdType type;
  int64_t id;
  int instr, acct;
  int32_t a, b;
  int64_t qty, priceTicks;
  int64_t t0, t1;
} Cmd;

typedef struct {
  uint32_t magic;
  TConnectorTrade trade;
} TradeHandle;

typedef struct {
  int64_t price; /* ticks */
  int64_t qty;
  uint32_t count;
} DepthLevel;

static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int initialized, stopping;
  pthread_t thread;

  TStateCallback stateCb;
  TAccountCallback accountCb;
  TProgressCallback progressCb;
  TConnectorOrderCallback orderCb;
  TConnectorAccountCallback orderHistoryCb;
  TConnectorTradeCallback tradeCb, historyTradeCb;
  TConnectorPriceDepthCallback depthCb;
  TAssetListInfoCallbackV2 assetInfoCb;
  TConnectorTradingMessageResultCallback messageCb;

  int loginResult, activationResult;
  int accounts; /* how many of ACCOUNTS this login has */
  int routingUp, marketUp;
  wchar16 password[128];

  Cmd *head, *tail;

  /* Each order is allocated once and never moves: the connector thread keeps Order pointers across
   * unlocks while SendOrder, on another thread, grows this table. */
  Order **orders;
  int nOrders, capOrders;
  int64_t nextClSeq, eventSeq, prioritySeq;
  int64_t requests;
  Position positions[NACC][NINSTR];
  Book books[NINSTR];
  int subTicker[NINSTR], subDepth[NINSTR];
  uint32_t tradeNo[NINSTR];
  int32_t failNext;
  int64_t messageSeq;
  int riskBlockNext;

  /* Adversarial mode: the dispatch lock held while calling back, and the market-data health it reports. */
  int adversarial, lockWaitMs, slowCallbackMs, strictBuffers, garbageLengths, routingState, positionInvalidArgs;
  int sameThread;
  pthread_t loginThread;
  pthread_mutex_t cbmu; /* guards cbBusy: a callback is running on the thread that set it */
  pthread_cond_t cbcv;
  int cbBusy;
  int perfState, slowStreak, fastStreak;
  char hangFn[48];
  int hangMs, hangReleased;
  pthread_cond_t hangCv;

  int stepMs, marketMs, historySpacingMs;
  enum { INFO_ON, INFO_OFF, INFO_GARBAGE } assetInfo;
  FILE *stateFp;
  uint64_t rng;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .cbmu = PTHREAD_MUTEX_INITIALIZER,
     .cbcv = PTHREAD_COND_INITIALIZER,
     .hangCv = PTHREAD_COND_INITIALIZER};

static wchar16 g_tickerW[NINSTR][16], g_exchW[NINSTR][2], g_isinW[NINSTR][16], g_accountW[NACC][16];
static pthread_once_t g_tablesOnce = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------------------------------------------ */
/* Helpers                                                                                          */

static size_t w16len(const wchar16 *s) {
  size_t n = 0;
  if (s)
    while (s[n]) n++;
  return n;
}

static void ascii_to_w16(const char *s, wchar16 *out, size_t cap) {
  size_t i = 0;
  for (; s[i] && i + 1 < cap; i++) out[i] = (unsigned char)s[i];
  out[i] = 0;
}

/* Non-ASCII units become '?': identifiers here are ASCII, so a '?' can never match one. */
static void w16_to_ascii(const wchar16 *s, char *out, size_t cap) {
  size_t i = 0;
  if (s)
    for (; s[i] && i + 1 < cap; i++) out[i] = s[i] < 128 ? (char)s[i] : '?';
  out[i] = 0;
}

static int w16_eq_ascii(const wchar16 *s, const char *a) {
  if (!s) return 0;
  size_t i = 0;
  for (; a[i]; i++)
    if (s[i] != (unsigned char)a[i]) return 0;
  return s[i] == 0;
}

static int w16_eq(const wchar16 *a, const wchar16 *b) {
  size_t i = 0;
  for (; a[i] && a[i] == b[i]; i++) {
  }
  return a[i] == b[i];
}

static int w16_starts_ascii(const wchar16 *s, const char *prefix) {
  if (!s) return 0;
  for (size_t i = 0; prefix[i]; i++)
    if (s[i] != (unsigned char)prefix[i]) return 0;
  return 1;
}

static void w16_copy(wchar16 *out, size_t cap, const wchar16 *s) {
  size_t n = w16len(s);
  if (n >= cap) n = cap - 1;
  memcpy(out, s, n * sizeof(wchar16));
  out[n] = 0;
}

/* Two-call pattern (§6.4): NULL buffer -> report the length; otherwise copy at most the length the caller
 * was told (its buffer holds that many units plus the terminator). */
static int out_string(wchar16 *buf, int32_t *len, const wchar16 *value) {
  int32_t actual = (int32_t)w16len(value);
  if (!buf && *len > 0 && g.strictBuffers) return 0; /* where the real DLL might write through NULL */
  if (buf) {
    int32_t n = actual < *len ? actual : *len;
    if (n < 0) n = 0;
    memcpy(buf, value, (size_t)n * sizeof(wchar16));
    buf[n] = 0;
  }
  *len = g.garbageLengths ? actual + (1 << 28) : actual;
  return 1;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static TSystemTime systemtime_from_local_ms(int64_t localMs) {
  TSystemTime st = {0};
  int64_t days = localMs >= 0 ? localMs / DAY_MS : (localMs - DAY_MS + 1) / DAY_MS;
  int64_t msOfDay = localMs - days * DAY_MS;
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = (unsigned)(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  st.wYear = (uint16_t)((int64_t)yoe + era * 400 + (m <= 2));
  st.wMonth = (uint16_t)m;
  st.wDay = (uint16_t)d;
  st.wDayOfWeek = (uint16_t)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday (4) */
  st.wHour = (uint16_t)(msOfDay / 3600000);
  st.wMinute = (uint16_t)(msOfDay / 60000 % 60);
  st.wSecond = (uint16_t)(msOfDay / 1000 % 60);
  st.wMilliseconds = (uint16_t)(msOfDay % 1000);
  return st;
}

/* Market times are Brasília local time without a zone (§11.4). */
static TSystemTime brt_systemtime(int64_t utcMs) {
  return utcMs ? systemtime_from_local_ms(utcMs - BRT_OFFSET_MS) : (TSystemTime){0};
}

static uint64_t next_random(void) {
  g.rng ^= g.rng << 13;
  g.rng ^= g.rng >> 7;
  g.rng ^= g.rng << 17;
  return g.rng;
}

static int env_int(const char *name, int fallback) {
  const char *v = getenv(name);
  if (!v || !*v) return fallback;
  char *end;
  long n = strtol(v, &end, 10);
  return (*end || n < 0 || n > 86400000) ? fallback : (int)n;
}

/* Day of the week of days since 1970-01-01 (a Thursday), 0 = Sunday. */
static unsigned weekday_of_days(int64_t days) {
  return (unsigned)(((days % 7) + 11) % 7);
}

/* A contract's last trading day by the weekday rules, as days since 1970-01-01. B3 holidays are not known
 * here (the bridge takes expiries from its own calendar, never from the DLL): a weekend moves to Monday. */
static int64_t future_expiry_days(const FuturesRoot *fr, int year, int month) {
  int64_t days;
  if (fr->wednesdayNear15) {
    days = days_from_civil(year, (unsigned)month, 15);
    days += (int64_t)((6 - weekday_of_days(days) + 7) % 7) - 3; /* -3..+3 to the nearest Wednesday */
  } else {
    days = days_from_civil(year, (unsigned)month, 1);
  }
  while (weekday_of_days(days) == 0 || weekday_of_days(days) == 6) days++;
  return days;
}

static void w16_append_ascii(wchar16 *out, size_t cap, const char *s) {
  size_t n = w16len(out);
  if (n < cap) ascii_to_w16(s, out + n, cap - n);
}

static void build_futures(void) {
  int k = 0;
  for (int r = 0; r < NROOTS; r++) {
    const FuturesRoot *fr = &FUTURES_ROOTS[r];
    for (int yy = 0; yy < FUTURES_YEARS; yy++) {
      for (int mi = 0; mi < fr->nMonths; mi++, k++) {
        const int month = fr->months[mi], year = 2000 + yy;
        const char letter = MONTH_LETTERS[month - 1];
        char text[48];
        snprintf(g_futTicker[k], sizeof g_futTicker[k], "%s%c%02d", fr->root, letter, yy);
        snprintf(g_futIsin[k], sizeof g_futIsin[k], "%s%c%d", fr->isinPrefix, letter, yy % 10);
        snprintf(text, sizeof text, "%s %s/%02d", fr->name, MONTH_ABBR[month - 1], yy);
        ascii_to_w16(text, g_futName[k], 32);
        w16_copy(g_futDescription[k], 64, fr->description);
        const char *abbr = MONTH_ABBR[month - 1];
        snprintf(text, sizeof text, "%c%c%c/%04d", abbr[0] + 32, abbr[1] + 32, abbr[2] + 32, year);
        w16_append_ascii(g_futDescription[k], 64, text);
        TSystemTime expiry = systemtime_from_local_ms(future_expiry_days(fr, year, month) * DAY_MS);
        snprintf(text, sizeof text, "%02u/%02u/%04u", expiry.wDay, expiry.wMonth, expiry.wYear);
        ascii_to_w16(text, g_futValidDate[k], 11);
        INSTRUMENTS[NEQUITIES + k] = (Instrument){g_futTicker[k], "F", g_futName[k], g_futDescription[k], fr->tick,
                                                  1, 1, 10000, 10, fr->multiplier, fr->ref, stFuture, ssMiniContract,
                                                  g_futIsin[k], u"", g_futValidDate[k]};
      }
    }
  }
}

static void build_tables(void) {
  memcpy(INSTRUMENTS, EQUITIES, sizeof EQUITIES);
  build_futures();
  for (int i = 0; i < NINSTR; i++) {
    ascii_to_w16(INSTRUMENTS[i].ticker, g_tickerW[i], 16);
    ascii_to_w16(INSTRUMENTS[i].exchange, g_exchW[i], 2);
    ascii_to_w16(INSTRUMENTS[i].isin, g_isinW[i], 16);
  }
  for (int i = 0; i < NACC; i++) ascii_to_w16(ACCOUNTS[i].id, g_accountW[i], 16);
}

static int find_equity(const wchar16 *ticker) {
  for (int i = 0; i < NEQUITIES; i++)
    if (w16_eq_ascii(ticker, INSTRUMENTS[i].ticker)) return i;
  return -1;
}

/* The index of a futures code (root, month letter of one of the root's months, two digits), or -1. */
static int find_future(const wchar16 *ticker) {
  char t[8];
  if (w16len(ticker) != 6) return -1;
  w16_to_ascii(ticker, t, sizeof t);
  const char *letter = strchr(MONTH_LETTERS, t[3]);
  if (!letter || t[4] < '0' || t[4] > '9' || t[5] < '0' || t[5] > '9') return -1;
  const int month = (int)(letter - MONTH_LETTERS) + 1, yy = (t[4] - '0') * 10 + (t[5] - '0');
  int base = NEQUITIES;
  for (int r = 0; r < NROOTS; r++) {
    const FuturesRoot *fr = &FUTURES_ROOTS[r];
    if (!strncmp(t, fr->root, 3)) {
      for (int mi = 0; mi < fr->nMonths; mi++)
        if (fr->months[mi] == month) return base + yy * fr->nMonths + mi;
      return -1;
    }
    base += FUTURES_YEARS * fr->nMonths;
  }
  return -1;
}

static int find_instr(const wchar16 *ticker, const wchar16 *exchange, int32_t *err) {
  if (!ticker || !exchange || !ticker[0]) {
    *err = NL_INVALID_ARGS;
    return -1;
  }
  if (!(w16_eq_ascii(exchange, "B") || w16_eq_ascii(exchange, "F"))) {
    *err = NL_EXCHANGE_UNKNOWN;
    return -1;
  }
  int i = find_equity(ticker);
  if (i < 0) i = find_future(ticker);
  if (i >= 0 && w16_eq_ascii(ticker, INSTRUMENTS[i].ticker) && w16_eq_ascii(exchange, INSTRUMENTS[i].exchange))
    return i;
  *err = NL_INVALID_TICKER;
  return -1;
}

static int find_account(const TConnectorAccountIdentifier *a, int32_t *err) {
  if (!a) {
    *err = NL_INVALID_ARGS;
    return -1;
  }
  if (a->Version != 0) {
    *err = NL_VERSION_NOT_SUPPORTED;
    return -1;
  }
  if (w16len(a->SubAccountID) == 0)
    for (int i = 0; i < g.accounts; i++)
      if (a->BrokerID == ACCOUNTS[i].broker && w16_eq_ascii(a->AccountID, ACCOUNTS[i].id)) return i;
  *err = NL_NOT_FOUND;
  return -1;
}

static int64_t ticks_of(int instr, double price, int *onTick) {
  double t = price / INSTRUMENTS[instr].tick;
  double r = floor(t + 0.5);
  *onTick = fabs(t - r) < 1e-6;
  return (int64_t)r;
}

/* Through integer hundredths, so 3630 ticks of 0.01 is the double nearest 36.30, as a quote would be. */
static double price_of(int instr, int64_t ticks) {
  return (double)(ticks * llround(INSTRUMENTS[instr].tick * 100)) / 100.0;
}

static int is_terminal(uint8_t status) {
  return status == cosFilled || status == cosCanceled || status == cosRejected;
}

/* Caller holds the lock. */
static Order *order_by_local(int64_t id) {
  return (id >= 1 && id <= g.nOrders) ? g.orders[id - 1] : NULL;
}

/* Caller holds the lock. */
static Order *order_by_identifier(const TConnectorOrderIdentifier *id) {
  if (id->LocalOrderID > 0) return order_by_local(id->LocalOrderID);
  char cl[32];
  w16_to_ascii(id->ClOrderID, cl, sizeof cl);
  if (!cl[0]) return NULL;
  for (int i = 0; i < g.nOrders; i++)
    if (!strcmp(g.orders[i]->clOrdId, cl)) return g.orders[i];
  return NULL;
}

/* Caller holds the lock. */
static Order *new_order(void) {
  if (g.nOrders == g.capOrders) {
    int cap = g.capOrders ? g.capOrders * 2 : 256;
    Order **grown = realloc(g.orders, (size_t)cap * sizeof(Order *));
    if (!grown) return NULL;
    g.orders = grown;
    g.capOrders = cap;
  }
  Order *o = calloc(1, sizeof *o);
  if (!o) return NULL;
  g.orders[g.nOrders++] = o;
  o->localId = g.nOrders;
  return o;
}

static void book_reset(int instr) {
  Book *b = &g.books[instr];
  for (int k = 0; k < LEVELS; k++) b->bid[k] = b->ask[k] = INSTRUMENTS[instr].levelQty;
}

/* Aggregated depth of one side: synthetic levels plus resting client orders. Caller holds the lock. */
static int depth_levels(int instr, int side /* bsBuy / bsSell */, DepthLevel *out) {
  int n = 0;
  const Book *b = &g.books[instr];
  for (int k = 0; k < LEVELS; k++) {
    int64_t q = side == bsBuy ? b->bid[k] : b->ask[k];
    if (q <= 0) continue;
    out[n].price = side == bsBuy ? b->refTicks - (k + 1) : b->refTicks + (k + 1);
    out[n].qty = q;
    out[n].count = 1;
    n++;
  }
  for (int i = 0; i < g.nOrders; i++) {
    const Order *o = g.orders[i];
    if (!o->working || o->instr != instr || (side == bsBuy) != (o->side == cosBuy)) continue;
    int j = 0;
    while (j < n && out[j].price != o->priceTicks) j++;
    if (j == n) {
      if (n == MAX_DEPTH) continue;
      out[n].price = o->priceTicks;
      out[n].qty = 0;
      out[n].count = 0;
      n++;
    }
    out[j].qty += o->qty - o->traded;
    out[j].count++;
  }
  for (int i = 1; i < n; i++) { /* insertion sort: best first */
    DepthLevel v = out[i];
    int j = i - 1;
    while (j >= 0 && (side == bsBuy ? out[j].price < v.price : out[j].price > v.price)) {
      out[j + 1] = out[j];
      j--;
    }
    out[j + 1] = v;
  }
  return n;
}

/* Best resting client order on one side that an aggressor at limitTicks can reach (0 = any price).
 * Caller holds the lock. */
static Order *best_resting(int instr, uint8_t restingSide, int64_t limitTicks, const Order *exclude) {
  Order *best = NULL;
  for (int i = 0; i < g.nOrders; i++) {
    Order *o = g.orders[i];
    if (!o->working || o->instr != instr || o->side != restingSide || o == exclude) continue;
    if (limitTicks) {
      if (restingSide == cosSell && o->priceTicks > limitTicks) continue;
      if (restingSide == cosBuy && o->priceTicks < limitTicks) continue;
    }
    if (!best || (restingSide == cosSell ? o->priceTicks < best->priceTicks : o->priceTicks > best->priceTicks) ||
        (o->priceTicks == best->priceTicks && o->priority < best->priority))
      best = o;
  }
  return best;
}

/* ------------------------------------------------------------------------------------------------ */
/* Persistence: the broker's memory of the day                                                      */

static void persist_order(const Order *o) {
  if (!g.stateFp || !o->clOrdId[0]) return;
  fprintf(g.stateFp, "O\t%s\t%d\t%d\t%u\t%u\t%u\t%lld\t%lld\t%lld\t%.17g\t%lld\t%lld\t%lld\n", o->clOrdId, o->acct,
          o->instr, o->side, o->type, o->status, (long long)o->qty, (long long)o->traded, (long long)o->priceTicks,
          o->execValue, (long long)o->createdMs, (long long)o->updatedMs, (long long)o->closedMs);
  fflush(g.stateFp);
}

static void persist_fill(int acct, int instr, uint8_t side, int64_t qty, int64_t priceTicks) {
  if (!g.stateFp) return;
  fprintf(g.stateFp, "F\t%d\t%d\t%u\t%lld\t%lld\n", acct, instr, side, (long long)qty, (long long)priceTicks);
  fflush(g.stateFp);
}

static void position_apply(int acct, int instr, uint8_t side, int64_t qty, double price) {
  Position *p = &g.positions[acct][instr];
  int64_t signedQty = side == cosBuy ? qty : -qty;
  if (side == cosBuy) {
    p->buyQty += qty;
    p->buyValue += price * (double)qty;
  } else {
    p->sellQty += qty;
    p->sellValue += price * (double)qty;
  }
  int64_t before = p->net, after = p->net + signedQty;
  if (before == 0 || (before > 0) == (signedQty > 0))
    p->openAvg = (p->openAvg * (double)llabs(before) + price * (double)qty) / (double)llabs(after);
  else if (after != 0 && (after > 0) != (before > 0))
    p->openAvg = price; /* crossed through flat: the remainder opened at this price */
  else if (after == 0)
    p->openAvg = 0;
  p->net = after;
}

/* Caller holds the lock (called before the connector thread exists). */
static void load_state(const char *path) {
  char today[16];
  TSystemTime st = brt_systemtime(now_ms());
  snprintf(today, sizeof today, "%04u%02u%02u", st.wYear, st.wMonth, st.wDay);
  FILE *f = fopen(path, "r");
  int sameDay = 0;
  char line[512];
  if (f) {
    if (fgets(line, sizeof line, f) && !strncmp(line, "D\t", 2) && !strncmp(line + 2, today, 8)) sameDay = 1;
    while (sameDay && fgets(line, sizeof line, f)) {
      if (line[0] == 'O') {
        char cl[32];
        int acct, instr;
        unsigned side, type, status;
        long long qty, traded, px, created, updated, closed;
        double value;
        if (sscanf(line, "O\t%31s\t%d\t%d\t%u\t%u\t%u\t%lld\t%lld\t%lld\t%lf\t%lld\t%lld\t%lld", cl, &acct, &instr,
                   &side, &type, &status, &qty, &traded, &px, &value, &created, &updated, &closed) != 13 ||
            acct < 0 || acct >= NACC || instr < 0 || instr >= NINSTR)
          continue;
        Order *o = NULL;
        for (int i = 0; i < g.nOrders && !o; i++)
          if (!strcmp(g.orders[i]->clOrdId, cl)) o = g.orders[i];
        if (!o) {
          o = new_order();
          if (!o) break;
          snprintf(o->clOrdId, sizeof o->clOrdId, "%s", cl);
          o->priority = ++g.prioritySeq;
          const char *dash = strrchr(cl, '-');
          long long seq = dash ? atoll(dash + 1) : 0;
          if (seq >= g.nextClSeq) g.nextClSeq = seq + 1;
        }
        o->acct = acct;
        o->instr = instr;
        o->side = (uint8_t)side;
        o->type = (uint8_t)type;
        o->status = (uint8_t)status;
        o->qty = qty;
        o->traded = traded;
        o->priceTicks = px;
        o->execValue = value;
        o->createdMs = created;
        o->updatedMs = updated;
        o->closedMs = closed;
        o->passwordOk = 1;
        o->working = !is_terminal(o->status) && o->type == cotLimit;
        o->eventId = ++g.eventSeq;
      } else if (line[0] == 'F') {
        int acct, instr;
        unsigned side;
        long long qty, px;
        if (sscanf(line, "F\t%d\t%d\t%u\t%lld\t%lld", &acct, &instr, &side, &qty, &px) == 5 && acct >= 0 &&
            acct < NACC && instr >= 0 && instr < NINSTR)
          position_apply(acct, instr, (uint8_t)side, qty, price_of(instr, px));
      }
    }
    fclose(f);
  }
  g.stateFp = fopen(path, sameDay ? "a" : "w");
  if (g.stateFp && !sameDay) {
    fprintf(g.stateFp, "D\t%s\n", today);
    fflush(g.stateFp);
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* Adversarial mode: the dispatch lock, slow-callback health, hangs                                 */

static int64_t mono_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Set on the thread that holds the dispatch lock for a callback: a thread-local flag, so no other
 * thread ever reads who the owner is while it changes. */
static _Thread_local int t_dispatching;

static int on_dispatching_thread(void) {
  return t_dispatching;
}

/* Called around every callback. In adversarial mode the dispatch lock is held for the callback's whole
 * duration; with the slow-callback check on, its duration is measured. Returns the start time. */
static int64_t cb_enter(void) {
  if (!g.adversarial && !g.slowCallbackMs) return 0;
  if (g.adversarial && !on_dispatching_thread()) {
    pthread_mutex_lock(&g.cbmu);
    while (g.cbBusy) pthread_cond_wait(&g.cbcv, &g.cbmu);
    g.cbBusy = 1;
    pthread_mutex_unlock(&g.cbmu);
    t_dispatching = 1;
  }
  return mono_us();
}

#define CALLBACK(call)           \
  do {                           \
    int64_t cb_t0_ = cb_enter(); \
    call;                        \
    cb_exit(cb_t0_);             \
  } while (0)

static void cb_exit(int64_t t0);
static _Thread_local int t_inPerfEmit;

static void perf_emit(int state) {
  pthread_mutex_lock(&g.mu);
  TStateCallback cb = (g.stopping || !g.marketUp) ? NULL : g.stateCb;
  int changed = cb && g.perfState != state;
  if (changed) g.perfState = state;
  pthread_mutex_unlock(&g.mu);
  if (!changed) return;
  t_inPerfEmit = 1; /* the state callback itself is not measured: no feedback loop */
  CALLBACK(cb(CONNECTION_STATE_MARKET_DATA, state));
  t_inPerfEmit = 0;
}

static void cb_exit(int64_t t0) {
  if (!g.adversarial && !g.slowCallbackMs) return;
  int64_t elapsedUs = mono_us() - t0;
  if (g.adversarial && on_dispatching_thread()) {
    t_dispatching = 0;
    pthread_mutex_lock(&g.cbmu);
    g.cbBusy = 0;
    pthread_cond_broadcast(&g.cbcv);
    pthread_mutex_unlock(&g.cbmu);
  }
  if (!g.slowCallbackMs || t_inPerfEmit) return;
  int64_t slowUs = (int64_t)g.slowCallbackMs * 1000;
  int emit = 0;
  pthread_mutex_lock(&g.mu);
  if (elapsedUs > slowUs) {
    g.fastStreak = 0;
    g.slowStreak++;
    if (g.slowStreak >= 3 || elapsedUs > 10 * slowUs) emit = MARKET_PARTIAL_CONNECTED;
    else if (g.perfState != MARKET_PARTIAL_CONNECTED) emit = MARKET_PERFORMANCE_WARNING;
  } else {
    g.slowStreak = 0;
    if (++g.fastStreak >= 1000 && g.perfState != MARKET_CONNECTED) emit = MARKET_CONNECTED;
  }
  int marketUp = g.marketUp;
  pthread_mutex_unlock(&g.mu);
  if (emit && marketUp) perf_emit(emit);
}


/* An accessor or request called from another thread while a callback runs waits for the dispatch lock,
 * as it would for a Delphi critical section, and gives up after lockWaitMs. The lock is a flag and a
 * condition, so this wait is a pthread_cond_timedwait like the stand-in's other timed waits: a deadline for
 * pthread_mutex_timedlock is read on the kernel's clock, which libfaketime does not translate, so under
 * faketime (the test suite run at another date) that wait never timed out. */
static int dispatch_lock_free(void) {
  if (!g.adversarial || on_dispatching_thread()) return 1;
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += g.lockWaitMs / 1000;
  deadline.tv_nsec += (long)(g.lockWaitMs % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&g.cbmu);
  int rc = 0;
  while (g.cbBusy && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&g.cbcv, &g.cbmu, &deadline);
  const int idle = !g.cbBusy;
  pthread_mutex_unlock(&g.cbmu);
  return idle;
}

#define ACCESSOR_GUARD()                                  \
  if (!dispatch_lock_free()) return NL_NOT_SAME_THREAD;
#define REQUEST_GUARD()                                                    \
  if (g.sameThread && !pthread_equal(pthread_self(), g.loginThread)) return NL_NOT_SAME_THREAD; \
  if (!dispatch_lock_free()) return NL_TIMEOUT;

/* A hanging export: blocks until StandinReleaseHang, DLLFinalize's stop, or hangMs. */
static void maybe_hang(const char *fn, const char *configured) {
  if (!configured || strcmp(configured, fn)) return;
  int ms = env_int("PROFITDLL_STANDIN_HANG_MS", 30000);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += ms / 1000;
  deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&g.mu);
  while (!g.hangReleased && pthread_cond_timedwait(&g.hangCv, &g.mu, &deadline) != ETIMEDOUT) {
  }
  pthread_mutex_unlock(&g.mu);
}

#define HANG_POINT(fn) maybe_hang(fn, g.hangFn)

/* ------------------------------------------------------------------------------------------------ */
/* Delivery from the connector thread (never with the lock held)                                    */

static int stopping(void) {
  pthread_mutex_lock(&g.mu);
  int s = g.stopping;
  pthread_mutex_unlock(&g.mu);
  return s;
}

static void sleep_interruptible(int ms) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += ms / 1000;
  deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (deadline.tv_nsec >= 1000000000L) {
    deadline.tv_sec++;
    deadline.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&g.mu);
  while (!g.stopping && pthread_cond_timedwait(&g.cv, &g.mu, &deadline) != ETIMEDOUT) {
  }
  pthread_mutex_unlock(&g.mu);
}

static void emit_state(int32_t type, int32_t result) {
  pthread_mutex_lock(&g.mu);
  TStateCallback cb = g.stopping ? NULL : g.stateCb;
  pthread_mutex_unlock(&g.mu);
  if (cb) CALLBACK(cb(type, result));
}

static TConnectorAssetIdentifier asset_of(int instr) {
  TConnectorAssetIdentifier a = {0, g_tickerW[instr], g_exchW[instr], 0};
  return a;
}

static TAssetIDRec asset_rec_of(int instr) {
  TAssetIDRec r = {g_tickerW[instr], g_exchW[instr], 0};
  return r;
}

static void fire_order(const Order *o) {
  wchar16 cl[32];
  pthread_mutex_lock(&g.mu);
  TConnectorOrderCallback cb = (g.stopping || !g.routingUp) ? NULL : g.orderCb;
  int64_t id = o->localId;
  ascii_to_w16(o->clOrdId, cl, 32);
  pthread_mutex_unlock(&g.mu);
  if (!cb) return;
  TConnectorOrderIdentifier oi = {0, id, cl};
  CALLBACK(cb(oi));
}

static void fire_trade_full(int instr, int64_t priceTicks, int64_t qty, uint8_t tradeType, int64_t localMs,
                            TConnectorTradeCallback cb, uint32_t flags, uint32_t number) {
  TradeHandle h = {TRADE_MAGIC, {0}};
  h.trade.TradeDate = systemtime_from_local_ms(localMs);
  h.trade.TradeNumber = number;
  h.trade.Price = price_of(instr, priceTicks);
  h.trade.Quantity = qty;
  h.trade.Volume = h.trade.Price * (double)qty * INSTRUMENTS[instr].multiplier;
  h.trade.BuyAgent = 3;
  h.trade.SellAgent = 72;
  h.trade.TradeType = tradeType;
  CALLBACK(cb(asset_of(instr), &h, flags));
  /* The handle is valid only during the callback, as in the real DLL (§10.2); volatile keeps the store. */
  *(volatile uint32_t *)&h.magic = 0;
}

static void fire_trade(int instr, int64_t priceTicks, int64_t qty, uint8_t tradeType) {
  pthread_mutex_lock(&g.mu);
  TConnectorTradeCallback cb = (g.stopping || !g.subTicker[instr]) ? NULL : g.tradeCb;
  uint32_t number = ++g.tradeNo[instr];
  pthread_mutex_unlock(&g.mu);
  if (cb) fire_trade_full(instr, priceTicks, qty, tradeType, now_ms() - BRT_OFFSET_MS, cb, 0, number);
}

static void fire_depth(int instr, uint8_t side, uint8_t updateType) {
  pthread_mutex_lock(&g.mu);
  TConnectorPriceDepthCallback cb = (g.stopping || !g.subDepth[instr]) ? NULL : g.depthCb;
  pthread_mutex_unlock(&g.mu);
  if (cb) CALLBACK(cb(asset_of(instr), side, 0, updateType));
}

static void fire_order_history_loaded(void) {
  pthread_mutex_lock(&g.mu);
  int accounts = g.accounts;
  pthread_mutex_unlock(&g.mu);
  for (int i = 0; i < accounts; i++) {
    pthread_mutex_lock(&g.mu);
    TConnectorAccountCallback cb = g.stopping ? NULL : g.orderHistoryCb;
    pthread_mutex_unlock(&g.mu);
    if (!cb) return;
    TConnectorAccountIdentifier a = {0, ACCOUNTS[i].broker, g_accountW[i], NULL, 0};
    CALLBACK(cb(a));
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* Matching engine (connector thread only; mutations under the lock, delivery after it)            */

static void set_text(Order *o, const char16_t *text) { w16_copy(o->text, 96, text); }

/* Caller holds the lock. */
static void touch(Order *o) {
  o->updatedMs = now_ms();
  o->eventId = ++g.eventSeq;
  if (is_terminal(o->status)) {
    o->closedMs = o->updatedMs;
    o->working = 0;
  }
}

/* Caller holds the lock. */
static void apply_fill(Order *o, int64_t priceTicks, int64_t qty) {
  double price = price_of(o->instr, priceTicks);
  o->traded += qty;
  o->execValue += price * (double)qty;
  o->status = o->traded >= o->qty ? cosFilled : cosPartiallyFilled;
  position_apply(o->acct, o->instr, o->side, qty, price);
  touch(o);
}

static void deliver_fill(const Order *o, int64_t priceTicks, int64_t qty) {
  persist_fill(o->acct, o->instr, o->side, qty, priceTicks);
  persist_order(o);
  fire_order(o);
}

/* An incoming order takes liquidity level by level; each fill is one event. */
static void match_incoming(Order *o) {
  int instr = o->instr;
  uint8_t opposite = o->side == cosBuy ? cosSell : cosBuy;
  for (;;) {
    pthread_mutex_lock(&g.mu);
    int64_t leaves = o->qty - o->traded;
    Book *b = &g.books[instr];
    int k = 0;
    int64_t *syn = o->side == cosBuy ? b->ask : b->bid;
    while (k < LEVELS && syn[k] <= 0) k++;
    int64_t synPrice = k < LEVELS ? (o->side == cosBuy ? b->refTicks + k + 1 : b->refTicks - k - 1) : 0;
    Order *r = best_resting(instr, opposite, o->type == cotMarket ? 0 : o->priceTicks, o);
    int useClient = r && (k == LEVELS || (o->side == cosBuy ? r->priceTicks <= synPrice : r->priceTicks >= synPrice));
    int64_t price = useClient ? r->priceTicks : synPrice;
    int crosses = leaves > 0 && (useClient || k < LEVELS) &&
                  (o->type == cotMarket || (o->side == cosBuy ? price <= o->priceTicks : price >= o->priceTicks));
    if (!crosses) {
      if (leaves > 0 && o->type == cotMarket) {
        o->status = cosCanceled;
        set_text(o, u"Ordem a mercado sem contrapartida: saldo cancelado");
        touch(o);
      } else if (leaves > 0) {
        o->working = 1;
      }
      int cancelled = o->type == cotMarket && leaves > 0;
      pthread_mutex_unlock(&g.mu);
      if (cancelled) {
        persist_order(o);
        fire_order(o);
      } else if (leaves > 0) {
        fire_depth(instr, o->side == cosBuy ? bsBuy : bsSell, utEdit);
      }
      return;
    }
    int64_t available = useClient ? r->qty - r->traded : syn[k];
    int64_t q = leaves < available ? leaves : available;
    apply_fill(o, price, q);
    if (useClient)
      apply_fill(r, price, q);
    else
      syn[k] -= q;
    pthread_mutex_unlock(&g.mu);
    deliver_fill(o, price, q);
    if (useClient) deliver_fill(r, price, q);
    fire_trade(instr, price, q, o->side == cosBuy ? ttBuyAgressor : ttSellAgressor);
    fire_depth(instr, o->side == cosBuy ? bsSell : bsBuy, utEdit);
  }
}

/* Caller holds the lock; returns the pt-BR rejection text or NULL. */
static const char16_t *validate_new(const Order *o) {
  const Instrument *in = &INSTRUMENTS[o->instr];
  if (!o->passwordOk) return u"Assinatura eletrônica inválida";
  if (o->type == cotStopLimit) return u"Tipo de ordem não suportado pelo simulador";
  if (o->qty % in->lot != 0 || o->qty < in->minQty || o->qty > in->maxQty)
    return u"Quantidade inválida para o lote do ativo";
  if (o->type == cotLimit) {
    int64_t ref = g.books[o->instr].refTicks;
    if (o->priceTicks <= 0) return u"Preço fora do tick mínimo do ativo";
    if (llabs(o->priceTicks - ref) * 5 > ref) return u"Preço fora do túnel de negociação";
  }
  return NULL;
}

/* TConnectorTradingMessageResult for the message that created `o` (keyed by its MessageID). */
static void fire_message(const Order *o, uint8_t code, const char16_t *text) {
  wchar16 cl[32];
  pthread_mutex_lock(&g.mu);
  TConnectorTradingMessageResultCallback cb = (g.stopping || !g.routingUp) ? NULL : g.messageCb;
  int64_t id = o->localId, messageId = o->messageId;
  int32_t broker = ACCOUNTS[o->acct].broker;
  ascii_to_w16(o->clOrdId, cl, 32);
  pthread_mutex_unlock(&g.mu);
  if (!cb) return;
  TConnectorTradingMessageResult r = {0, broker, {0, id, cl}, messageId, code, text, (int32_t)w16len(text)};
  CALLBACK(cb(&r));
}

static void process_send(int64_t localId) {
  pthread_mutex_lock(&g.mu);
  Order *o = order_by_local(localId);
  int blocked = o && o->riskBlocked;
  pthread_mutex_unlock(&g.mu);
  if (!o) return;
  if (blocked) {
    /* Refused by the broker's risk control before an order existed: no order callback, only the message. */
    fire_message(o, mrcBlockedByRisk, u"Bloqueado pelo controle de risco da corretora: limite de exposição excedido");
    return;
  }
  fire_order(o); /* cosPendingNew: intermediate acknowledgements are normal (§8.2, 4.0.0.41) */

  pthread_mutex_lock(&g.mu);
  TSystemTime st = brt_systemtime(now_ms());
  snprintf(o->clOrdId, sizeof o->clOrdId, "SIM-%04u%02u%02u-%06lld", st.wYear, st.wMonth, st.wDay,
           (long long)g.nextClSeq++);
  const char16_t *reject = validate_new(o);
  if (reject) {
    o->status = cosRejected;
    set_text(o, reject);
  } else {
    o->status = cosNew;
    o->priority = ++g.prioritySeq;
  }
  touch(o);
  pthread_mutex_unlock(&g.mu);
  persist_order(o);
  fire_message(o, reject ? mrcRejectedBroker : mrcAccepted, reject ? reject : u"");
  fire_order(o);
  if (!reject) match_incoming(o);
}

static void process_change(int64_t localId, int64_t qty, int64_t priceTicks) {
  pthread_mutex_lock(&g.mu);
  Order *o = order_by_local(localId);
  if (!o || is_terminal(o->status)) { /* filled or cancelled while the request was queued */
    pthread_mutex_unlock(&g.mu);
    return;
  }
  uint8_t before = o->status;
  o->status = cosPendingReplace;
  touch(o);
  pthread_mutex_unlock(&g.mu);
  fire_order(o);

  pthread_mutex_lock(&g.mu);
  int64_t ref = g.books[o->instr].refTicks;
  int rejected = llabs(priceTicks - ref) * 5 > ref || qty <= o->traded;
  if (rejected) {
    o->status = before;
    set_text(o, u"Alteração rejeitada: preço fora do túnel de negociação");
  } else {
    if (priceTicks != o->priceTicks) o->priority = ++g.prioritySeq; /* a new price loses queue priority */
    o->priceTicks = priceTicks;
    o->qty = qty;
    o->status = cosReplaced;
    o->text[0] = 0;
  }
  touch(o);
  pthread_mutex_unlock(&g.mu);
  persist_order(o);
  fire_order(o);
  fire_depth(o->instr, o->side == cosBuy ? bsBuy : bsSell, utEdit);
  if (!rejected) match_incoming(o);
}

static void process_cancel(Order *o) {
  pthread_mutex_lock(&g.mu);
  if (is_terminal(o->status)) {
    pthread_mutex_unlock(&g.mu);
    return;
  }
  o->status = cosPendingCancel;
  touch(o);
  pthread_mutex_unlock(&g.mu);
  fire_order(o);

  pthread_mutex_lock(&g.mu);
  o->status = cosCanceled;
  touch(o);
  pthread_mutex_unlock(&g.mu);
  persist_order(o);
  fire_order(o);
  fire_depth(o->instr, o->side == cosBuy ? bsBuy : bsSell, utEdit);
}

/* An aggressor from outside the bridge trades at `priceTicks`; resting client orders it reaches fill
 * first (a documented simplification: the stand-in gives clients priority over synthetic liquidity). */
static void process_market_trade(int instr, uint8_t aggressorSide, int64_t priceTicks, int64_t qty) {
  uint8_t restingSide = aggressorSide == cosBuy ? cosSell : cosBuy;
  uint8_t tradeType = aggressorSide == cosBuy ? ttBuyAgressor : ttSellAgressor;
  while (qty > 0) {
    pthread_mutex_lock(&g.mu);
    Order *r = best_resting(instr, restingSide, priceTicks, NULL);
    if (!r) {
      pthread_mutex_unlock(&g.mu);
      break;
    }
    int64_t leaves = r->qty - r->traded;
    int64_t q = qty < leaves ? qty : leaves;
    int64_t price = r->priceTicks;
    apply_fill(r, price, q);
    pthread_mutex_unlock(&g.mu);
    qty -= q;
    deliver_fill(r, price, q);
    fire_trade(instr, price, q, tradeType);
    fire_depth(instr, restingSide == cosBuy ? bsBuy : bsSell, utEdit);
  }
  if (qty > 0) fire_trade(instr, priceTicks, qty, tradeType);
}

static void process_history(int instr, int64_t startLocal, int64_t endLocal) {
  pthread_mutex_lock(&g.mu);
  TConnectorTradeCallback cb = g.historyTradeCb;
  TProgressCallback progress = g.progressCb;
  int spacing = g.historySpacingMs > 0 ? g.historySpacingMs : 10000;
  int64_t refTicks = g.books[instr].refTicks;
  pthread_mutex_unlock(&g.mu);

  int64_t nowLocal = now_ms() - BRT_OFFSET_MS;
  if (endLocal > nowLocal) endLocal = nowLocal;
  int64_t n = endLocal >= startLocal ? (endLocal - startLocal) / spacing + 1 : 0;
  if (n > 5000000) n = 5000000;

  /* Deterministic per symbol and start, so a test can download the same range twice and compare. */
  uint64_t seed = 1469598103934665603ull ^ (uint64_t)startLocal;
  for (const char *p = INSTRUMENTS[instr].ticker; *p; p++) seed = (seed ^ (uint8_t)*p) * 1099511628211ull;
  int64_t walk = 0;
  int lastProgress = 0;
  for (int64_t i = 0; i < n && cb && !stopping(); i++) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    walk += (int64_t)(seed % 3) - 1;
    if (walk > 50 || walk < -50) walk = 0;
    int64_t qty = INSTRUMENTS[instr].lot * (int64_t)(1 + (seed >> 8) % 10);
    uint8_t type = (seed >> 16) & 1 ? ttBuyAgressor : ttSellAgressor;
    fire_trade_full(instr, refTicks + walk, qty, type, startLocal + i * spacing, cb, i == n - 1 ? TC_LAST_PACKET : 0,
                    (uint32_t)(i + 1));
    int p = (int)((i + 1) * 100 / n);
    if (p > lastProgress && p < 100 && progress) {
      lastProgress = p;
      CALLBACK(progress(asset_rec_of(instr), p));
    }
  }
  if (progress && !stopping()) CALLBACK(progress(asset_rec_of(instr), 100));
}

static void process_ticker_info(int instr) {
  pthread_mutex_lock(&g.mu);
  TAssetListInfoCallbackV2 cb = g.stopping || g.assetInfo == INFO_OFF ? NULL : g.assetInfoCb;
  int64_t junk = g.assetInfo == INFO_GARBAGE ? (int64_t)0x5A5A5A5A << 32 : 0;
  pthread_mutex_unlock(&g.mu);
  if (!cb) return;
  const Instrument *in = &INSTRUMENTS[instr];
  CALLBACK(cb(asset_rec_of(instr), in->name, in->description, in->minQty | junk, in->maxQty | junk, in->lot | junk,
              in->secType, in->subType, in->tick, in->multiplier, in->validDate, g_isinW[instr], in->sector, u"", u""));
}

static void process_routing(int up) {
  if (!up) {
    pthread_mutex_lock(&g.mu);
    g.routingUp = 0;
    pthread_mutex_unlock(&g.mu);
    emit_state(CONNECTION_STATE_ROTEAMENTO, ROTEAMENTO_BROKER_DISCONNECTED);
    return;
  }
  emit_state(CONNECTION_STATE_ROTEAMENTO, ROTEAMENTO_BROKER_CONNECTING);
  pthread_mutex_lock(&g.mu);
  g.routingUp = 1;
  pthread_mutex_unlock(&g.mu);
  emit_state(CONNECTION_STATE_ROTEAMENTO, ROTEAMENTO_BROKER_CONNECTED);
  fire_order_history_loaded();
}

static void market_tick(void) {
  for (int i = 0; i < NINSTR && !stopping(); i++) {
    pthread_mutex_lock(&g.mu);
    int active = g.subTicker[i] || g.subDepth[i];
    uint64_t r = next_random();
    if (active && r % 10 < 3) {
      g.books[i].refTicks += (r >> 8) % 2 ? 1 : -1;
      book_reset(i);
    }
    uint8_t aggressor = (r >> 16) % 2 ? cosBuy : cosSell;
    DepthLevel levels[MAX_DEPTH];
    int n = active ? depth_levels(i, aggressor == cosBuy ? bsSell : bsBuy, levels) : 0;
    int64_t qty = INSTRUMENTS[i].lot * (int64_t)(1 + (r >> 24) % 5);
    pthread_mutex_unlock(&g.mu);
    if (!n) continue;
    fire_depth(i, bsBuy, utEdit);
    fire_depth(i, bsSell, utEdit);
    process_market_trade(i, aggressor, levels[0].price, qty);
  }
}

static void emit_trade_burst(int instr, int64_t count) {
  pthread_mutex_lock(&g.mu);
  int64_t ref = g.books[instr].refTicks;
  pthread_mutex_unlock(&g.mu);
  for (int64_t i = 1; i <= count && !stopping(); i++) fire_trade(instr, ref, i, i % 2 ? ttBuyAgressor : ttSellAgressor);
}

static void login_sequence(void) {
  pthread_mutex_lock(&g.mu);
  int login = g.loginResult, activation = g.activationResult, step = g.stepMs;
  pthread_mutex_unlock(&g.mu);
  sleep_interruptible(step);
  emit_state(CONNECTION_STATE_LOGIN, login);
  if (login != LOGIN_CONNECTED) return;
  sleep_interruptible(step);
  emit_state(CONNECTION_STATE_MARKET_LOGIN, activation);
  if (activation != CONNECTION_ACTIVATE_VALID) return;
  sleep_interruptible(step);
  emit_state(CONNECTION_STATE_ROTEAMENTO, ROTEAMENTO_CONNECTED);
  sleep_interruptible(step);
  pthread_mutex_lock(&g.mu);
  g.routingUp = 1;
  TAccountCallback accountCb = g.accountCb;
  int stopsAt2 = g.routingState == ROTEAMENTO_CONNECTED;
  pthread_mutex_unlock(&g.mu);
  if (!stopsAt2) emit_state(CONNECTION_STATE_ROTEAMENTO, ROTEAMENTO_BROKER_CONNECTED);
  for (int i = 0; i < g.accounts && accountCb && !stopping(); i++)
    CALLBACK(accountCb(ACCOUNTS[i].broker, ACCOUNTS[i].brokerName, g_accountW[i], ACCOUNTS[i].holder));
  fire_order_history_loaded();
  sleep_interruptible(step);
  emit_state(CONNECTION_STATE_MARKET_DATA, MARKET_CONNECTING);
  sleep_interruptible(step);
  pthread_mutex_lock(&g.mu);
  g.marketUp = 1;
  g.perfState = MARKET_CONNECTED;
  pthread_mutex_unlock(&g.mu);
  emit_state(CONNECTION_STATE_MARKET_DATA, MARKET_CONNECTED);
}

static void process(Cmd *c) {
  switch (c->type) {
    case C_SEND:
      process_send(c->id);
      break;
    case C_CHANGE:
      process_change(c->id, c->qty, c->priceTicks);
      break;
    case C_CANCEL: {
      pthread_mutex_lock(&g.mu);
      Order *o = order_by_local(c->id);
      pthread_mutex_unlock(&g.mu);
      if (o) process_cancel(o);
      break;
    }
    case C_CANCEL_ALL:
      for (int64_t id = 1;; id++) {
        pthread_mutex_lock(&g.mu);
        Order *o = order_by_local(id);
        int match = o && o->acct == c->acct && !is_terminal(o->status);
        pthread_mutex_unlock(&g.mu);
        if (!o || stopping()) break;
        if (match) process_cancel(o);
      }
      break;
    case C_HISTORY:
      process_history(c->instr, c->t0, c->t1);
      break;
    case C_TICKER_INFO:
      process_ticker_info(c->instr);
      break;
    case C_DEPTH_SNAPSHOT:
      fire_depth(c->instr, bsBoth, utPrepare);
      fire_depth(c->instr, bsBuy, utFullBook);
      fire_depth(c->instr, bsSell, utFullBook);
      fire_depth(c->instr, bsBoth, utFlush);
      break;
    case C_ROUTING:
      process_routing(c->a);
      break;
    case C_INJECT_STATE:
      emit_state(c->a, c->b);
      break;
    case C_MARKET_TRADE:
      process_market_trade(c->instr, (uint8_t)c->a, c->priceTicks, c->qty);
      break;
    case C_EMIT_TRADES:
      emit_trade_burst(c->instr, c->qty);
      break;
    case C_INJECT_ORDER_STATUS: {
      pthread_mutex_lock(&g.mu);
      Order *o = order_by_local(c->id);
      if (o) {
        o->status = (uint8_t)c->a;
        o->eventId = ++g.eventSeq;
      }
      pthread_mutex_unlock(&g.mu);
      if (o) fire_order(o);
      break;
    }
  }
}

static void *connector_main(void *unused) {
  (void)unused;
  login_sequence();
  for (;;) {
    pthread_mutex_lock(&g.mu);
    int ticked = 0;
    while (!g.stopping && !g.head && !ticked) {
      if (g.marketMs > 0 && g.marketUp) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += g.marketMs / 1000;
        deadline.tv_nsec += (long)(g.marketMs % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
          deadline.tv_sec++;
          deadline.tv_nsec -= 1000000000L;
        }
        ticked = pthread_cond_timedwait(&g.cv, &g.mu, &deadline) == ETIMEDOUT;
      } else {
        pthread_cond_wait(&g.cv, &g.mu);
      }
    }
    if (g.stopping) {
      pthread_mutex_unlock(&g.mu);
      break;
    }
    Cmd *c = g.head;
    if (c) {
      g.head = c->next;
      if (!g.head) g.tail = NULL;
    }
    pthread_mutex_unlock(&g.mu);
    if (c) {
      process(c);
      free(c);
    } else {
      market_tick();
    }
  }
  return NULL;
}

/* Caller holds the lock. */
static int32_t enqueue(Cmd proto) {
  Cmd *c = malloc(sizeof *c);
  if (!c) return NL_INTERNAL_ERROR;
  *c = proto;
  c->next = NULL;
  if (g.tail)
    g.tail->next = c;
  else
    g.head = c;
  g.tail = c;
  pthread_cond_broadcast(&g.cv);
  return NL_OK;
}

/* Caller holds the lock. A test switch: the next order request fails with this code. */
static int32_t take_forced_failure(void) {
  int32_t code = g.failNext;
  g.failNext = NL_OK;
  return code;
}

#define LOCK_INITIALIZED()             \
  pthread_mutex_lock(&g.mu);           \
  if (!g.initialized) {                \
    pthread_mutex_unlock(&g.mu);       \
    return NL_NOT_INITIALIZED;         \
  }

/* The value is computed before unlocking: it may be a call that needs the lock (enqueue, depth_levels). */
#define RETURN_UNLOCK(v)         \
  do {                           \
    int64_t result_ = (v);       \
    pthread_mutex_unlock(&g.mu); \
    return result_;              \
  } while (0)

/* ------------------------------------------------------------------------------------------------ */
/* Lifecycle                                                                                        */

DLLEXPORT int32_t PFX DLLInitializeLogin(const wchar16 *pwcActivationKey, const wchar16 *pwcUser,
                                         const wchar16 *pwcPassword, TStateCallback StateCallback,
                                         void *HistoryCallback, void *OrderChangeCallback,
                                         TAccountCallback AccountCallback, void *NewTradeCallback,
                                         void *NewDailyCallback, void *PriceBookCallback, void *OfferBookCallback,
                                         void *HistoryTradeCallback, TProgressCallback ProgressCallback,
                                         void *TinyBookCallback) {
  (void)HistoryCallback, (void)OrderChangeCallback, (void)NewTradeCallback, (void)NewDailyCallback;
  (void)PriceBookCallback, (void)OfferBookCallback, (void)HistoryTradeCallback, (void)TinyBookCallback;
  pthread_once(&g_tablesOnce, build_tables);
  maybe_hang("DLLInitializeLogin", getenv("PROFITDLL_STANDIN_HANG"));
  if (!w16len(pwcActivationKey)) return NL_NO_LICENSE;
  if (!w16len(pwcUser)) return NL_NO_USER;
  if (!w16len(pwcPassword)) return NL_NO_PASSWORD;

  pthread_mutex_lock(&g.mu);
  if (g.initialized) RETURN_UNLOCK(NL_INTERNAL_ERROR);
  g.stateCb = StateCallback;
  g.accountCb = AccountCallback;
  g.progressCb = ProgressCallback;
  g.orderCb = NULL;
  g.orderHistoryCb = NULL;
  g.tradeCb = g.historyTradeCb = NULL;
  g.depthCb = NULL;
  g.assetInfoCb = NULL;
  g.loginResult = w16_starts_ascii(pwcUser, "blocked")           ? LOGIN_BLOCKED_PASS
                  : w16_eq_ascii(pwcPassword, "wrong-password") ? LOGIN_INVALID_PASS
                                                                 : LOGIN_CONNECTED;
  g.activationResult = w16_starts_ascii(pwcActivationKey, "INVALID") ? CONNECTION_ACTIVATE_INVALID
                                                                      : CONNECTION_ACTIVATE_VALID;
  g.routingUp = g.marketUp = 0;
  g.accounts = 1;
  for (size_t i = 0; pwcUser[i]; i++)
    if (w16_starts_ascii(pwcUser + i, "multi")) g.accounts = NACC;
  w16_copy(g.password, 128, pwcPassword);
  g.nOrders = 0;
  g.nextClSeq = 1;
  g.eventSeq = g.prioritySeq = g.requests = 0;
  g.failNext = NL_OK;
  g.messageSeq = 0;
  g.riskBlockNext = 0;
  g.messageCb = NULL;
  g.adversarial = env_int("PROFITDLL_STANDIN_ADVERSARIAL", 0) != 0;
  g.lockWaitMs = env_int("PROFITDLL_STANDIN_LOCK_WAIT_MS", 1000);
  g.slowCallbackMs = env_int("PROFITDLL_STANDIN_SLOW_CALLBACK_MS", g.adversarial ? 5 : 0);
  g.strictBuffers = env_int("PROFITDLL_STANDIN_STRICT_BUFFERS", 0) != 0;
  g.garbageLengths = env_int("PROFITDLL_STANDIN_GARBAGE_LENGTHS", 0) != 0;
  g.routingState = env_int("PROFITDLL_STANDIN_ROUTING_STATE", ROTEAMENTO_BROKER_CONNECTED);
  g.positionInvalidArgs = env_int("PROFITDLL_STANDIN_POSITION_INVALID_ARGS", 0) != 0;
  g.sameThread = env_int("PROFITDLL_STANDIN_SAME_THREAD", 0) != 0;
  g.loginThread = pthread_self();
  g.perfState = 0;
  g.slowStreak = g.fastStreak = 0;
  g.hangReleased = 0;
  const char *hang = getenv("PROFITDLL_STANDIN_HANG");
  snprintf(g.hangFn, sizeof g.hangFn, "%s", hang ? hang : "");
  memset(g.positions, 0, sizeof g.positions);
  memset(g.subTicker, 0, sizeof g.subTicker);
  memset(g.subDepth, 0, sizeof g.subDepth);
  memset(g.tradeNo, 0, sizeof g.tradeNo);
  for (int i = 0; i < NINSTR; i++) {
    g.books[i].refTicks = (int64_t)floor(INSTRUMENTS[i].ref / INSTRUMENTS[i].tick + 0.5);
    book_reset(i);
  }
  g.stepMs = env_int("PROFITDLL_STANDIN_STEP_MS", 20);
  g.marketMs = env_int("PROFITDLL_STANDIN_MARKET_MS", 1000);
  g.historySpacingMs = env_int("PROFITDLL_STANDIN_HISTORY_SPACING_MS", 10000);
  const char *info = getenv("PROFITDLL_STANDIN_ASSET_INFO");
  g.assetInfo = !info || !strcmp(info, "on") ? INFO_ON : !strcmp(info, "off") ? INFO_OFF : INFO_GARBAGE;
  g.rng = (uint64_t)now_ms() | 1;
  const char *stateFile = getenv("PROFITDLL_STANDIN_STATE_FILE");
  if (stateFile && *stateFile) load_state(stateFile);
  g.stopping = 0;
  if (pthread_create(&g.thread, NULL, connector_main, NULL) != 0) {
    if (g.stateFp) fclose(g.stateFp);
    g.stateFp = NULL;
    RETURN_UNLOCK(NL_INTERNAL_ERROR);
  }
  g.initialized = 1;
  RETURN_UNLOCK(NL_OK);
}

DLLEXPORT int32_t PFX DLLFinalize(void) {
  HANG_POINT("DLLFinalize");
  if (g.initialized && g.sameThread && !pthread_equal(pthread_self(), g.loginThread)) return NL_NOT_SAME_THREAD;
  LOCK_INITIALIZED();
  g.stopping = 1;
  pthread_cond_broadcast(&g.cv);
  pthread_t thread = g.thread;
  pthread_mutex_unlock(&g.mu);
  /* Joining may wait for a callback in flight; koffi relays it only when the JS event loop runs, which
   * is why the binding calls DLLFinalize through its asynchronous form (§11.3). */
  pthread_join(thread, NULL);
  pthread_mutex_lock(&g.mu);
  while (g.head) {
    Cmd *c = g.head;
    g.head = c->next;
    free(c);
  }
  g.tail = NULL;
  for (int i = 0; i < g.nOrders; i++) free(g.orders[i]);
  free(g.orders);
  g.orders = NULL;
  g.nOrders = g.capOrders = 0;
  if (g.stateFp) fclose(g.stateFp);
  g.stateFp = NULL;
  g.stateCb = NULL;
  g.accountCb = NULL;
  g.progressCb = NULL;
  g.orderCb = NULL;
  g.orderHistoryCb = NULL;
  g.tradeCb = g.historyTradeCb = NULL;
  g.depthCb = NULL;
  g.assetInfoCb = NULL;
  g.messageCb = NULL;
  g.hangReleased = 0; /* a release ends this session's hangs, not the next one's */
  g.initialized = 0;
  RETURN_UNLOCK(NL_OK);
}

#define SETTER(name, type, field)          \
  DLLEXPORT int32_t PFX name(type cb) {    \
    LOCK_INITIALIZED();                    \
    g.field = cb;                          \
    RETURN_UNLOCK(NL_OK);                  \
  }

SETTER(SetOrderCallback, TConnectorOrderCallback, orderCb)
SETTER(SetOrderHistoryCallback, TConnectorAccountCallback, orderHistoryCb)
SETTER(SetTradeCallbackV2, TConnectorTradeCallback, tradeCb)
SETTER(SetHistoryTradeCallbackV2, TConnectorTradeCallback, historyTradeCb)
SETTER(SetPriceDepthCallback, TConnectorPriceDepthCallback, depthCb)
SETTER(SetAssetListInfoCallbackV2, TAssetListInfoCallbackV2, assetInfoCb)
SETTER(SetTradingMessageResultCallback, TConnectorTradingMessageResultCallback, messageCb)

/* ------------------------------------------------------------------------------------------------ */
/* Market data                                                                                      */

static int32_t set_ticker_subscription(const wchar16 *ticker, const wchar16 *bolsa, int on) {
  int32_t err = NL_OK;
  if (on) HANG_POINT("SubscribeTicker");
  REQUEST_GUARD();
  LOCK_INITIALIZED();
  int instr = find_instr(ticker, bolsa, &err);
  if (instr < 0) RETURN_UNLOCK(err);
  g.subTicker[instr] = on;
  RETURN_UNLOCK(NL_OK);
}

DLLEXPORT int32_t PFX SubscribeTicker(const wchar16 *pwcTicker, const wchar16 *pwcBolsa) {
  return set_ticker_subscription(pwcTicker, pwcBolsa, 1);
}

DLLEXPORT int32_t PFX UnsubscribeTicker(const wchar16 *pwcTicker, const wchar16 *pwcBolsa) {
  return set_ticker_subscription(pwcTicker, pwcBolsa, 0);
}

static int find_asset(const TConnectorAssetIdentifier *a, int32_t *err) {
  if (!a) {
    *err = NL_INVALID_ARGS;
    return -1;
  }
  if (a->Version != 0) {
    *err = NL_VERSION_NOT_SUPPORTED;
    return -1;
  }
  return find_instr(a->Ticker, a->Exchange, err);
}

DLLEXPORT int32_t PFX SubscribePriceDepth(const TConnectorAssetIdentifier *a_pAssetID) {
  int32_t err = NL_OK;
  LOCK_INITIALIZED();
  int instr = find_asset(a_pAssetID, &err);
  if (instr < 0) RETURN_UNLOCK(err);
  g.subDepth[instr] = 1;
  RETURN_UNLOCK(enqueue((Cmd){.type = C_DEPTH_SNAPSHOT, .instr = instr}));
}

DLLEXPORT int32_t PFX UnsubscribePriceDepth(const TConnectorAssetIdentifier *a_pAssetID) {
  int32_t err = NL_OK;
  LOCK_INITIALIZED();
  int instr = find_asset(a_pAssetID, &err);
  if (instr < 0) RETURN_UNLOCK(err);
  g.subDepth[instr] = 0;
  RETURN_UNLOCK(NL_OK);
}

DLLEXPORT int32_t PFX GetPriceGroup(const TConnectorAssetIdentifier *a_pAssetID, uint8_t a_nSide, int32_t a_nPosition,
                                    TConnectorPriceGroup *a_pPrice) {
  int32_t err = NL_OK;
  DepthLevel levels[MAX_DEPTH];
  ACCESSOR_GUARD();
  LOCK_INITIALIZED();
  if (!a_pPrice) RETURN_UNLOCK(NL_INVALID_ARGS);
  if (a_pPrice->Version != 0) RETURN_UNLOCK(NL_VERSION_NOT_SUPPORTED);
  int instr = find_asset(a_pAssetID, &err);
  if (instr < 0) RETURN_UNLOCK(err);
  if (!g.subDepth[instr]) RETURN_UNLOCK(NL_NOT_FOUND);
  if (a_nSide != bsBuy && a_nSide != bsSell) RETURN_UNLOCK(NL_INVALID_ARGS);
  int n = depth_levels(instr, a_nSide, levels);
  if (a_nPosition < 0 || a_nPosition >= n) RETURN_UNLOCK(NL_OUT_OF_RANGE);
  a_pPrice->Price = price_of(instr, levels[a_nPosition].price);
  a_pPrice->Count = levels[a_nPosition].count;
  a_pPrice->Quantity = levels[a_nPosition].qty;
  a_pPrice->PriceGroupFlags = 0;
  RETURN_UNLOCK(NL_OK);
}

DLLEXPORT int32_t PFX TranslateTrade(void *a_pTrade, TConnectorTrade *a_Trade) {
  HANG_POINT("TranslateTrade");
  ACCESSOR_GUARD();
  LOCK_INITIALIZED();
  pthread_mutex_unlock(&g.mu);
  if (!a_pTrade || !a_Trade) return NL_INVALID_ARGS;
  if (a_Trade->Version != 0) return NL_VERSION_NOT_SUPPORTED;
  const TradeHandle *h = a_pTrade;
  if (h->magic != TRADE_MAGIC) return NL_INVALID_ARGS;
  *a_Trade = h->trade;
  return NL_OK;
}

DLLEXPORT int32_t PFX RequestTickerInfo(const wchar16 *pwcTicker, const wchar16 *pwcBolsa) {
  int32_t err = NL_OK;
  LOCK_INITIALIZED();
  int instr = find_instr(pwcTicker, pwcBolsa, &err);
  if (instr < 0) RETURN_UNLOCK(err);
  RETURN_UNLOCK(enqueue((Cmd){.type = C_TICKER_INFO, .instr = instr}));
}

/* "DD/MM/YYYY HH:mm:SS", optionally with ".ZZZ" or ":ZZZ" (§10.3, §11.4) -> local milliseconds. */
static int parse_history_date(const wchar16 *s, int64_t *out) {
  char a[40];
  int d, m, y, hh, mi, ss, ms = 0;
  char sep;
  w16_to_ascii(s, a, sizeof a);
  int n = sscanf(a, "%2d/%2d/%4d %2d:%2d:%2d%c%3d", &d, &m, &y, &hh, &mi, &ss, &sep, &ms);
  if (n != 6 && !(n == 8 && (sep == '.' || sep == ':'))) return 0;
  if (m < 1 || m > 12 || d < 1 || d > 31 || hh > 23 || mi > 59 || ss > 59) return 0;
  *out = days_from_civil(y, (unsigned)m, (unsigned)d) * DAY_MS + hh * 3600000LL + mi * 60000LL + ss * 1000LL + ms;
  return 1;
}

DLLEXPORT int32_t PFX GetHistoryTrades(const wchar16 *pwcTicker, const wchar16 *pwcBolsa, const wchar16 *dtDateStart,
                                       const wchar16 *dtDateEnd) {
  int32_t err = NL_OK;
  int64_t start, end;
  LOCK_INITIALIZED();
  int instr = find_instr(pwcTicker, pwcBolsa, &err);
  if (instr < 0) RETURN_UNLOCK(err);
  if (!parse_history_date(dtDateStart, &start) || !parse_history_date(dtDateEnd, &end) || end < start)
    RETURN_UNLOCK(NL_INVALID_ARGS);
  if (start < now_ms() - BRT_OFFSET_MS - 30 * DAY_MS) RETURN_UNLOCK(NL_HISTORY_PERIOD_LIMIT);
  if ((w16_starts_ascii(pwcTicker, "WIN") || w16_starts_ascii(pwcTicker, "WDO")) && end - start >= 10 * DAY_MS)
    RETURN_UNLOCK(NL_INVALID_ARGS);
  RETURN_UNLOCK(enqueue((Cmd){.type = C_HISTORY, .instr = instr, .t0 = start, .t1 = end}));
}

/* ------------------------------------------------------------------------------------------------ */
/* Routing                                                                                          */

/* Caller holds the lock. */
static int32_t routing_precheck(void) {
  g.requests++;
  if (g.loginResult != LOGIN_CONNECTED || g.activationResult != CONNECTION_ACTIVATE_VALID || !g.routingUp)
    return NL_NO_LOGIN;
  return take_forced_failure();
}

/* Caller holds the lock. */
static int64_t create_order(int acct, int instr, uint8_t side, uint8_t type, int64_t qty, int64_t priceTicks,
                            const wchar16 *password) {
  Order *o = new_order();
  if (!o) return NL_INTERNAL_ERROR;
  o->acct = acct;
  o->instr = instr;
  o->side = side;
  o->type = type;
  o->qty = qty;
  o->priceTicks = type == cotMarket ? 0 : priceTicks;
  o->status = cosPendingNew;
  o->passwordOk = w16len(password) && w16_eq(password, g.password);
  o->createdMs = o->updatedMs = now_ms();
  o->eventId = ++g.eventSeq;
  o->messageId = ++g.messageSeq;
  o->riskBlocked = g.riskBlockNext;
  g.riskBlockNext = 0;
  int32_t rc = enqueue((Cmd){.type = C_SEND, .id = o->localId});
  return rc == NL_OK ? o->localId : rc;
}

DLLEXPORT int64_t PFX SendOrder(TConnectorSendOrder *a_SendOrder) {
  int32_t err = NL_OK;
  HANG_POINT("SendOrder");
  REQUEST_GUARD();
  LOCK_INITIALIZED();
  if (!a_SendOrder) RETURN_UNLOCK(NL_INVALID_ARGS);
  if (a_SendOrder->Version > 2) RETURN_UNLOCK(NL_VERSION_NOT_SUPPORTED);
  int32_t pre = routing_precheck();
  if (pre != NL_OK) RETURN_UNLOCK(pre);
  int acct = find_account(&a_SendOrder->AccountID, &err);
  if (acct < 0) RETURN_UNLOCK(err);
  int instr = find_asset(&a_SendOrder->AssetID, &err);
  if (instr < 0) RETURN_UNLOCK(err);
  uint8_t type = a_SendOrder->OrderType, side = a_SendOrder->OrderSide;
  if (a_SendOrder->Version == 0) { /* V0 encodings (§7): limit 0 / stop 1 / market 2; buy 0 / sell 1 */
    type = type == cotV0Limit ? cotLimit : type == cotV0Stop ? cotStopLimit : type == cotV0Market ? cotMarket : 0;
    side = side == 0 ? cosBuy : side == 1 ? cosSell : 0;
  }
  if ((type != cotMarket && type != cotLimit && type != cotStopLimit) || (side != cosBuy && side != cosSell) ||
      a_SendOrder->Quantity <= 0)
    RETURN_UNLOCK(NL_INVALID_ARGS);
  int onTick = 1;
  int64_t ticks = type == cotMarket ? 0 : ticks_of(instr, a_SendOrder->Price, &onTick);
  if (type != cotMarket && (a_SendOrder->Price <= 0 || !onTick)) RETURN_UNLOCK(NL_INVALID_ARGS);
  int64_t id = create_order(acct, instr, side, type, a_SendOrder->Quantity, ticks, a_SendOrder->Password);
  /* MessageID is an output from Version 2 (§6.3): the key of the TConnectorTradingMessageResult to come. */
  if (id > 0 && a_SendOrder->Version >= 2) a_SendOrder->MessageID = order_by_local(id)->messageId;
  pthread_mutex_unlock(&g.mu);
  return id;
}

DLLEXPORT int32_t PFX SendChangeOrderV2(const TConnectorChangeOrder *a_ChangeOrder) {
  int32_t err = NL_OK;
  REQUEST_GUARD();
  LOCK_INITIALIZED();
  if (!a_ChangeOrder) RETURN_UNLOCK(NL_INVALID_ARGS);
  if (a_ChangeOrder->Version > 1) RETURN_UNLOCK(NL_VERSION_NOT_SUPPORTED);
  int32_t pre = routing_precheck();
  if (pre != NL_OK) RETURN_UNLOCK(pre);
  int acct = find_account(&a_ChangeOrder->AccountID, &err);
  if (acct < 0) RETURN_UNLOCK(err);
  Order *o = order_by_identifier(&a_ChangeOrder->OrderID);
  if (!o || o->acct != acct) RETURN_UNLOCK(NL_NOT_FOUND);
  int onTick = 1;
  int64_t ticks = ticks_of(o->instr, a_ChangeOrder->Price, &onTick);
  if (is_terminal(o->status) || o->type != cotLimit || a_ChangeOrder->Price <= 0 || !onTick ||
      a_ChangeOrder->Quantity <= o->traded || a_ChangeOrder->Quantity % INSTRUMENTS[o->instr].lot != 0)
    RETURN_UNLOCK(NL_INVALID_ARGS);
  RETURN_UNLOCK(enqueue(
      (Cmd){.type = C_CHANGE, .id = o->localId, .qty = a_ChangeOrder->Quantity, .priceTicks = ticks}));
}

DLLEXPORT int32_t PFX SendCancelOrderV2(const TConnectorCancelOrder *a_CancelOrder) {
  int32_t err = NL_OK;
  REQUEST_GUARD();
  LOCK_INITIALIZED();
  if (!a_CancelOrder) RETURN_UNLOCK(NL_INVALID_ARGS);
  if (a_CancelOrder->Version > 1) RETURN_UNLOCK(NL_VERSION_NOT_SUPPORTED);
  int32_t pre = routing_precheck();
  if (pre != NL_OK) RETURN_UNLOCK(pre);
  int acct = find_account(&a_CancelOrder->AccountID, &err);
  if (acct < 0) RETURN_UNLOCK(err);
  Order *o = order_by_identifier(&a_CancelOrder->OrderID);
  if (!o || o->acct != acct) RETURN_UNLOCK(NL_NOT_FOUND);
  if (is_terminal(o->status)) RETURN_UNLOCK(NL_INVALID_ARGS);
  RETURN_UNLOCK(enqueue((Cmd){.type = C_CANCEL, .id = o->localId}));
}

DLLEXPORT int32_t PFX SendCancelAllOrdersV2(const TConnectorCancelAllOrders *a_CancelOrder) {
  int32_t err = NL_OK;
  REQUEST_GUARD();
  LOCK_INITIALIZED();
  if (!a_CancelOrder) RETURN_UNLOCK(NL_INVALID_ARGS);
  if (a_CancelOrder->Version != 0) RETURN_UNLOCK(NL_VERSION_NOT_SUPPORTED);
  int32_t pre = routing_precheck();
  if (pre != NL_OK) RETURN_UNLOCK(pre);
  int acct = find_account(&a_CancelOrder->AccountID, &err);
  if (acct < 0) RETURN_UNLOCK(err);
  RETURN_UNLOCK(enqueue((Cmd){.type = C_CANCEL_ALL, .acct = acct}));
}

DLLEXPORT int64_t PFX SendZeroPositionV2(TConnectorZeroPosition *a_ZeroPosition) {
  int32_t err = NL_OK;
  REQUEST_GUARD();
  LOCK_INITIALIZED();
  if (!a_ZeroPosition) RETURN_UNLOCK(NL_INVALID_ARGS);
  if (a_ZeroPosition->Version > 2) RETURN_UNLOCK(NL_VERSION_NOT_SUPPORTED);
  int32_t pre = routing_precheck();
  if (pre != NL_OK) RETURN_UNLOCK(pre);
  int acct = find_account(&a_ZeroPosition->AccountID, &err);
  if (acct < 0) RETURN_UNLOCK(err);
  int instr = find_asset(&a_ZeroPosition->AssetID, &err);
  if (instr < 0) RETURN_UNLOCK(err);
  if (a_ZeroPosition->Version >= 1 && a_ZeroPosition->PositionType != cptDayTrade &&
      a_ZeroPosition->PositionType != cptConsolidated)
    RETURN_UNLOCK(NL_INVALID_ARGS);
  int64_t net = g.positions[acct][instr].net;
  if (net == 0) RETURN_UNLOCK(NL_NO_POSITION);
  int market = a_ZeroPosition->Price < 0;
  int onTick = 1;
  int64_t ticks = market ? 0 : ticks_of(instr, a_ZeroPosition->Price, &onTick);
  if (!onTick) RETURN_UNLOCK(NL_INVALID_ARGS);
  int64_t id = create_order(acct, instr, net > 0 ? cosSell : cosBuy, market ? cotMarket : cotLimit, llabs(net), ticks,
                            a_ZeroPosition->Password);
  if (id > 0 && a_ZeroPosition->Version >= 2) a_ZeroPosition->MessageID = order_by_local(id)->messageId;
  pthread_mutex_unlock(&g.mu);
  return id;
}

/* Caller holds the lock. */
/* Returns 0 when a buffer was NULL with a non-zero length and the strict-buffer switch is on. */
static int fill_order_out(const Order *o, TConnectorOrderOut *p) {
  int ok = 1;
  p->AccountID.Version = 0;
  p->AccountID.BrokerID = ACCOUNTS[o->acct].broker;
  w16_copy(p->AccountID.AccountID, 100, g_accountW[o->acct]);
  p->AccountID.AccountIDLength = (int32_t)w16len(g_accountW[o->acct]);
  p->AccountID.SubAccountID[0] = 0;
  p->AccountID.SubAccountIDLength = 0;
  p->AccountID.Reserved = 0;
  p->AssetID.Version = 0;
  ok &= out_string(p->AssetID.Ticker, &p->AssetID.TickerLength, g_tickerW[o->instr]);
  ok &= out_string(p->AssetID.Exchange, &p->AssetID.ExchangeLength, g_exchW[o->instr]);
  p->AssetID.FeedType = 0;
  p->Quantity = o->qty;
  p->TradedQuantity = o->traded;
  p->LeavesQuantity = is_terminal(o->status) ? 0 : o->qty - o->traded;
  p->Price = o->type == cotMarket ? -1 : price_of(o->instr, o->priceTicks);
  p->StopPrice = -1;
  p->AveragePrice = o->traded ? o->execValue / (double)o->traded : 0;
  p->OrderSide = o->side;
  p->OrderType = o->type;
  p->OrderStatus = o->status;
  p->ValidityType = btfDay;
  p->Date = brt_systemtime(o->createdMs);
  p->LastUpdate = brt_systemtime(o->updatedMs);
  p->CloseDate = brt_systemtime(o->closedMs);
  p->ValidityDate = (TSystemTime){0};
  ok &= out_string(p->TextMessage, &p->TextMessageLength, o->text);
  if (p->Version >= 1) p->EventID = o->eventId;
  return ok;
}

DLLEXPORT int32_t PFX GetOrderDetails(TConnectorOrderOut *a_Order) {
  ACCESSOR_GUARD();
  LOCK_INITIALIZED();
  if (!a_Order) RETURN_UNLOCK(NL_INVALID_ARGS);
  if (a_Order->Version > 1) RETURN_UNLOCK(NL_VERSION_NOT_SUPPORTED);
  Order *o = order_by_identifier(&a_Order->OrderID);
  if (!o) RETURN_UNLOCK(NL_NOT_FOUND);
  RETURN_UNLOCK(fill_order_out(o, a_Order) ? NL_OK : NL_INTERNAL_ERROR);
}

DLLEXPORT int32_t PFX EnumerateAllOrders(const TConnectorAccountIdentifier *a_AccountID, uint8_t a_OrderVersion,
                                         intptr_t a_Param, TConnectorEnumerateOrdersProc a_Callback) {
  int32_t err = NL_OK;
  LOCK_INITIALIZED();
  if (!a_Callback) RETURN_UNLOCK(NL_INVALID_ARGS);
  if (a_OrderVersion > 1) RETURN_UNLOCK(NL_VERSION_NOT_SUPPORTED);
  int acct = find_account(a_AccountID, &err);
  if (acct < 0) RETURN_UNLOCK(err);
  /* Iterate over a copy: the enumerator runs on the calling thread and may take its time. */
  int n = 0;
  Order *copy = malloc((size_t)(g.nOrders ? g.nOrders : 1) * sizeof(Order));
  if (!copy) RETURN_UNLOCK(NL_INTERNAL_ERROR);
  for (int i = 0; i < g.nOrders; i++)
    if (g.orders[i]->acct == acct && g.orders[i]->clOrdId[0]) copy[n++] = *g.orders[i];
  pthread_mutex_unlock(&g.mu);
  for (int i = 0; i < n; i++) {
    const Order *o = &copy[i];
    wchar16 cl[32];
    ascii_to_w16(o->clOrdId, cl, 32);
    TConnectorOrder out = {0};
    out.Version = a_OrderVersion;
    out.OrderID = (TConnectorOrderIdentifier){0, o->localId, cl};
    out.AccountID = (TConnectorAccountIdentifier){0, ACCOUNTS[acct].broker, g_accountW[acct], NULL, 0};
    out.AssetID = asset_of(o->instr);
    out.Quantity = o->qty;
    out.TradedQuantity = o->traded;
    out.LeavesQuantity = is_terminal(o->status) ? 0 : o->qty - o->traded;
    out.Price = o->type == cotMarket ? -1 : price_of(o->instr, o->priceTicks);
    out.StopPrice = -1;
    out.AveragePrice = o->traded ? o->execValue / (double)o->traded : 0;
    out.OrderSide = o->side;
    out.OrderType = o->type;
    out.OrderStatus = o->status;
    out.ValidityType = btfDay;
    out.Date = brt_systemtime(o->createdMs);
    out.LastUpdate = brt_systemtime(o->updatedMs);
    out.CloseDate = brt_systemtime(o->closedMs);
    out.TextMessage = o->text;
    if (a_OrderVersion >= 1) out.EventID = o->eventId;
    if (!a_Callback(&out, a_Param)) break;
  }
  free(copy);
  return NL_OK;
}

/* ------------------------------------------------------------------------------------------------ */
/* Accounts and positions                                                                           */

DLLEXPORT int32_t PFX GetAccountCount(void) {
  HANG_POINT("GetAccountCount");
  REQUEST_GUARD();
  LOCK_INITIALIZED();
  RETURN_UNLOCK(g.routingUp ? g.accounts : 0);
}

DLLEXPORT int32_t PFX GetAccounts(int32_t a_nStartSource, int32_t a_nStartDest, int32_t a_nCount,
                                  TConnectorAccountIdentifierOut *a_arAccounts) {
  LOCK_INITIALIZED();
  if (!a_arAccounts || a_nStartSource < 0 || a_nStartDest < 0 || a_nCount < 0) RETURN_UNLOCK(NL_INVALID_ARGS);
  int available = g.routingUp ? g.accounts : 0;
  if (a_nStartSource > available) RETURN_UNLOCK(NL_OUT_OF_RANGE);
  int n = 0;
  for (int i = a_nStartSource; i < available && n < a_nCount; i++, n++) {
    TConnectorAccountIdentifierOut *out = &a_arAccounts[a_nStartDest + n];
    memset(out, 0, sizeof *out);
    out->BrokerID = ACCOUNTS[i].broker;
    w16_copy(out->AccountID, 100, g_accountW[i]);
    out->AccountIDLength = (int32_t)w16len(g_accountW[i]);
  }
  RETURN_UNLOCK(n);
}

DLLEXPORT int32_t PFX GetAccountDetails(TConnectorTradingAccountOut *a_Account) {
  int32_t err = NL_OK;
  LOCK_INITIALIZED();
  if (!a_Account) RETURN_UNLOCK(NL_INVALID_ARGS);
  if (a_Account->Version > 1) RETURN_UNLOCK(NL_VERSION_NOT_SUPPORTED);
  int acct = find_account(&a_Account->AccountID, &err);
  if (acct < 0 || !g.routingUp) RETURN_UNLOCK(acct < 0 ? err : NL_NOT_FOUND);
  int ok = out_string(a_Account->BrokerName, &a_Account->BrokerNameLength, ACCOUNTS[acct].brokerName);
  ok &= out_string(a_Account->OwnerName, &a_Account->OwnerNameLength, ACCOUNTS[acct].holder);
  ok &= out_string(a_Account->SubOwnerName, &a_Account->SubOwnerNameLength, u"");
  if (!ok) RETURN_UNLOCK(NL_INTERNAL_ERROR);
  a_Account->AccountFlags = CA_IS_ENABLED;
  if (a_Account->Version >= 1) a_Account->AccountType = cutOwner;
  RETURN_UNLOCK(NL_OK);
}

DLLEXPORT int32_t PFX GetPositionV2(TConnectorTradingAccountPosition *a_Position) {
  int32_t err = NL_OK;
  LOCK_INITIALIZED();
  if (!a_Position) RETURN_UNLOCK(NL_INVALID_ARGS);
  if (a_Position->Version > 2) RETURN_UNLOCK(NL_VERSION_NOT_SUPPORTED);
  int acct = find_account(&a_Position->AccountID, &err);
  if (acct < 0) RETURN_UNLOCK(err);
  int instr = find_asset(&a_Position->AssetID, &err);
  if (instr < 0) RETURN_UNLOCK(err);
  if (a_Position->Version >= 1 && a_Position->PositionType != cptDayTrade &&
      a_Position->PositionType != cptConsolidated)
    RETURN_UNLOCK(NL_INVALID_ARGS);
  const Position *p = &g.positions[acct][instr];
  if (g.positionInvalidArgs) RETURN_UNLOCK(NL_INVALID_ARGS);
  if (p->buyQty == 0 && p->sellQty == 0) RETURN_UNLOCK(NL_NO_POSITION);
  a_Position->OpenQuantity = llabs(p->net);
  a_Position->OpenAveragePrice = p->openAvg;
  a_Position->OpenSide = p->net > 0 ? 1 : p->net < 0 ? 2 : 0;
  a_Position->DailyAverageSellPrice = p->sellQty ? p->sellValue / (double)p->sellQty : 0;
  a_Position->DailySellQuantity = p->sellQty;
  a_Position->DailyAverageBuyPrice = p->buyQty ? p->buyValue / (double)p->buyQty : 0;
  a_Position->DailyBuyQuantity = p->buyQty;
  a_Position->DailyQuantityD1 = a_Position->DailyQuantityD2 = a_Position->DailyQuantityD3 = 0;
  a_Position->DailyQuantityBlocked = a_Position->DailyQuantityPending = 0;
  a_Position->DailyQuantityAlloc = a_Position->DailyQuantityProvision = 0;
  a_Position->DailyQuantity = p->net;
  a_Position->DailyQuantityAvailable = p->net;
  if (a_Position->Version >= 2) a_Position->EventID = g.eventSeq;
  RETURN_UNLOCK(NL_OK);
}

/* ------------------------------------------------------------------------------------------------ */
/* Test switches: not part of the ProfitDLL ABI; the binding never calls them                       */

DLLEXPORT int32_t PFX StandinSetRouting(int32_t up) {
  LOCK_INITIALIZED();
  RETURN_UNLOCK(enqueue((Cmd){.type = C_ROUTING, .a = up != 0}));
}

DLLEXPORT int32_t PFX StandinInjectState(int32_t nConnStateType, int32_t nResult) {
  LOCK_INITIALIZED();
  RETURN_UNLOCK(enqueue((Cmd){.type = C_INJECT_STATE, .a = nConnStateType, .b = nResult}));
}

DLLEXPORT int32_t PFX StandinFailNextRequest(int32_t code) {
  LOCK_INITIALIZED();
  g.failNext = code;
  RETURN_UNLOCK(NL_OK);
}

DLLEXPORT int32_t PFX StandinMarketTrade(const wchar16 *pwcTicker, const wchar16 *pwcBolsa, int32_t aggressorSide,
                                         double price, int64_t qty) {
  int32_t err = NL_OK;
  LOCK_INITIALIZED();
  int instr = find_instr(pwcTicker, pwcBolsa, &err);
  if (instr < 0) RETURN_UNLOCK(err);
  int onTick = 1;
  int64_t ticks = ticks_of(instr, price, &onTick);
  if ((aggressorSide != cosBuy && aggressorSide != cosSell) || !onTick || ticks <= 0 || qty <= 0)
    RETURN_UNLOCK(NL_INVALID_ARGS);
  RETURN_UNLOCK(enqueue((Cmd){.type = C_MARKET_TRADE, .instr = instr, .a = aggressorSide, .priceTicks = ticks, .qty = qty}));
}

/* A burst of `count` trades with quantity = sequence number (1, 2, 3, ...), so the receiver can prove nothing
 * was lost or reordered. From the connector thread, like real market data; or, with onCallerThread, from the
 * calling thread inside this call, which fills the client's queue before its event loop can drain any of it. */
DLLEXPORT int32_t PFX StandinEmitTrades(const wchar16 *pwcTicker, const wchar16 *pwcBolsa, int32_t count,
                                        int32_t onCallerThread) {
  int32_t err = NL_OK;
  LOCK_INITIALIZED();
  int instr = find_instr(pwcTicker, pwcBolsa, &err);
  if (instr < 0) RETURN_UNLOCK(err);
  if (count <= 0 || !g.subTicker[instr]) RETURN_UNLOCK(NL_INVALID_ARGS);
  if (!onCallerThread) RETURN_UNLOCK(enqueue((Cmd){.type = C_EMIT_TRADES, .instr = instr, .qty = count}));
  pthread_mutex_unlock(&g.mu);
  emit_trade_burst(instr, count);
  return NL_OK;
}

DLLEXPORT int32_t PFX StandinInjectOrderStatus(int64_t localOrderId, int32_t status) {
  LOCK_INITIALIZED();
  if (!order_by_local(localOrderId)) RETURN_UNLOCK(NL_NOT_FOUND);
  RETURN_UNLOCK(enqueue((Cmd){.type = C_INJECT_ORDER_STATUS, .id = localOrderId, .a = status}));
}

/* Delivers the order callback for `localOrderId` `count` times from the calling thread, synchronously: a
 * test can fill the client's queue faster than its event loop drains it, which the relay from the
 * connector thread only does by chance. An id the library does not know is delivered too, as a report the
 * client cannot look up. */
DLLEXPORT int32_t PFX StandinRepeatOrderEvent(int64_t localOrderId, int32_t count) {
  LOCK_INITIALIZED();
  TConnectorOrderCallback cb = g.orderCb;
  Order *o = order_by_local(localOrderId);
  wchar16 cl[32];
  ascii_to_w16(o ? o->clOrdId : "", cl, 32);
  pthread_mutex_unlock(&g.mu);
  TConnectorOrderIdentifier oi = {0, localOrderId, cl};
  for (int32_t i = 0; cb && i < count; i++) CALLBACK(cb(oi));
  return NL_OK;
}

/* One trade of quantity 1 at the reference price, from the calling thread, with the given flags; with
 * validHandle 0 the trade handle is NULL, which TranslateTrade refuses. */
DLLEXPORT int32_t PFX StandinEmitRawTrade(const wchar16 *pwcTicker, const wchar16 *pwcBolsa, int32_t validHandle,
                                          uint32_t flags) {
  int32_t err = NL_OK;
  LOCK_INITIALIZED();
  int instr = find_instr(pwcTicker, pwcBolsa, &err);
  TConnectorTradeCallback cb = g.tradeCb;
  int64_t ref = instr >= 0 ? g.books[instr].refTicks : 0;
  pthread_mutex_unlock(&g.mu);
  if (instr < 0) return err;
  if (!cb) return NL_INVALID_ARGS;
  if (validHandle)
    fire_trade_full(instr, ref, 1, ttCrossTrade, now_ms() - BRT_OFFSET_MS, cb, flags, 0);
  else
    CALLBACK(cb(asset_of(instr), NULL, flags));
  return NL_OK;
}

/* The next order request is refused by the broker's risk control: only a trading message result arrives. */
DLLEXPORT int32_t PFX StandinBlockNextByRisk(void) {
  LOCK_INITIALIZED();
  g.riskBlockNext = 1;
  RETURN_UNLOCK(NL_OK);
}

/* Ends every hang of PROFITDLL_STANDIN_HANG (until the next DLLInitializeLogin). */
DLLEXPORT int32_t PFX StandinReleaseHang(void) {
  pthread_mutex_lock(&g.mu);
  g.hangReleased = 1;
  pthread_cond_broadcast(&g.hangCv);
  pthread_mutex_unlock(&g.mu);
  return NL_OK;
}

/* Order requests that reached the library in this session (rejected ones included). */
DLLEXPORT int64_t PFX StandinRequestCount(void) {
  pthread_mutex_lock(&g.mu);
  int64_t n = g.requests;
  pthread_mutex_unlock(&g.mu);
  return n;
}
