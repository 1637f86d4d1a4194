/*
 * ProfitDLL ABI as the stand-in implements it (64-bit only).
 *
 * Every struct, enum and prototype follows reference/profitdll.md §2–§10; the static asserts at the
 * bottom pin the x64 layout of §6.2, which the TypeScript declarations are tested against too, so
 * the three (reference, C, koffi) cannot drift apart silently.
 *
 * Calling convention: the real DLL is stdcall on both Windows builds. On x64 "stdcall" is simply
 * the platform convention, and koffi ignores __stdcall outside 32-bit x86; so on x86-64 Linux the
 * binding's __stdcall declarations and this library's default System V convention are the same
 * thing. PFX exists only so the header stays honest if it is ever compiled for Win32.
 *
 * Records passed by value (TAssetIDRec, TConnector*Identifier) are declared by value here exactly
 * as the vendor examples declare them: on Win64 they travel as a hidden pointer, on System V they
 * are copied to the stack; koffi applies whichever ABI it runs on, and so does the C compiler.
 */
#ifndef PROFITDLL_STANDIN_H
#define PROFITDLL_STANDIN_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && !defined(_WIN64)
#define PFX __stdcall
#else
#define PFX
#endif

#if defined(_WIN32)
#define DLLEXPORT __declspec(dllexport)
#else
#define DLLEXPORT __attribute__((visibility("default")))
#endif

/* PWideChar: UTF-16LE, NUL-terminated (Delphi WideChar). */
typedef uint16_t wchar16;

/* ---- return codes (§5): NL_INTERNAL_ERROR = $80000001, each following code = previous + 1 ---- */
#define NL_OK 0
#define NL_CODE(n) ((int32_t)(0x80000000u + (uint32_t)(n)))
#define NL_INTERNAL_ERROR NL_CODE(0x01)
#define NL_NOT_INITIALIZED NL_CODE(0x02)
#define NL_INVALID_ARGS NL_CODE(0x03)
#define NL_WAITING_SERVER NL_CODE(0x04)
#define NL_NO_LOGIN NL_CODE(0x05)
#define NL_NO_LICENSE NL_CODE(0x06)
#define NL_OUT_OF_RANGE NL_CODE(0x09)
#define NL_MARKET_ONLY NL_CODE(0x0A)
#define NL_NO_POSITION NL_CODE(0x0B)
#define NL_NOT_FOUND NL_CODE(0x0C)
#define NL_VERSION_NOT_SUPPORTED NL_CODE(0x0D)
#define NL_EXCHANGE_UNKNOWN NL_CODE(0x0F)
#define NL_NO_PASSWORD NL_CODE(0x1C)
#define NL_NO_USER NL_CODE(0x1D)
#define NL_INVALID_TICKER NL_CODE(0x1F)
#define NL_NOT_SAME_THREAD NL_CODE(0x2C)
#define NL_TIMEOUT NL_CODE(0x2D)
#define NL_HISTORY_PERIOD_LIMIT NL_CODE(0x2E)
#define NL_LAST_CODE NL_HISTORY_PERIOD_LIMIT

/* ---- connection states (§4) ---- */
#define CONNECTION_STATE_LOGIN 0
#define CONNECTION_STATE_ROTEAMENTO 1
#define CONNECTION_STATE_MARKET_DATA 2
#define CONNECTION_STATE_MARKET_LOGIN 3

#define LOGIN_CONNECTED 0
#define LOGIN_INVALID 1
#define LOGIN_INVALID_PASS 2
#define LOGIN_BLOCKED_PASS 3

#define ROTEAMENTO_CONNECTED 2
#define ROTEAMENTO_BROKER_DISCONNECTED 3
#define ROTEAMENTO_BROKER_CONNECTING 4
#define ROTEAMENTO_BROKER_CONNECTED 5

#define MARKET_CONNECTING 1
#define MARKET_CONNECTED 4
#define MARKET_PERFORMANCE_WARNING 5
#define MARKET_PARTIAL_CONNECTED 6

#define CONNECTION_ACTIVATE_VALID 0
#define CONNECTION_ACTIVATE_INVALID 1

