/*
 * Sanitizer check of the stand-in, built with -fsanitize=thread and with -fsanitize=address,undefined by
 * test/profitdll/standin-races.test.ts.
 * It plays a client the way the koffi binding does: requests from the main thread while the connector
 * thread delivers callbacks, accessors called inside those callbacks, two sessions in a row. ThreadSanitizer
 * reports any access to shared state that the stand-in's lock does not order; AddressSanitizer, any use of
 * memory after it moved or was freed.
 */
#define _GNU_SOURCE
#include "profitdll.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <uchar.h>

int32_t DLLInitializeLogin(const wchar16 *, const wchar16 *, const wchar16 *, TStateCallback, void *, void *,
                           TAccountCallback, void *, void *, void *, void *, void *, TProgressCallback, void *);
int32_t DLLFinalize(void);
int32_t SetOrderCallback(TConnectorOrderCallback);
int32_t SetTradeCallbackV2(TConnectorTradeCallback);
int32_t SetHistoryTradeCallbackV2(TConnectorTradeCallback);
int32_t SetPriceDepthCallback(TConnectorPriceDepthCallback);
int32_t SetAssetListInfoCallbackV2(TAssetListInfoCallbackV2);
int32_t SubscribeTicker(const wchar16 *, const wchar16 *);
int32_t SubscribePriceDepth(const TConnectorAssetIdentifier *);
int32_t RequestTickerInfo(const wchar16 *, const wchar16 *);
int32_t GetHistoryTrades(const wchar16 *, const wchar16 *, const wchar16 *, const wchar16 *);
int32_t GetPriceGroup(const TConnectorAssetIdentifier *, uint8_t, int32_t, TConnectorPriceGroup *);
int32_t TranslateTrade(void *, TConnectorTrade *);
int64_t SendOrder(const TConnectorSendOrder *);
int32_t SendChangeOrderV2(const TConnectorChangeOrder *);
int32_t SendCancelOrderV2(const TConnectorCancelOrder *);
int32_t SendCancelAllOrdersV2(const TConnectorCancelAllOrders *);
int32_t GetOrderDetails(TConnectorOrderOut *);
int32_t EnumerateAllOrders(const TConnectorAccountIdentifier *, uint8_t, intptr_t, TConnectorEnumerateOrdersProc);
int32_t GetPositionV2(TConnectorTradingAccountPosition *);
int32_t GetAccountCount(void);
int32_t StandinMarketTrade(const wchar16 *, const wchar16 *, int32_t, double, int64_t);
int32_t StandinSetRouting(int32_t);

static atomic_int states, orderEvents, trades, progressDone;

static void on_state(int32_t type, int32_t result) {
  (void)type, (void)result;
  states++;
}

static void on_progress(TAssetIDRec asset, int32_t progress) {
  (void)asset;
  if (progress == 100) progressDone++;
}

static void on_order(TConnectorOrderIdentifier id) {
  TConnectorOrderOut o = {0};
  o.Version = 1;
  o.OrderID = id;
  GetOrderDetails(&o);
  wchar16 ticker[32], exchange[4], text[128];
  o.AssetID.Ticker = ticker;
  o.AssetID.Exchange = exchange;
  o.TextMessage = text;
  GetOrderDetails(&o);
  orderEvents++;
}

static void on_trade(TConnectorAssetIdentifier asset, void *handle, uint32_t flags) {
  (void)asset, (void)flags;
  TConnectorTrade t = {0};
  TranslateTrade(handle, &t);
  trades++;
}

static void on_depth(TConnectorAssetIdentifier asset, uint8_t side, int32_t position, uint8_t updateType) {
  (void)position, (void)updateType;
  TConnectorPriceGroup g = {0};
  if (side == bsBuy || side == bsSell) GetPriceGroup(&asset, side, 0, &g);
}

static void on_info(TAssetIDRec a, const wchar16 *n, const wchar16 *d, int64_t mn, int64_t mx, int64_t lot, int32_t st,
                    int32_t ss, double tick, double mult, const wchar16 *v, const wchar16 *i, const wchar16 *s1,
                    const wchar16 *s2, const wchar16 *s3) {
  (void)a, (void)n, (void)d, (void)mn, (void)mx, (void)lot, (void)st, (void)ss, (void)tick, (void)mult;
  (void)v, (void)i, (void)s1, (void)s2, (void)s3;
}

