/*
 * BlackBox's callback relay for ProfitDLL: the records it hands to Node.js and the functions it exports.
 *
 * Why it exists (issue #11, reference/profitdll.md §11.3): koffi relays a callback from the DLL's
 * ConnectorThread to the Node.js main thread and blocks the ConnectorThread until JavaScript returns. The
 * accessors the manual says to call inside the callback then run on the main thread while the DLL's thread
 * waits — a deadlock if the DLL holds a lock across the callback — and every callback waits for a full
 * turn of the event loop, which the DLL reports as MARKET_PERFORMANCE_WARNING / MARKET_PARTIAL_CONNECTED.
 *
 * The relay registers its own C callbacks, calls the accessors on the DLL's thread inside each one, copies
 * the result into a bounded ring of RelayRecord and returns at once. Its own notifier thread (never the
 * DLL's) wakes Node.js, which drains the ring on the event loop. A full ring drops the record and counts it
 * as lost (RelayStatus), never silently. Login, every request function and DLLFinalize run on one thread
 * of the relay's, the same each time; a request that does not return in time is abandoned by the caller
 * (RELAY_TIMEOUT), named in RelayStatus, and reported through the ring when it finally returns.
 */
#ifndef BLACKBOX_PROFITDLL_RELAY_H
#define BLACKBOX_PROFITDLL_RELAY_H

#include "../profitdll-standin/profitdll.h"

/* The relay's own failures, outside the DLL's 0x800000xx codes. */
#define RELAY_CODE(n) ((int32_t)(0x80001000u + (uint32_t)(n)))
#define RELAY_TIMEOUT RELAY_CODE(1)     /* the request did not return in time; it may still complete */
#define RELAY_BUSY RELAY_CODE(2)        /* a request abandoned earlier still has not returned */
#define RELAY_NOT_OPEN RELAY_CODE(3)    /* RelayOpen was not called or failed */
#define RELAY_NO_MEMORY RELAY_CODE(4)
#define RELAY_LOAD_FAILED RELAY_CODE(5) /* the DLL did not load, or lacks an export: RelayLastError says which */
#define RELAY_ALREADY_OPEN RELAY_CODE(6)

enum RelayKind {
  RK_STATE = 1,          /* i0 type, i1 result */
  RK_ACCOUNT = 2,        /* the account list changed */
  RK_PROGRESS = 3,       /* ticker, i0 percent */
  RK_ORDER = 4,          /* code GetOrderDetails; q0 local id, q1 qty, q2 traded, q3 leaves; d0 price, d1 avg;
                            i0 status, i1 side, i2 type, i3 text truncated; time LastUpdate; id ClOrdID; text */
  RK_HISTORY_LOADED = 5, /* id account */
  RK_TRADE = 6,          /* code TranslateTrade; ticker; d0 price; q0 qty; q1 trade number; i0 type; i1 flags; time */
  RK_HISTORY_TRADE = 7,  /* as RK_TRADE */
  RK_BOOK = 8,           /* ticker; i0 sides read (1 bid, 2 ask); i1/i2 bid/ask valid; d0/q0 bid, d1/q1 ask; code */
  RK_ASSET_INFO = 9,     /* ticker; q0 min, q1 max, q2 lot; d0 tick, d1 multiplier */
  RK_MESSAGE_RESULT = 10, /* i0 broker, i1 result code; q0 local id, q1 MessageID; id ClOrdID; text message */
  RK_LATE_RESULT = 11,   /* a request abandoned with RELAY_TIMEOUT returned: text its name, q0 result, q1 MessageID */
};

#define RELAY_TICKER_UNITS 32
#define RELAY_ID_UNITS 64
#define RELAY_TEXT_UNITS 160

/* One ring entry. Strings are NUL-terminated UTF-16, truncated to their arrays. */
typedef struct {
  uint32_t kind;
  int32_t code;
  int32_t i[4];
  int64_t q[4];
  double d[4];
  TSystemTime time;
  wchar16 ticker[RELAY_TICKER_UNITS];
  wchar16 id[RELAY_ID_UNITS];
  wchar16 text[RELAY_TEXT_UNITS];
} RelayRecord;

/* A snapshot of the relay's counters, for /api/health and the check command. */
typedef struct {
  int64_t pushed, drained, lost, lostOrders, lostTrades, lostOther;
  int64_t slowestCallbackUs;
  int32_t capacity, pending, highWater;
  int32_t latestState[4];   /* last result per state type, -1 before the first */
  int32_t requestBusyMs;    /* how long the request in progress has run, -1 when idle */
  int32_t callbackBusyMs;   /* how long the DLL thread has been inside the current callback, -1 when outside */
  int32_t requestHung;      /* 1 while a request abandoned with RELAY_TIMEOUT has not returned */
  int32_t truncatedTexts;   /* strings cut to fit a record or a length the DLL reported beyond its cap */
  wchar16 requestName[32];  /* the request in progress, or the last one */
  wchar16 callbackName[32]; /* the callback or accessor the DLL thread is in, or the last one */
} RelayStatus;

/* A function of Node's, registered with koffi: called from the relay's notifier thread when records wait. */
typedef void (*RelayNotifyFn)(void);

/* An order as EnumerateAllOrders delivers it, flattened (its strings live only during the enumeration). */
typedef struct {
  int64_t localOrderId;
  int64_t quantity, tradedQuantity, leavesQuantity;
  double price, stopPrice, averagePrice;
  int32_t side, type, status, validity;
  TSystemTime lastUpdate;
  wchar16 clOrdId[RELAY_ID_UNITS];
  wchar16 accountId[RELAY_ID_UNITS];
  wchar16 subAccountId[RELAY_ID_UNITS];
  wchar16 ticker[RELAY_TICKER_UNITS];
  wchar16 text[RELAY_TEXT_UNITS];
} RelayOrder;

#endif