/* ---- enums (§7) ---- */
enum { cotMarket = 1, cotLimit = 2, cotStopLimit = 4 };
enum { cotV0Limit = 0, cotV0Stop = 1, cotV0Market = 2 };
enum { cosBuy = 1, cosSell = 2 };
enum { cptDayTrade = 1, cptConsolidated = 2 };
enum {
  cosNew = 0,
  cosPartiallyFilled = 1,
  cosFilled = 2,
  cosCanceled = 4,
  cosReplaced = 5,
  cosPendingCancel = 6,
  cosRejected = 8,
  cosPendingNew = 10,
  cosPendingReplace = 14,
};
enum { btfDay = 0 };
enum { cutOwner = 0 };
enum { CA_IS_SUB_ACCOUNT = 1, CA_IS_ENABLED = 2 };
enum { utAdd = 0, utEdit = 1, utDelete = 2, utFullBook = 4, utPrepare = 5, utFlush = 6 };
enum { bsBuy = 0, bsSell = 1, bsBoth = 254 };
enum { TC_IS_EDIT = 1, TC_LAST_PACKET = 2 };
enum { ttCrossTrade = 1, ttBuyAgressor = 2, ttSellAgressor = 3 };
enum { stFuture = 0, stStock = 5 };
/* TConnectorTradingMessageResultCode (4.0.0.34+), the values the stand-in sends. */
enum { mrcSentToBroker = 6, mrcRejectedBroker = 7, mrcAccepted = 10, mrcBlockedByRisk = 24 };
enum { ssMiniContract = 13, ssFractionary = 18, ssCommonShares = 25, ssPreferredShares = 26 };

/* ---- structs (§6) ---- */
typedef struct {
  uint16_t wYear, wMonth, wDayOfWeek, wDay, wHour, wMinute, wSecond, wMilliseconds;
} TSystemTime;

#pragma pack(push, 1)
typedef struct {
  const wchar16 *pwcTicker;
  const wchar16 *pwcBolsa;
  int32_t nFeed;
} TAssetIDRec;
#pragma pack(pop)

typedef struct {
  uint8_t Version;
  int32_t BrokerID;
  const wchar16 *AccountID;
  const wchar16 *SubAccountID;
  int64_t Reserved;
} TConnectorAccountIdentifier;

typedef struct {
  uint8_t Version;
  int32_t BrokerID;
  wchar16 AccountID[100];
  int32_t AccountIDLength;
  wchar16 SubAccountID[100];
  int32_t SubAccountIDLength;
  int64_t Reserved;
} TConnectorAccountIdentifierOut;

typedef struct {
  uint8_t Version;
  const wchar16 *Ticker;
  const wchar16 *Exchange;
  uint8_t FeedType;
} TConnectorAssetIdentifier;

typedef struct {
  uint8_t Version;
  wchar16 *Ticker;
  int32_t TickerLength;
  wchar16 *Exchange;
  int32_t ExchangeLength;
  uint8_t FeedType;
} TConnectorAssetIdentifierOut;

typedef struct {
  uint8_t Version;
  int64_t LocalOrderID;
  const wchar16 *ClOrderID;
} TConnectorOrderIdentifier;

typedef struct {
  uint8_t Version;
  TConnectorAccountIdentifier AccountID;
  TConnectorAssetIdentifier AssetID;
  const wchar16 *Password;
  uint8_t OrderType;
  uint8_t OrderSide;
  double Price;
  double StopPrice;
  int64_t Quantity;
  int64_t MessageID; /* V2 */
} TConnectorSendOrder;

typedef struct {
  uint8_t Version;
  TConnectorAccountIdentifier AccountID;
  TConnectorOrderIdentifier OrderID;
  const wchar16 *Password;
  double Price;
  double StopPrice;
  int64_t Quantity;
  int64_t MessageID; /* V1 */
} TConnectorChangeOrder;

typedef struct {
  uint8_t Version;
  TConnectorAccountIdentifier AccountID;
  TConnectorOrderIdentifier OrderID;
  const wchar16 *Password;
  int64_t MessageID; /* V1 */
} TConnectorCancelOrder;

typedef struct {
  uint8_t Version;
  TConnectorAccountIdentifier AccountID;
  const wchar16 *Password;
} TConnectorCancelAllOrders;

typedef struct {
  uint8_t Version;
  TConnectorAccountIdentifier AccountID;
  TConnectorAssetIdentifier AssetID;
  const wchar16 *Password;
  double Price;
  uint8_t PositionType; /* V1 */
  int64_t MessageID;    /* V2 */
} TConnectorZeroPosition;

typedef struct {
  uint8_t Version;
  TConnectorAccountIdentifier AccountID;
  wchar16 *BrokerName;
  int32_t BrokerNameLength;
  wchar16 *OwnerName;
  int32_t OwnerNameLength;
  wchar16 *SubOwnerName;
  int32_t SubOwnerNameLength;
  uint32_t AccountFlags;
  uint8_t AccountType; /* V1 */
} TConnectorTradingAccountOut;