static int32_t on_enumerated(const TConnectorOrder *o, intptr_t param) {
  (void)o, (void)param;
  return 1;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int wait_for(atomic_int *counter, int target) {
  for (int i = 0; i < 5000 && *counter < target; i++) sleep_ms(1);
  return *counter >= target;
}

int main(void) {
  setenv("PROFITDLL_STANDIN_STEP_MS", "1", 1);
  setenv("PROFITDLL_STANDIN_MARKET_MS", "1", 1);
  setenv("PROFITDLL_STANDIN_HISTORY_SPACING_MS", "1000", 1);
  /* RACE_ADVERSARIAL=1: the dispatch lock held across callbacks, slow-callback states on. */
  if (getenv("RACE_ADVERSARIAL")) setenv("PROFITDLL_STANDIN_ADVERSARIAL", "1", 1);
  const TConnectorAccountIdentifier account = {0, 32006, u"1234567", u"", 0};
  const TConnectorAssetIdentifier petr = {0, u"PETR4", u"B", 0};
  for (int session = 1; session <= 2; session++) {
    int statesBefore = states;
    if (DLLInitializeLogin(u"key", u"user", u"pass", on_state, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                           on_progress, NULL) != NL_OK)
      return 2;
    SetOrderCallback(on_order);
    SetTradeCallbackV2(on_trade);
    SetHistoryTradeCallbackV2(on_trade);
    SetPriceDepthCallback(on_depth);
    SetAssetListInfoCallbackV2(on_info);
    if (!wait_for(&states, statesBefore + 6)) return 3; /* the login sequence */
    SubscribeTicker(u"PETR4", u"B");
    SubscribePriceDepth(&petr);
    RequestTickerInfo(u"PETR4", u"B");
    time_t now = time(NULL) - 3 * 3600 - 7200;
    struct tm t;
    gmtime_r(&now, &t);
    char from[32], to[32];
    strftime(from, sizeof from, "%d/%m/%Y %H:%M:%S", &t);
    now += 600;
    gmtime_r(&now, &t);
    strftime(to, sizeof to, "%d/%m/%Y %H:%M:%S", &t);
    wchar16 wfrom[32], wto[32];
    for (int k = 0; k < 32; k++) wfrom[k] = (unsigned char)from[k], wto[k] = (unsigned char)to[k];
    GetHistoryTrades(u"PETR4", u"B", wfrom, wto);
    for (int i = 0; i < 300; i++) {
      TConnectorSendOrder o = {2, account, petr, u"pass", cotLimit, (uint8_t)(1 + i % 2), 36.45 + (i % 10) * 0.01, -1, 100, -1};
      int64_t id = SendOrder(&o);
      if (i % 5 == 0 && id > 0) {
        TConnectorChangeOrder c = {1, account, {0, id, NULL}, u"pass", 36.40, -1, 200, -1};
        SendChangeOrderV2(&c);
      }
      if (i % 9 == 0 && id > 0) {
        TConnectorCancelOrder c = {1, account, {0, id, NULL}, u"pass", -1};
        SendCancelOrderV2(&c);
      }
      if (i % 7 == 0) StandinMarketTrade(u"PETR4", u"B", 1 + i % 2, 36.50, 200);
      if (i % 11 == 0) EnumerateAllOrders(&account, 1, 0, on_enumerated);
      if (i % 13 == 0) {
        TConnectorTradingAccountPosition p = {0};
        p.Version = 2;
        p.AccountID = account;
        p.AssetID = petr;
        p.PositionType = cptConsolidated;
        GetPositionV2(&p);
      }
      if (i == 150) StandinSetRouting(0);
      if (i == 160) StandinSetRouting(1);
      GetAccountCount();
    }
    TConnectorCancelAllOrders all = {0, account, u"pass"};
    SendCancelAllOrdersV2(&all);
    if (!wait_for(&progressDone, session)) return 4;
    sleep_ms(50);
    if (DLLFinalize() != NL_OK) return 5;
  }
  printf("sessions=2 states=%d orderEvents=%d trades=%d\n", states, orderEvents, trades);
  return orderEvents > 0 && trades > 0 ? 0 : 6;
}
