/**
 * The native callback relay against the worst plausible DLL (the stand-in's adversarial switches), side by
 * side with the direct koffi path where the difference is the point:
 *   - a DLL that holds its lock while calling back: the direct path's accessors fail and the DLL reports
 *     states 5/6; the relay delivers market data and orders at rate;
 *   - a refused SendOrder reaches the OMS as a reject with the DLL's reason (trading message result);
 *   - routing that stops at state 2; buffers before the second GetOrderDetails call; garbage lengths;
 *     NL_INVALID_ARGS for a position; a DLL call that hangs; a ring that overflows; one thread for login,
 *     requests and DLLFinalize.
 * Every wait is bounded: a test can fail, never hang.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProfitDllBroker } from '../../bridge/adapters/profitdll/index.js';
import { Recorder, buildStandin, configureStandin, makeBroker, standinControl, waitFor } from './support.js';

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
  const b = (broker = makeBroker(rec, overrides));
  await b.connect();
  return b;
}

const ADVERSARIAL = { PROFITDLL_STANDIN_ADVERSARIAL: '1', PROFITDLL_STANDIN_LOCK_WAIT_MS: '20' };

describe('a DLL that holds its lock while it calls back', () => {
  it('direct koffi path: accessors off the DLL thread fail, trades are lost and the DLL reports state 5/6', async () => {
    const rec = new Recorder();
    const b = await connected(rec, ADVERSARIAL, { relay: 'off' });
    expect(b.diagnostics().path).toBe('direct');
    b.subscribe('VALE3');
    await waitFor(() => standinControl().emitTrades('VALE3', 'B', 200) === 0, 'subscribed');
    await waitFor(() => rec.logged('error', 'NL_NOT_SAME_THREAD'), 'accessor failure', 10_000);
    await waitFor(() => rec.logged('error', 'Market data parcial'), 'state 6 reported', 10_000);
    expect(rec.trades).toHaveLength(0);
    expect(b.diagnostics().warnings.join('\n')).toMatch(/Caminho direto do koffi/);
  });

  it('relay: 20,000 trades in order, an order filled, no state 5/6, nothing lost', async () => {
    const rec = new Recorder();
    const b = await connected(rec, ADVERSARIAL);
    expect(b.isConnected()).toBe(true);
    expect(b.diagnostics().path).toBe('relay');
    b.subscribe('VALE3');
    await waitFor(() => rec.books.some((x) => x.symbol === 'VALE3'), 'book read inside the depth callback');
    const n = 20_000;
    const t0 = performance.now();
    expect(standinControl().emitTrades('VALE3', 'B', n)).toBe(0);
    await waitFor(() => rec.trades.length === n, `${n} trades`, 30_000);
    const perSecond = n / ((performance.now() - t0) / 1000);
    expect(rec.trades.every((t, i) => t.qty === i + 1)).toBe(true);
    expect(perSecond).toBeGreaterThan(2_000); // the bar (10,000/s) is the benchmark's, on an unloaded machine
    b.submit({ clientOrderId: 'adv1', account: '', symbol: 'PETR4', side: 'buy', qty: 200, priceTicks: 3660 });
    await waitFor(() => rec.lastOf('adv1')?.status === 'filled', 'fill');
    expect(rec.fillsOf('adv1').reduce((s, f) => s + f.qty, 0)).toBe(200);
    expect(rec.logged('error', 'Market data parcial')).toBe(false);
    const d = b.diagnostics();
    expect(d).toMatchObject({ path: 'relay', lostEvents: 0 });
    expect(d.slowestCallbackMs).toBeLessThan(200);
  });
});

describe('per-message results (SetTradingMessageResultCallback)', () => {
  it.each([['auto'], ['off']])('a SendOrder refused by risk control reaches the OMS as a reject with the reason (%s)', async (relay) => {
    const rec = new Recorder();
    const b = await connected(rec, {}, { relay });
    expect(standinControl().blockNextByRisk()).toBe(0);
    b.submit({ clientOrderId: 'risk1', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3640 });
    await waitFor(() => rec.lastOf('risk1')?.status === 'rejected', 'reject from the message result');
    expect(rec.lastOf('risk1')!.reason).toMatch(/^Recusada \(mrcBlockedByRisk, mensagem \d+\): Bloqueado pelo controle de risco/);
    // The next order goes through as usual.
    b.submit({ clientOrderId: 'risk2', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3640 });
    await waitFor(() => rec.lastOf('risk2')?.status === 'new', 'ack');
  });
});

describe('routing that stops at state 2 (ROTEAMENTO_CONNECTED)', () => {
  it('says so in the message and in /api/health, and sends nothing', async () => {
    const rec = new Recorder();
    const b = await connected(rec, { PROFITDLL_STANDIN_ROUTING_STATE: '2' }, { connectTimeoutMs: 500 });
    expect(b.isConnected()).toBe(false);
    expect(b.status().message).toMatch(/^conectado ao roteamento, aguardando corretora/);
    expect(b.diagnostics().warnings.join('\n')).toMatch(/conectado ao roteamento, aguardando corretora/);
    const before = standinControl().requestCount();
    b.submit({ clientOrderId: 'r2', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3640 });
    await waitFor(() => rec.lastOf('r2')?.status === 'rejected', 'local reject');
    expect(standinControl().requestCount()).toBe(before);
  });

  it('is ready with the setting that accepts 2', async () => {
    const rec = new Recorder();
    const b = await connected(rec, { PROFITDLL_STANDIN_ROUTING_STATE: '2' }, { acceptRoutingConnected: true });
    expect(b.isConnected()).toBe(true);
    expect(b.status().message).toMatch(/roteamento no estado 2 \(aceito como pronto/);
    b.submit({ clientOrderId: 'r2ok', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3660 });
    await waitFor(() => rec.lastOf('r2ok')?.status === 'filled', 'fill');
  });
});

describe('two-call accessors', () => {
  it.each([
    ['auto', 'PROFITDLL_STANDIN_STRICT_BUFFERS'],
    ['off', 'PROFITDLL_STANDIN_STRICT_BUFFERS'],
    ['auto', 'PROFITDLL_STANDIN_GARBAGE_LENGTHS'],
    ['off', 'PROFITDLL_STANDIN_GARBAGE_LENGTHS'],
  ])('reads the broker text of a reject (%s, %s)', async (relay, flag) => {
    const rec = new Recorder();
    const b = await connected(rec, { [flag]: '1' }, { relay });
    b.submit({ clientOrderId: 'tun', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 2000 }); // out of the tunnel
    await waitFor(() => rec.lastOf('tun')?.status === 'rejected', 'reject');
    expect(rec.lastOf('tun')!.reason).toBe('Corretora: Preço fora do túnel de negociação / Broker: Preço fora do túnel de negociação');
    expect(rec.logged('error', 'GetOrderDetails')).toBe(false);
  });
});

describe('GetPositionV2 answering NL_INVALID_ARGS', () => {
  it('is flat when no order of the day executed in the symbol, and an error once one did', async () => {
    const rec = new Recorder();
    const b = await connected(rec, { PROFITDLL_STANDIN_POSITION_INVALID_ARGS: '1' });
    expect(b.getPosition('PETR4')).toMatchObject({ symbol: 'PETR4', qty: 0 });
    b.submit({ clientOrderId: 'p1', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3660 });
    await waitFor(() => rec.lastOf('p1')?.status === 'filled', 'fill');
    expect(() => b.getPosition('PETR4')).toThrow(/NL_INVALID_ARGS para PETR4 em 1234567, mas há execuções hoje nesse ativo/);
    expect(b.getPosition('VALE3')).toMatchObject({ qty: 0 });
  });
});

describe('a DLL call that hangs', () => {
  it('names it in the status and /api/health, sends nothing more, and accounts for the order when it returns', async () => {
    const rec = new Recorder();
    const b = await connected(rec, { PROFITDLL_STANDIN_HANG: 'SendOrder', PROFITDLL_STANDIN_HANG_MS: '20000' }, { requestTimeoutMs: 300 });
    expect(b.isConnected()).toBe(true);
    const t0 = Date.now();
    b.submit({ clientOrderId: 'h1', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3640 });
    expect(Date.now() - t0).toBeLessThan(2_000); // the event loop waited the timeout, not the hang
    await waitFor(() => !b.isConnected(), 'blocked');
    expect(b.status().message).toMatch(/ProfitDLL não responde: SendOrder sem retorno/);
    expect(b.diagnostics().hungCall?.name).toBe('SendOrder');
    expect(rec.lastOf('h1')).toBeUndefined(); // neither rejected nor re-sent: it may be at the broker
    b.submit({ clientOrderId: 'h2', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3640 });
    await waitFor(() => rec.lastOf('h2')?.status === 'rejected', 'refused while hung');
    standinControl().releaseHang();
    await waitFor(() => b.isConnected(), 'answers again');
    await waitFor(() => rec.lastOf('h1')?.status === 'new', 'the late order is bound and reported');
    expect(b.diagnostics().hungCall).toBeUndefined();
  });
});

describe('a login that never returns', () => {
  it('connect() ends at the relay timeout, disconnected, naming DLLInitializeLogin', async () => {
    const rec = new Recorder();
    const t0 = Date.now();
    const b = await connected(rec, { PROFITDLL_STANDIN_HANG: 'DLLInitializeLogin', PROFITDLL_STANDIN_HANG_MS: '1500' }, { requestTimeoutMs: 300 });
    expect(Date.now() - t0).toBeLessThan(1_400);
    expect(b.isConnected()).toBe(false);
    expect(b.status().message).toMatch(/^DLLInitializeLogin não retornou a tempo: a ProfitDLL não responde/);
    await b.close();
    broker = undefined;
    // The stand-in finishes its login later, into a relay that stopped listening; stop it from here.
    await waitFor(() => standinControl().finalize() === 0, 'late login finalized', 5_000);
  });
});

describe('a ring that overflows', () => {
  it('delivers what fit, in order, and counts the rest as lost in the log and the diagnostics', async () => {
    const rec = new Recorder();
    const b = await connected(rec, {}, { relayRingCapacity: 64 });
    b.subscribe('VALE3');
    await waitFor(() => rec.books.some((x) => x.symbol === 'VALE3'), 'subscription');
    // From this thread, inside the call: nothing can drain until it returns.
    expect(standinControl().emitTrades('VALE3', 'B', 5_000, true)).toBe(0);
    await waitFor(() => rec.logged('warn', 'negócios descartados'), 'loss reported');
    expect(rec.trades.map((t) => t.qty)).toEqual(Array.from({ length: rec.trades.length }, (_, i) => i + 1));
    expect(rec.trades.length).toBeLessThanOrEqual(64);
    const d = b.diagnostics();
    expect(d.lostTrades).toBe(5_000 - rec.trades.length);
    expect(d.warnings.join('\n')).toMatch(/eventos da ProfitDLL perdidos por fila cheia/);
  });
});

describe('one thread for login, requests and DLLFinalize', () => {
  it('relay: a DLL that insists on it works, and finalizes cleanly', async () => {
    const rec = new Recorder();
    const b = await connected(rec, { PROFITDLL_STANDIN_SAME_THREAD: '1' });
    b.submit({ clientOrderId: 'st1', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3660 });
    await waitFor(() => rec.lastOf('st1')?.status === 'filled', 'fill');
    await b.close();
    broker = undefined;
    expect(rec.logged('warn', 'DLLFinalize falhou')).toBe(false);
  });

  it('direct path: DLLFinalize runs on a koffi worker, which such a DLL refuses', async () => {
    const rec = new Recorder();
    const b = await connected(rec, { PROFITDLL_STANDIN_SAME_THREAD: '1' }, { relay: 'off' });
    expect(b.isConnected()).toBe(true);
    await b.close();
    broker = undefined;
    expect(rec.logged('warn', 'DLLFinalize falhou: NL_NOT_SAME_THREAD')).toBe(true);
    expect(standinControl().finalize()).toBe(0); // from the login's thread, the stand-in stops
  });
});

describe('a relay library that will not load', () => {
  it('falls back to the direct koffi path, with a warning, and trades', async () => {
    const rec = new Recorder();
    const b = await connected(rec, {}, { relay: '/nao/existe/blackbox-relay.dll' });
    expect(b.isConnected()).toBe(true);
    expect(b.diagnostics().path).toBe('direct');
    expect(rec.logged('warn', 'usando o caminho direto do koffi')).toBe(true);
    b.submit({ clientOrderId: 'fb1', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3660 });
    await waitFor(() => rec.lastOf('fb1')?.status === 'filled', 'fill');
  });
});