typedef struct {
  uint8_t Version;
  TConnectorAccountIdentifier AccountID;
  TConnectorAssetIdentifier AssetID;
  int64_t OpenQuantity;
  double OpenAveragePrice;
  uint8_t OpenSide;
  double DailyAverageSellPrice;
  int64_t DailySellQuantity;
  double DailyAverageBuyPrice;
  int64_t DailyBuyQuantity;
  int64_t DailyQuantityD1, DailyQuantityD2, DailyQuantityD3, DailyQuantityBlocked, DailyQuantityPending,
      DailyQuantityAlloc, DailyQuantityProvision, DailyQuantity, DailyQuantityAvailable;
  uint8_t PositionType; /* V1 */
  int64_t EventID;      /* V2 */
} TConnectorTradingAccountPosition;

typedef struct {
  uint8_t Version;
  TConnectorOrderIdentifier OrderID;
  TConnectorAccountIdentifier AccountID;
  TConnectorAssetIdentifier AssetID;
  int64_t Quantity, TradedQuantity, LeavesQuantity;
  double Price, StopPrice, AveragePrice;
  uint8_t OrderSide, OrderType, OrderStatus, ValidityType;
  TSystemTime Date, LastUpdate, CloseDate, ValidityDate;
  const wchar16 *TextMessage;
  int64_t EventID; /* V1 */
} TConnectorOrder;

typedef struct {
  uint8_t Version;
  TConnectorOrderIdentifier OrderID;
  TConnectorAccountIdentifierOut AccountID;
  TConnectorAssetIdentifierOut AssetID;
  int64_t Quantity, TradedQuantity, LeavesQuantity;
  double Price, StopPrice, AveragePrice;
  uint8_t OrderSide, OrderType, OrderStatus, ValidityType;
  TSystemTime Date, LastUpdate, CloseDate, ValidityDate;
  wchar16 *TextMessage;
  int32_t TextMessageLength;
  int64_t EventID; /* V1 */
} TConnectorOrderOut;

typedef struct {
  uint8_t Version;
  TSystemTime TradeDate;
  uint32_t TradeNumber;
  double Price;
  int64_t Quantity;
  double Volume;
  int32_t BuyAgent, SellAgent;
  uint8_t TradeType;
} TConnectorTrade;

typedef struct {
  uint8_t Version;
  double Price;
  uint32_t Count;
  int64_t Quantity;
  uint32_t PriceGroupFlags;
} TConnectorPriceGroup;

/* 4.0.0.34+: one per message the trading server answers, keyed by the MessageID the request returned (§8). */
typedef struct {
  uint8_t Version;
  int32_t BrokerID;
  TConnectorOrderIdentifier OrderID;
  int64_t MessageID;
  uint8_t ResultCode;
  const wchar16 *Message;
  int32_t MessageLength;
} TConnectorTradingMessageResult;

/* ---- callbacks (§3, §8–§10) ---- */
typedef void(PFX *TStateCallback)(int32_t nConnStateType, int32_t nResult);
typedef void(PFX *TAccountCallback)(int32_t nCorretora, const wchar16 *CorretoraNomeCompleto, const wchar16 *AccountID,
                                    const wchar16 *NomeTitular);
typedef void(PFX *TProgressCallback)(TAssetIDRec rAssetID, int32_t nProgress);
typedef void(PFX *TConnectorOrderCallback)(TConnectorOrderIdentifier a_OrderID);
typedef void(PFX *TConnectorAccountCallback)(TConnectorAccountIdentifier a_AccountID);
typedef void(PFX *TConnectorTradeCallback)(TConnectorAssetIdentifier a_Asset, void *a_pTrade, uint32_t a_nFlags);
typedef void(PFX *TConnectorPriceDepthCallback)(TConnectorAssetIdentifier a_AssetID, uint8_t a_Side, int32_t a_nPosition,
                                                uint8_t a_UpdateType);
/* ≥ 4.0.0.38 form: the three quantities are Int64 (§10.7). */
typedef void(PFX *TAssetListInfoCallbackV2)(TAssetIDRec rAssetID, const wchar16 *pwcName, const wchar16 *pwcDescription,
                                            int64_t nMinOrderQtd, int64_t nMaxOrderQtd, int64_t nLote,
                                            int32_t stSecurityType, int32_t ssSecuritySubType, double dMinPriceIncrement,
                                            double dContractMultiplier, const wchar16 *strValidDate,
                                            const wchar16 *strISIN, const wchar16 *strSetor, const wchar16 *strSubSetor,
                                            const wchar16 *strSegmento);
typedef void(PFX *TConnectorTradingMessageResultCallback)(const TConnectorTradingMessageResult *a_Result);
typedef int32_t(PFX *TConnectorEnumerateOrdersProc)(const TConnectorOrder *a_Order, intptr_t a_Param);

