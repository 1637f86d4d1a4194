/**
 * The ABI itself: record layouts against reference/profitdll.md §6.2, and the stand-in's exports called
 * raw through koffi (no broker) — NL_NOT_INITIALIZED before init, versions, two-call strings, accessors
 * valid only inside their callback, history progress 1..100 with TC_LAST_PACKET.
 */
import koffi from 'koffi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as abi from '../../bridge/adapters/profitdll/abi.js';
import { NL } from '../../bridge/adapters/profitdll/errors.js';
import { formatHistoryDate } from '../../bridge/adapters/profitdll/time.js';
import { STANDIN_LIB, buildStandin, configureStandin, waitFor } from './support.js';

/** Reference §6.2: [record, size, { field: offset }]. */
const LAYOUT: Array<[string, ReturnType<typeof koffi.struct>, number, Record<string, number>]> = [
  ['TSystemTime', abi.TSystemTime, 16, { wYear: 0, wMilliseconds: 14 }],
  ['TAssetIDRec', abi.TAssetIDRec, 20, { pwcTicker: 0, pwcBolsa: 8, nFeed: 16 }],
  ['TConnectorAccountIdentifier', abi.TConnectorAccountIdentifier, 32, { Version: 0, BrokerID: 4, AccountID: 8, SubAccountID: 16, Reserved: 24 }],
  ['TConnectorAccountIdentifierOut', abi.TConnectorAccountIdentifierOut, 424, { BrokerID: 4, AccountID: 8, AccountIDLength: 208, SubAccountID: 212, SubAccountIDLength: 412, Reserved: 416 }],
  ['TConnectorAssetIdentifier', abi.TConnectorAssetIdentifier, 32, { Ticker: 8, Exchange: 16, FeedType: 24 }],
  ['TConnectorAssetIdentifierOut', abi.TConnectorAssetIdentifierOut, 40, { Ticker: 8, TickerLength: 16, Exchange: 24, ExchangeLength: 32, FeedType: 36 }],
  ['TConnectorOrderIdentifier', abi.TConnectorOrderIdentifier, 24, { LocalOrderID: 8, ClOrderID: 16 }],
  ['TConnectorSendOrder', abi.TConnectorSendOrder, 120, { AccountID: 8, AssetID: 40, Password: 72, OrderType: 80, OrderSide: 81, Price: 88, StopPrice: 96, Quantity: 104, MessageID: 112 }],
  ['TConnectorChangeOrder', abi.TConnectorChangeOrder, 104, { AccountID: 8, OrderID: 40, Password: 64, Price: 72, StopPrice: 80, Quantity: 88, MessageID: 96 }],
  ['TConnectorCancelOrder', abi.TConnectorCancelOrder, 80, { AccountID: 8, OrderID: 40, Password: 64, MessageID: 72 }],
  ['TConnectorCancelAllOrders', abi.TConnectorCancelAllOrders, 48, { AccountID: 8, Password: 40 }],
  ['TConnectorZeroPosition', abi.TConnectorZeroPosition, 104, { AccountID: 8, AssetID: 40, Password: 72, Price: 80, PositionType: 88, MessageID: 96 }],
  ['TConnectorTradingAccountOut', abi.TConnectorTradingAccountOut, 96, { AccountID: 8, BrokerName: 40, BrokerNameLength: 48, OwnerName: 56, OwnerNameLength: 64, SubOwnerName: 72, SubOwnerNameLength: 80, AccountFlags: 84, AccountType: 88 }],
  ['TConnectorTradingAccountPosition', abi.TConnectorTradingAccountPosition, 216, { AccountID: 8, AssetID: 40, OpenQuantity: 72, OpenAveragePrice: 80, OpenSide: 88, DailyAverageSellPrice: 96, DailySellQuantity: 104, DailyAverageBuyPrice: 112, DailyBuyQuantity: 120, DailyQuantityD1: 128, DailyQuantityAvailable: 192, PositionType: 200, EventID: 208 }],
  ['TConnectorOrder', abi.TConnectorOrder, 232, { OrderID: 8, AccountID: 32, AssetID: 64, Quantity: 96, TradedQuantity: 104, LeavesQuantity: 112, Price: 120, StopPrice: 128, AveragePrice: 136, OrderSide: 144, OrderType: 145, OrderStatus: 146, ValidityType: 147, Date: 148, LastUpdate: 164, CloseDate: 180, ValidityDate: 196, TextMessage: 216, EventID: 224 }],
  ['TConnectorOrderOut', abi.TConnectorOrderOut, 640, { OrderID: 8, AccountID: 32, AssetID: 456, Quantity: 496, TradedQuantity: 504, LeavesQuantity: 512, Price: 520, StopPrice: 528, AveragePrice: 536, OrderSide: 544, OrderType: 545, OrderStatus: 546, ValidityType: 547, Date: 548, LastUpdate: 564, CloseDate: 580, ValidityDate: 596, TextMessage: 616, TextMessageLength: 624, EventID: 632 }],
  ['TConnectorTrade', abi.TConnectorTrade, 64, { TradeDate: 2, TradeNumber: 20, Price: 24, Quantity: 32, Volume: 40, BuyAgent: 48, SellAgent: 52, TradeType: 56 }],
  ['TConnectorPriceGroup', abi.TConnectorPriceGroup, 40, { Price: 8, Count: 16, Quantity: 24, PriceGroupFlags: 32 }],
];

