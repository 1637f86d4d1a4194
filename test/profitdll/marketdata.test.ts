/**
 * Market data through koffi: trades (SetTradeCallbackV2 + TranslateTrade) and top of book (price depth)
 * from the stand-in's own thread, a 50,000-trade burst with nothing lost or reordered, the bounded
 * queue under overflow, and history downloads with progress and the DLL's period limits.
 */
import koffi from 'koffi';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bindProfitDll } from '../../bridge/adapters/profitdll/abi.js';
import { NL, type ProfitDllBroker, ProfitDllError } from '../../bridge/adapters/profitdll/index.js';
import { formatHistoryDate } from '../../bridge/adapters/profitdll/time.js';
import { defaultInstruments } from '../../bridge/model/instrument.js';
import { Recorder, STANDIN_LIB, STANDIN_LISTING_MS, buildStandin, configureStandin, makeBroker, standinControl, waitFor } from './support.js';

let broker: ProfitDllBroker | undefined;

beforeAll(() => {
  buildStandin();
});

afterEach(async () => {
  await broker?.close();
  broker = undefined;
  configureStandin();
});

async function connected(rec: Recorder, env: Record<string, string> = {}, overrides: Parameters<typeof makeBroker>[1] = {}) {
  configureStandin(env);
  broker = makeBroker(rec, overrides);
  await broker.connect();
  expect(broker.isConnected()).toBe(true);
  return broker;
}