/* ---- x64 layout pinned to reference §6.2 ---- */
#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
_Static_assert(sizeof(TSystemTime) == 16, "TSystemTime");
_Static_assert(sizeof(TAssetIDRec) == 20, "TAssetIDRec");
_Static_assert(sizeof(TConnectorAccountIdentifier) == 32, "TConnectorAccountIdentifier");
_Static_assert(sizeof(TConnectorAccountIdentifierOut) == 424, "TConnectorAccountIdentifierOut");
_Static_assert(offsetof(TConnectorAccountIdentifierOut, SubAccountID) == 212, "TConnectorAccountIdentifierOut.Sub");
_Static_assert(offsetof(TConnectorAccountIdentifierOut, Reserved) == 416, "TConnectorAccountIdentifierOut.Reserved");
_Static_assert(sizeof(TConnectorAssetIdentifier) == 32, "TConnectorAssetIdentifier");
_Static_assert(sizeof(TConnectorAssetIdentifierOut) == 40, "TConnectorAssetIdentifierOut");
_Static_assert(offsetof(TConnectorAssetIdentifierOut, FeedType) == 36, "TConnectorAssetIdentifierOut.FeedType");
_Static_assert(sizeof(TConnectorOrderIdentifier) == 24, "TConnectorOrderIdentifier");
_Static_assert(sizeof(TConnectorSendOrder) == 120, "TConnectorSendOrder");
_Static_assert(offsetof(TConnectorSendOrder, OrderSide) == 81, "TConnectorSendOrder.OrderSide");
_Static_assert(offsetof(TConnectorSendOrder, MessageID) == 112, "TConnectorSendOrder.MessageID");
_Static_assert(sizeof(TConnectorChangeOrder) == 104, "TConnectorChangeOrder");
_Static_assert(offsetof(TConnectorChangeOrder, Password) == 64, "TConnectorChangeOrder.Password");
_Static_assert(sizeof(TConnectorCancelOrder) == 80, "TConnectorCancelOrder");
_Static_assert(sizeof(TConnectorCancelAllOrders) == 48, "TConnectorCancelAllOrders");
_Static_assert(sizeof(TConnectorZeroPosition) == 104, "TConnectorZeroPosition");
_Static_assert(offsetof(TConnectorZeroPosition, PositionType) == 88, "TConnectorZeroPosition.PositionType");
_Static_assert(sizeof(TConnectorTradingAccountOut) == 96, "TConnectorTradingAccountOut");
_Static_assert(offsetof(TConnectorTradingAccountOut, AccountFlags) == 84, "TConnectorTradingAccountOut.AccountFlags");
_Static_assert(sizeof(TConnectorTradingAccountPosition) == 216, "TConnectorTradingAccountPosition");
_Static_assert(offsetof(TConnectorTradingAccountPosition, DailyQuantityAvailable) == 192, "Position.Available");
_Static_assert(offsetof(TConnectorTradingAccountPosition, EventID) == 208, "Position.EventID");
_Static_assert(sizeof(TConnectorOrder) == 232, "TConnectorOrder");
_Static_assert(offsetof(TConnectorOrder, Date) == 148, "TConnectorOrder.Date");
_Static_assert(offsetof(TConnectorOrder, TextMessage) == 216, "TConnectorOrder.TextMessage");
_Static_assert(sizeof(TConnectorOrderOut) == 640, "TConnectorOrderOut");
_Static_assert(offsetof(TConnectorOrderOut, AssetID) == 456, "TConnectorOrderOut.AssetID");
_Static_assert(offsetof(TConnectorOrderOut, OrderStatus) == 546, "TConnectorOrderOut.OrderStatus");
_Static_assert(offsetof(TConnectorOrderOut, TextMessageLength) == 624, "TConnectorOrderOut.TextMessageLength");
_Static_assert(sizeof(TConnectorTrade) == 64, "TConnectorTrade");
_Static_assert(offsetof(TConnectorTrade, TradeNumber) == 20, "TConnectorTrade.TradeNumber");
_Static_assert(offsetof(TConnectorTrade, TradeType) == 56, "TConnectorTrade.TradeType");
_Static_assert(sizeof(TConnectorPriceGroup) == 40, "TConnectorPriceGroup");
_Static_assert(sizeof(TConnectorTradingMessageResult) == 64, "TConnectorTradingMessageResult");
_Static_assert(offsetof(TConnectorTradingMessageResult, MessageID) == 32, "TConnectorTradingMessageResult.MessageID");
_Static_assert(offsetof(TConnectorTradingMessageResult, Message) == 48, "TConnectorTradingMessageResult.Message");
#endif

#endif