describe('record layout (x64, reference §6.2)', () => {
  it.each(LAYOUT)('%s', (_name, type, size, offsets) => {
    expect(koffi.sizeof(type)).toBe(size);
    for (const [field, offset] of Object.entries(offsets)) expect([field, koffi.offsetof(type, field)]).toEqual([field, offset]);
  });
});

describe('the stand-in through the raw ABI', () => {
  let fns: abi.ProfitDllFunctions;
  const states: Array<[number, number]> = [];
  const progress: number[] = [];
  const historyFlags: number[] = [];
  const accounts: string[] = [];
  let lastTradeHandle: unknown;
  let inCallbackTranslate = -1;
  const translated: abi.ConnectorTrade[] = [];
  const registered: abi.RegisteredCallback[] = [];
  const register = (fn: (...a: never[]) => unknown, proto: abi.KoffiType) => {
    const cb = koffi.register(fn, koffi.pointer(proto));
    registered.push(cb);
    return cb;
  };
  const account = { Version: 0, BrokerID: 32006, AccountID: '1234567', SubAccountID: '', Reserved: 0 };
  const petr = { Version: 0, Ticker: 'PETR4', Exchange: 'B', FeedType: 0 };
  const order = (over: Partial<abi.SendOrderRecord> = {}): abi.SendOrderRecord => ({
    Version: 2,
    AccountID: account,
    AssetID: petr,
    Password: 'p',
    OrderType: abi.OrderType.cotLimit,
    OrderSide: abi.OrderSide.cosBuy,
    Price: 36.4,
    StopPrice: -1,
    Quantity: 100,
    MessageID: -1,
    ...over,
  });

  beforeAll(async () => {
    buildStandin();
    configureStandin();
    fns = abi.bindProfitDll(koffi.load(STANDIN_LIB));

    // Before DLLInitializeLogin every function answers NL_NOT_INITIALIZED.
    expect(fns.DLLFinalize()).toBe(NL.NL_NOT_INITIALIZED);
    expect(fns.SubscribeTicker('PETR4', 'B')).toBe(NL.NL_NOT_INITIALIZED);
    expect(Number(fns.SendOrder(order()))).toBe(NL.NL_NOT_INITIALIZED);
    expect(fns.GetAccountCount()).toBe(NL.NL_NOT_INITIALIZED);
    expect(fns.SetOrderCallback(null)).toBe(NL.NL_NOT_INITIALIZED);
    expect(fns.GetHistoryTrades('PETR4', 'B', '01/01/2026 10:00:00', '01/01/2026 11:00:00')).toBe(NL.NL_NOT_INITIALIZED);

    const state = register((t: number, r: number) => void states.push([t, r]), abi.TStateCallback);
    const acc = register((_b: number, _n: string, id: string, holder: string) => void accounts.push(`${id} ${holder}`), abi.TAccountCallback);
    const prog = register((_a: abi.AssetIDRec, p: number) => void progress.push(p), abi.TProgressCallback);
    expect(fns.DLLInitializeLogin('k', 'multi', 'p', state, null, null, acc, null, null, null, null, null, prog, null)).toBe(0);
    expect(fns.DLLInitializeLogin('k', 'multi', 'p', state, null, null, acc, null, null, null, null, null, prog, null)).toBe(NL.NL_INTERNAL_ERROR);
    // The states come later, from the connector thread, relayed to this event loop.
    expect(states).toEqual([]);
    await waitFor(() => states.length === 6, 'login sequence');
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => fns.DLLFinalize.async(() => resolve()));
    for (const cb of registered) koffi.unregister(cb);
  });

  it('emits the documented state sequence and the accounts with UTF-16 names', () => {
    expect(states).toEqual([
      [0, 0],
      [3, 0],
      [1, 2],
      [1, 5],
      [2, 1],
      [2, 4],
    ]);
    expect(accounts).toEqual(['1234567 João da Conceição Ávila', '7654321 Lúcia Brandão & Filhos Ltda']);
  });

  it('checks structure versions and arguments of SendOrder', () => {
    expect(Number(fns.SendOrder(order({ Version: 3 })))).toBe(NL.NL_VERSION_NOT_SUPPORTED);
    expect(Number(fns.SendOrder(order({ OrderSide: 7 })))).toBe(NL.NL_INVALID_ARGS);
    expect(Number(fns.SendOrder(order({ Quantity: 0 })))).toBe(NL.NL_INVALID_ARGS);
    expect(Number(fns.SendOrder(order({ Price: 36.405 })))).toBe(NL.NL_INVALID_ARGS);
    expect(Number(fns.SendOrder(order({ AccountID: { ...account, AccountID: '999' } })))).toBe(NL.NL_NOT_FOUND);
    expect(Number(fns.SendOrder(order({ AccountID: { ...account, Version: 1 } })))).toBe(NL.NL_VERSION_NOT_SUPPORTED);
    expect(Number(fns.SendOrder(order({ AssetID: { ...petr, Exchange: 'BMF' } })))).toBe(NL.NL_EXCHANGE_UNKNOWN);
    expect(Number(fns.SendOrder(order({ AssetID: { ...petr, Ticker: 'NOPE3' } })))).toBe(NL.NL_INVALID_TICKER);
    // Version 0 uses the old encodings: limit 0, buy 0 (§7).
    const id = Number(fns.SendOrder(order({ Version: 0, OrderType: 0, OrderSide: 0 })));
    expect(id).toBeGreaterThan(0);
    expect(Number(fns.SendOrder(order()))).toBe(id + 1);
  });

  it('fills GetOrderDetails in two calls and checks its version', async () => {
    const id = Number(fns.SendOrder(order({ Price: 36.3 })));
    await new Promise((r) => setTimeout(r, 30));
    const rec = {
      Version: 1,
      OrderID: { Version: 0, LocalOrderID: id, ClOrderID: '' },
      AssetID: { Version: 0, Ticker: null, TickerLength: 0, Exchange: null, ExchangeLength: 0, FeedType: 0 },
      TextMessage: null,
      TextMessageLength: 0,
    } as unknown as abi.OrderOut;
    expect(fns.GetOrderDetails(rec)).toBe(0);
    expect([rec.AssetID.TickerLength, rec.AssetID.ExchangeLength, rec.TextMessageLength]).toEqual([5, 1, 0]);
    const ticker = koffi.alloc('char16_t', 6);
    const exchange = koffi.alloc('char16_t', 2);
    rec.AssetID.Ticker = ticker;
    rec.AssetID.Exchange = exchange;
    expect(fns.GetOrderDetails(rec)).toBe(0);
    expect(abi.decodeOutString(ticker, 5)).toBe('PETR4');
    expect(abi.decodeOutString(exchange, 1)).toBe('B');
    expect(rec).toMatchObject({ Quantity: 100, Price: 36.3, OrderSide: 1, OrderType: 2, OrderStatus: abi.OrderStatus.cosNew, AccountID: { AccountID: '1234567', AccountIDLength: 7 } });
    expect(rec.EventID).toBeGreaterThan(0);
    koffi.free(ticker);
    koffi.free(exchange);
    expect(fns.GetOrderDetails({ ...rec, Version: 2 })).toBe(NL.NL_VERSION_NOT_SUPPORTED);
    expect(fns.GetOrderDetails({ ...rec, OrderID: { Version: 0, LocalOrderID: 999_999, ClOrderID: '' } })).toBe(NL.NL_NOT_FOUND);
  });

  it('enumerates orders synchronously and stops when the procedure says FALSE', () => {
    const seen: abi.ConnectorOrder[] = [];
    expect(fns.EnumerateAllOrders(account, 1, 0, (p: unknown) => (seen.push(abi.decodeConnectorOrder(p)), 0))).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ Version: 1, AssetID: { Ticker: 'PETR4', Exchange: 'B' }, AccountID: { AccountID: '1234567' } });
    expect(seen[0].OrderID.ClOrderID).toMatch(/^SIM-/);
    expect(fns.EnumerateAllOrders(account, 2, 0, () => 1)).toBe(NL.NL_VERSION_NOT_SUPPORTED);
    expect(fns.EnumerateAllOrders({ ...account, AccountID: '999' }, 1, 0, () => 1)).toBe(NL.NL_NOT_FOUND);
  });

  it('lists accounts and their details', () => {
    const buf = Buffer.alloc(3 * abi.ACCOUNT_IDENTIFIER_OUT_SIZE);
    expect(fns.GetAccounts(0, 0, 3, buf)).toBe(2);
    expect(fns.GetAccounts(1, 2, 1, buf)).toBe(1);
    expect(abi.decodeAccountIdentifierOut(buf, 2).AccountID).toBe('7654321');
    expect(fns.GetAccounts(5, 0, 1, buf)).toBe(NL.NL_OUT_OF_RANGE);
    const details = { Version: 2, AccountID: account } as abi.TradingAccountOut;
    expect(fns.GetAccountDetails(details)).toBe(NL.NL_VERSION_NOT_SUPPORTED);
  });

  it('answers positions with NL_NO_POSITION when flat and checks the position type', () => {
    const pos = { Version: 2, AccountID: account, AssetID: { ...petr, Ticker: 'BBAS3' }, PositionType: 2 } as abi.TradingAccountPosition;
    expect(fns.GetPositionV2(pos)).toBe(NL.NL_NO_POSITION);
    expect(fns.GetPositionV2({ ...pos, PositionType: 9 })).toBe(NL.NL_INVALID_ARGS);
    expect(fns.GetPositionV2({ ...pos, Version: 3 })).toBe(NL.NL_VERSION_NOT_SUPPORTED);
  });

  it('validates the price-depth accessor', async () => {
    const group = { Version: 0 } as abi.PriceGroup;
    expect(fns.GetPriceGroup({ ...petr, Ticker: 'ABEV3' }, 0, 0, group)).toBe(NL.NL_NOT_FOUND); // not subscribed
    expect(fns.SubscribePriceDepth({ ...petr, Ticker: 'ABEV3' })).toBe(0);
    expect(fns.GetPriceGroup({ ...petr, Ticker: 'ABEV3' }, 0, 0, group)).toBe(0);
    expect(group).toMatchObject({ Price: 13.69, Quantity: 1000, Count: 1 });
    expect(fns.GetPriceGroup({ ...petr, Ticker: 'ABEV3' }, 1, 5, group)).toBe(NL.NL_OUT_OF_RANGE);
    expect(fns.GetPriceGroup({ ...petr, Ticker: 'ABEV3' }, 7, 0, group)).toBe(NL.NL_INVALID_ARGS);
    expect(fns.GetPriceGroup({ ...petr, Ticker: 'ABEV3' }, 0, 0, { ...group, Version: 1 })).toBe(NL.NL_VERSION_NOT_SUPPORTED);
    expect(fns.UnsubscribePriceDepth({ ...petr, Ticker: 'ABEV3' })).toBe(0);
    expect(fns.SubscribeTicker('ABEV3', 'F')).toBe(NL.NL_INVALID_TICKER);
  });

  it('streams history with progress 1..100, TC_LAST_PACKET on the last trade, and a handle valid only inside the callback', async () => {
    const trade = register((_a: abi.AssetIdentifier, pTrade: unknown, flags: number) => {
      historyFlags.push(flags);
      lastTradeHandle = pTrade;
      const out = Buffer.alloc(koffi.sizeof(abi.TConnectorTrade));
      out[0] = 1;
      if (fns.TranslateTrade(pTrade, out) !== NL.NL_VERSION_NOT_SUPPORTED) throw new Error('version not checked');
      out[0] = 0;
      inCallbackTranslate = fns.TranslateTrade(pTrade, out);
      translated.push(koffi.decode(out, abi.TConnectorTrade) as abi.ConnectorTrade);
    }, abi.TConnectorTradeCallback);
    expect(fns.SetHistoryTradeCallbackV2(trade)).toBe(0);
    const end = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
    expect(fns.GetHistoryTrades('PETR4', 'B', formatHistoryDate(end - 3_600_000), formatHistoryDate(end))).toBe(0);
    await waitFor(() => progress.includes(100), 'progress 100');
    expect(historyFlags).toHaveLength(361);
    expect(historyFlags.slice(0, -1).every((f) => f === 0)).toBe(true);
    expect(historyFlags.at(-1)).toBe(abi.TradeFlags.TC_LAST_PACKET);
    expect(progress).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(inCallbackTranslate).toBe(0);
    expect(fns.TranslateTrade(lastTradeHandle, Buffer.alloc(64))).toBe(NL.NL_INVALID_ARGS);
    expect(translated.map((t) => t.TradeNumber)).toEqual(Array.from({ length: 361 }, (_, i) => i + 1));
    expect(translated[0]).toMatchObject({ Version: 0, BuyAgent: 3, SellAgent: 72, TradeDate: { wSecond: new Date(end - 3_600_000).getUTCSeconds() } });
    expect(translated[0].Volume).toBeCloseTo(translated[0].Price * translated[0].Quantity, 6);
    expect(fns.SetHistoryTradeCallbackV2(null)).toBe(0);
  });
});