describe('live market data', () => {
  it('streams the top of book and trades of a subscribed symbol', async () => {
    const rec = new Recorder();
    const b = await connected(rec);
    b.subscribe('PETR4');
    b.subscribe('petr4'); // idempotent, case-insensitive
    b.subscribe('NOPE3');
    expect(rec.logged('warn', 'Ativo NOPE3 desconhecido na ponte')).toBe(true);
    await waitFor(() => rec.books.length > 0, 'first book');
    expect(rec.books[0]).toMatchObject({ symbol: 'PETR4', bidTicks: 3649, bidQty: 1000, askTicks: 3651, askQty: 1000 });
    // The first book comes from one utPrepare…utFlush burst: one read, one event.
    expect(rec.books).toHaveLength(1);

    b.submit({ clientOrderId: 'm1', account: '', symbol: 'PETR4', side: 'buy', qty: 300, priceTicks: 3650 });
    await waitFor(() => rec.books.at(-1)?.bidTicks === 3650, 'own order at the top');
    expect(rec.books.at(-1)).toMatchObject({ bidTicks: 3650, bidQty: 300, askTicks: 3651 });

    standinControl().marketTrade('PETR4', 'B', 2, 36.5, 100);
    await waitFor(() => rec.trades.length === 1, 'trade');
    expect(rec.trades[0]).toMatchObject({ symbol: 'PETR4', qty: 100, priceTicks: 3650, aggressor: 'sell' });
    expect(Math.abs(rec.trades[0].timeMs - Date.now())).toBeLessThan(5_000);

    b.submit({ clientOrderId: 'm2', account: '', symbol: 'PETR4', side: 'buy', qty: 1000, priceTicks: 3651 });
    await waitFor(() => rec.trades.length === 2 && rec.books.at(-1)?.askTicks === 3652, 'own fill prints, ask level consumed');
    expect(rec.trades[1]).toMatchObject({ qty: 1000, priceTicks: 3651, aggressor: 'buy' });
    expect(rec.books.at(-1)).toMatchObject({ askTicks: 3652, askQty: 1000 });
  });

  it('skips exchange edits and logs a trade the DLL cannot translate', async () => {
    const rec = new Recorder();
    const b = await connected(rec);
    b.subscribe('BBAS3');
    await waitFor(() => rec.books.length > 0, 'subscription');
    const ctl = standinControl();
    expect(ctl.emitRawTrade('BBAS3', 'B', true, 1 /* TC_IS_EDIT */)).toBe(0);
    expect(ctl.emitRawTrade('BBAS3', 'B', false, 0)).toBe(0);
    expect(ctl.emitRawTrade('BBAS3', 'B', true, 0)).toBe(0);
    await waitFor(() => rec.trades.length === 1 && rec.logs.some((l) => l.level === 'error'), 'trade and error');
    expect(rec.trades[0]).toEqual({ symbol: 'BBAS3', qty: 1, priceTicks: 2410, timeMs: expect.any(Number) }); // a cross trade: no aggressor
    expect(rec.logged('error', 'callback: TranslateTrade falhou: NL_INVALID_ARGS (argumentos inválidos) / TranslateTrade failed: NL_INVALID_ARGS')).toBe(true);
  });

  it('ignores market data of symbols outside its table', async () => {
    const rec = new Recorder();
    const table = defaultInstruments(STANDIN_LISTING_MS).filter((i) => i.symbol !== 'VALE3');
    await connected(rec, {}, { instruments: table });
    const direct = bindProfitDll(koffi.load(STANDIN_LIB));
    expect(direct.SubscribeTicker('VALE3', 'B')).toBe(0);
    expect(direct.SubscribePriceDepth({ Version: 0, Ticker: 'VALE3', Exchange: 'B', FeedType: 0 })).toBe(0);
    standinControl().emitTrades('VALE3', 'B', 100);
    standinControl().marketTrade('VALE3', 'B', 1, 61.81, 100);
    await new Promise((r) => setTimeout(r, 100));
    expect(rec.trades).toHaveLength(0);
    expect(rec.books).toHaveLength(0);
  });

  it('sees an empty side as no price', async () => {
    const rec = new Recorder();
    const b = await connected(rec);
    b.subscribe('ITUB4');
    await waitFor(() => rec.books.length > 0, 'book');
    b.submit({ clientOrderId: 'e1', account: '', symbol: 'ITUB4', side: 'buy', qty: 5000 }); // all 5 ask levels of 1,000
    await waitFor(() => rec.lastOf('e1')?.status === 'filled', 'fill');
    await waitFor(() => rec.books.at(-1)?.askTicks === undefined, 'ask side emptied');
    expect(rec.books.at(-1)).toMatchObject({ symbol: 'ITUB4', bidTicks: 3819 });
    expect(rec.books.at(-1)).not.toHaveProperty('askQty');
  });

  it('relays 50,000 trades from the DLL thread with nothing lost or reordered', async () => {
    const rec = new Recorder();
    const b = await connected(rec);
    b.subscribe('VALE3');
    await waitFor(() => rec.books.length > 0, 'subscription');
    const n = 50_000;
    const t0 = performance.now();
    expect(standinControl().emitTrades('VALE3', 'B', n)).toBe(0); // from the DLL's own thread
    await waitFor(() => rec.trades.length === n, `${n} trades`, 60_000);
    const perSecond = n / ((performance.now() - t0) / 1000);
    // The stand-in sends quantity = sequence number: 1, 2, 3, … proves order and completeness.
    let inOrder = true;
    for (let i = 0; i < n; i++) if (rec.trades[i].qty !== i + 1) inOrder = false;
    expect(inOrder).toBe(true);
    expect(rec.trades.every((t) => t.symbol === 'VALE3' && t.priceTicks === 6180)).toBe(true);
    expect(rec.logged('warn', 'descartados')).toBe(false);
    expect(perSecond).toBeGreaterThan(2_000); // the bar (10,000/s) is measured by the benchmark, unloaded
  });

  it('drops trades, never reorders them, and says so when the bounded queue is full', async () => {
    const rec = new Recorder();
    const b = await connected(rec, {}, { queueCapacity: 100, relay: 'off' }); // the JS queue of the direct path
    b.subscribe('VALE3');
    await waitFor(() => rec.books.length > 0, 'subscription');
    // Delivered inside this call, from this thread: the event loop cannot drain before it returns.
    expect(standinControl().emitTrades('VALE3', 'B', 5_000, true)).toBe(0);
    await waitFor(() => rec.trades.length === 100, 'the queue-full of trades');
    expect(rec.trades.map((t) => t.qty)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    await waitFor(() => rec.logged('warn', '4900 negócios descartados'), 'drop report');
    expect(rec.logged('warn', '4900 trades dropped: the callback queue was full (the event loop is behind)')).toBe(true);
  });

  it('resyncs orders from the DLL when order events overflow the queue, without duplicating fills', async () => {
    const rec = new Recorder();
    const b = await connected(rec, {}, { queueCapacity: 1, relay: 'off' }); // the JS queue of the direct path
    b.submit({ clientOrderId: 'ov1', account: '', symbol: 'PETR4', side: 'buy', qty: 300, priceTicks: 3645 });
    await waitFor(() => rec.lastOf('ov1')?.status === 'new', 'ack');
    standinControl().marketTrade('PETR4', 'B', 2, 36.45, 300);
    await waitFor(() => rec.lastOf('ov1')?.status === 'filled', 'fill');
    const before = { updates: rec.updatesOf('ov1').length, fills: rec.fillsOf('ov1').length };
    expect(standinControl().repeatOrderEvent(1, 3)).toBe(0);
    await waitFor(() => rec.logged('warn', 'Eventos de ordem perdidos por fila cheia'), 'resync');
    await b.snapshot(); // waits for the resync in flight
    expect(rec.logged('warn', 'Eventos de ordem perdidos por fila cheia; relendo as ordens da ProfitDLL / Order events lost')).toBe(true);
    expect(rec.updatesOf('ov1')).toHaveLength(before.updates);
    expect(rec.fillsOf('ov1')).toHaveLength(before.fills);
  });
});

describe('history', () => {
  const minute = 60_000;

  it('downloads trades with progress 1..100, in time order, twice the same', async () => {
    const rec = new Recorder();
    const b = await connected(rec);
    const to = Math.floor((Date.now() - 60 * minute) / 10_000) * 10_000;
    const from = to - 60 * minute;
    const progress: number[] = [];
    const trades = await b.downloadHistory('PETR4', from, to, (p) => progress.push(p));
    expect(trades).toHaveLength(361); // one every 10 s, both ends included
    expect(trades[0].timeMs).toBe(from);
    expect(trades.at(-1)!.timeMs).toBe(to);
    expect(trades.every((t, i) => i === 0 || t.timeMs - trades[i - 1].timeMs === 10_000)).toBe(true);
    expect(trades.every((t) => t.symbol === 'PETR4' && t.qty % 100 === 0 && Math.abs(t.priceTicks - 3650) <= 50 && t.aggressor)).toBe(true);
    expect(progress.at(-1)).toBe(100);
    // Progress is a level: the event loop reports the latest value it sees, always rising.
    expect(progress.every((p, i) => i === 0 || p > progress[i - 1])).toBe(true);
    const again = await b.downloadHistory('PETR4', from, to);
    expect(again).toEqual(trades);
  });

  it('splits a long WIN range into days, where the DLL refuses 10 days at once', async () => {
    const rec = new Recorder();
    const b = await connected(rec, { PROFITDLL_STANDIN_HISTORY_SPACING_MS: String(60 * minute) });
    const day = 24 * 60 * minute;
    const to = Math.floor((Date.now() - day) / (60 * minute)) * 60 * minute;
    const from = to - 12 * day;
    const trades = await b.downloadHistory('WINZ26', from, to);
    expect(trades).toHaveLength(12 * 24 + 1);
    expect(trades.every((t) => t.priceTicks % 1 === 0 && Math.abs(t.priceTicks - 31000) <= 50)).toBe(true);

    // The same request in one piece, straight through the ABI.
    const direct = bindProfitDll(koffi.load(STANDIN_LIB));
    expect(direct.GetHistoryTrades('WINZ26', 'F', formatHistoryDate(from), formatHistoryDate(to))).toBe(NL.NL_INVALID_ARGS);
    expect(direct.GetHistoryTrades('WDOZ26', 'F', formatHistoryDate(to - 10 * day), formatHistoryDate(to))).toBe(NL.NL_INVALID_ARGS);
    expect(direct.GetHistoryTrades('WDOZ26', 'F', formatHistoryDate(to - 9 * day), formatHistoryDate(to))).toBe(0);
    expect(direct.GetHistoryTrades('PETR4', 'B', formatHistoryDate(from), formatHistoryDate(to))).toBe(0);
    expect(direct.GetHistoryTrades('PETR4', 'X', formatHistoryDate(from), formatHistoryDate(to))).toBe(NL.NL_EXCHANGE_UNKNOWN);
    expect(direct.GetHistoryTrades('PETR4', 'B', '2026-01-01', formatHistoryDate(to))).toBe(NL.NL_INVALID_ARGS);
    expect(direct.GetHistoryTrades('PETR4', 'B', formatHistoryDate(to), formatHistoryDate(from))).toBe(NL.NL_INVALID_ARGS);
  });

  it('reports the 30-day limit as NL_HISTORY_PERIOD_LIMIT', async () => {
    const rec = new Recorder();
    const b = await connected(rec);
    const day = 24 * 60 * minute;
    const error = await b.downloadHistory('PETR4', Date.now() - 31 * day, Date.now() - 31 * day + minute).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProfitDllError);
    expect(error).toMatchObject({ code: 'NL_HISTORY_PERIOD_LIMIT', nlCode: NL.NL_HISTORY_PERIOD_LIMIT });
    expect((error as Error).message).toBe(
      'GetHistoryTrades falhou: NL_HISTORY_PERIOD_LIMIT (data inicial do histórico anterior a 30 dias) / GetHistoryTrades failed: NL_HISTORY_PERIOD_LIMIT (history start date older than 30 days)',
    );
    // The next download is not blocked by the failed one.
    const ok = await b.downloadHistory('PETR4', Date.now() - 2 * minute, Date.now() - minute);
    expect(ok.length).toBeGreaterThan(0);
  });

  it('rejects bad requests before asking the DLL', async () => {
    const rec = new Recorder();
    const b = await connected(rec);
    await expect(b.downloadHistory('NOPE3', 0, 1)).rejects.toMatchObject({ code: 'UNKNOWN_INSTRUMENT' });
    await expect(b.downloadHistory('PETR4', 2, 1)).rejects.toMatchObject({ code: 'INVALID_RANGE' });
  });

  it('gives up on a download the DLL stops answering', async () => {
    const rec = new Recorder();
    const b = await connected(rec, {}, { historyIdleTimeoutMs: 200 });
    b.subscribe('VALE3');
    await waitFor(() => rec.books.length > 0, 'subscription');
    // The connector thread is busy with a long burst, so the history request waits behind it.
    standinControl().emitTrades('VALE3', 'B', 1_000_000);
    const error = await b.downloadHistory('PETR4', Date.now() - 2 * minute, Date.now() - minute).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'HISTORY_TIMEOUT', message: 'Histórico sem resposta da ProfitDLL há 200 ms / No history data from ProfitDLL for 200 ms' });
  });

  it('fails a download in progress when the session closes', async () => {
    const rec = new Recorder();
    const b = await connected(rec);
    b.subscribe('VALE3');
    await waitFor(() => rec.books.length > 0, 'subscription');
    standinControl().emitTrades('VALE3', 'B', 1_000_000);
    const pending = b.downloadHistory('PETR4', Date.now() - 2 * minute, Date.now() - minute);
    await new Promise((r) => setTimeout(r, 20));
    await b.close();
    await expect(pending).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
  });
});
