/**
 * The BLACKBOX.* streaming functions with fake invocations: coalescing, cleanup on cancel,
 * errors as Excel errors (#N/A while disconnected), and no function ever sending an order.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BridgeClient } from '../../addin/src/core/bridge-client.js';
import { memorySettings } from '../../addin/src/core/settings.js';
import * as fns from '../../addin/src/functions/functions.js';
import { posicoes, saldo, useClientForFunctions } from '../../addin/src/functions/functions.js';
import type { OrderView, QuoteView } from '../../common/types.js';
import { statusMatcher } from '../../addin/src/core/blotters.js';
import { STATUS_LABELS } from '../../addin/src/core/format.js';
import { QUOTE_FIELD_CODES } from '../../addin/src/core/quote-fields.js';
import { SocketFactory, type FakeSocket } from './support/fake-bridge-socket.js';
import { ALGOS, INSTRUMENTS } from './support/reference.js';

// Excel passes whatever text the cell holds: the enums only make it offer a list.
const cotacao = fns.cotacao as unknown as (ativo: string, campo: string, inv: never) => void;
const ordens = fns.ordens as unknown as (cliente: string | undefined, status: string | undefined, inv: never) => void;
const ordem = fns.ordem as unknown as (id: string, campo: string, inv: never) => void;

class FakeCfError {
  constructor(
    public code: string,
    public message?: string,
  ) {}
}

beforeAll(() => {
  (globalThis as Record<string, unknown>).CustomFunctions = {
    associate() {},
    Error: FakeCfError,
    ErrorCode: { notAvailable: '#N/A', invalidValue: '#VALUE!', invalidNumber: '#NUM!' },
  };
});

interface FakeInvocation<T> {
  results: Array<T | FakeCfError>;
  setResult: (v: T | FakeCfError) => void;
  onCanceled?: () => void;
  last(): T | FakeCfError | undefined;
}

function invocation<T = unknown>(): FakeInvocation<T> {
  const inv: FakeInvocation<T> = {
    results: [],
    setResult: (v) => inv.results.push(v),
    last: () => inv.results[inv.results.length - 1],
  };
  return inv;
}

const quote = (last: number, patch: Partial<QuoteView> = {}): QuoteView => ({
  symbol: 'PETR4',
  last,
  bid: last - 0.01,
  ask: last + 0.01,
  bidQty: 500,
  askQty: 300,
  open: 36,
  high: 37,
  low: 35.5,
  prevClose: 36.2,
  changePct: 1.5,
  volumeQty: 1000,
  volumeBrl: 36500,
  trades: 12,
  time: '2026-11-26T13:30:05.000Z',
  ...patch,
});

const order = (id: string, patch: Partial<OrderView> = {}): OrderView => ({
  id,
  client: 'CLI1',
  symbol: 'PETR4',
  side: 'buy',
  qty: 1000,
  filledQty: 0,
  avgPrice: 0,
  limitPrice: 36.5,
  algo: { type: 'twap' },
  status: 'working',
  createdAt: '2026-11-26T13:00:00.000Z',
  updatedAt: '2026-11-26T13:00:00.000Z',
  ...patch,
});

let f: SocketFactory;
let client: BridgeClient;
let requests: Array<{ method: string; url: string }>;
let sock: FakeSocket;

function makeClient(token = 'tok') {
  requests = [];
  f = new SocketFactory();
  client = new BridgeClient({
    settings: memorySettings({ url: 'http://127.0.0.1:3000', token }),
    createWebSocket: f.create,
    random: () => 0,
    fetch: (async (url: string, init: RequestInit) => {
      const method = init.method ?? 'GET';
      requests.push({ method, url });
      const path = new URL(url).pathname;
      if (path === '/api/instruments') return new Response(JSON.stringify(INSTRUMENTS));
      if (path === '/api/algos') return new Response(JSON.stringify(ALGOS));
      if (path === '/api/orders/OLD-1') return new Response(JSON.stringify(order('OLD-1', { status: 'filled', filledQty: 1000, avgPrice: 36.4 })));
      if (path.startsWith('/api/orders/')) return new Response(JSON.stringify({ errors: [{ field: 'id', code: 'not_found', message: 'ordem não encontrada' }] }), { status: 404 });
      return new Response('{}', { status: 404 });
    }) as unknown as typeof fetch,
  });
  useClientForFunctions(client);
}

beforeEach(() => {
  vi.useFakeTimers();
  makeClient();
});
afterEach(() => {
  client.stop();
  useClientForFunctions(undefined);
  vi.useRealTimers();
});

function connect() {
  sock = f.connect('trader');
  return sock;
}

describe('COTACAO', () => {
  it('streams the RTD field and coalesces bursts to a few updates per second', async () => {
    const inv = invocation<number>();
    cotacao('petr4', 'ULT', inv as never);
    connect();
    expect(sock.ops('subscribe')[0]!.channels).toContain('quotes:PETR4');
    sock.push({ op: 'snapshot', channel: 'quotes:PETR4', seq: 1, data: quote(36.5) });
    expect(inv.results).toEqual([36.5]); // leading edge: immediately
    for (let i = 1; i <= 50; i++) {
      sock.push({ op: 'delta', channel: 'quotes:PETR4', seq: 1 + i, data: quote(36.5 + i / 100) });
      vi.advanceTimersByTime(10); // 50 ticks in 500 ms
    }
    await vi.advanceTimersByTimeAsync(1000);
    // at most one update per 400 ms, and the latest value wins
    expect(inv.results.length).toBeLessThanOrEqual(4);
    expect(inv.last()).toBeCloseTo(37.0, 5);
  });

  it('maps Profit field names: OCP/OVD/VOC/VOV/VAR/NEG/HOR', () => {
    const fields: Record<string, unknown> = {};
    for (const code of ['OCP', 'OVD', 'VOC', 'VOV', 'VAR', 'NEG', 'HOR', 'FEC', 'ABE', 'MAX', 'MIN', 'VOL', 'QTT', 'MED']) {
      const inv = invocation();
      cotacao('PETR4', code, inv as never);
      fields[code] = inv;
    }
    connect();
    sock.push({ op: 'snapshot', channel: 'quotes:PETR4', seq: 1, data: quote(36.5) });
    const v = (c: string) => (fields[c] as FakeInvocation<unknown>).last();
    expect(v('OCP')).toBeCloseTo(36.49);
    expect(v('OVD')).toBeCloseTo(36.51);
    expect(v('VOC')).toBe(500);
    expect(v('VOV')).toBe(300);
    expect(v('VAR')).toBe(1.5);
    expect(v('NEG')).toBe(12);
    expect(v('HOR')).toBeCloseTo((10 * 3600 + 30 * 60 + 5) / 86_400, 9); // an Excel time serial, São Paulo time
    expect(v('FEC')).toBe(36.2);
    expect(v('VOL')).toBe(36500);
    expect(v('QTT')).toBe(1000);
    expect(v('MED')).toBe(36.5);
  });

  it('turns a disconnect into #N/A with a message (never a stale number), and recovers', () => {
    const inv = invocation<number>();
    cotacao('PETR4', 'ULT', inv as never);
    connect();
    sock.push({ op: 'snapshot', channel: 'quotes:PETR4', seq: 1, data: quote(36.5) });
    sock.drop();
    vi.advanceTimersByTime(500);
    const err = inv.last() as FakeCfError;
    expect(err).toBeInstanceOf(FakeCfError);
    expect(err.code).toBe('#N/A');
    expect(err.message).toMatch(/desconectado/i);
    vi.advanceTimersByTime(1000);
    connect();
    sock.push({ op: 'snapshot', channel: 'quotes:PETR4', seq: 99, data: quote(36.8) });
    vi.advanceTimersByTime(500);
    expect(inv.last()).toBe(36.8);
  });

  it('rejects an unknown field at once (#VALUE!) without subscribing', () => {
    const inv = invocation();
    cotacao('PETR4', 'XYZ', inv as never);
    client.start();
    connect();
    expect((inv.last() as FakeCfError).code).toBe('#VALUE!');
    expect((inv.last() as FakeCfError).message).toContain('ULT');
    expect(JSON.stringify(sock.ops('subscribe'))).not.toContain('quotes:');
  });

  it('reports an unknown symbol (#VALUE!)', async () => {
    const inv = invocation();
    cotacao('ZZZZ9', 'ULT', inv as never);
    connect();
    await vi.advanceTimersByTimeAsync(1000);
    expect((inv.last() as FakeCfError).code).toBe('#VALUE!');
    expect((inv.last() as FakeCfError).message).toContain('ZZZZ9');
  });

  it('says how to fix a missing token', () => {
    makeClient('');
    const inv = invocation();
    cotacao('PETR4', 'ULT', inv as never);
    expect((inv.last() as FakeCfError).code).toBe('#N/A');
    expect((inv.last() as FakeCfError).message).toContain('token');
  });
});

describe('cancellation', () => {
  it('cleans up on cancel (idempotent), stops updating, and unsubscribes once no one listens', () => {
    const a = invocation();
    cotacao('VALE3', 'ULT', a as never);
    connect();
    sock.push({ op: 'snapshot', channel: 'quotes:VALE3', seq: 1, data: quote(61.8, { symbol: 'VALE3' }) });
    expect(a.results).toHaveLength(1);
    a.onCanceled!();
    a.onCanceled!();
    sock.push({ op: 'delta', channel: 'quotes:VALE3', seq: 2, data: quote(62, { symbol: 'VALE3' }) });
    vi.advanceTimersByTime(1000);
    expect(a.results).toHaveLength(1);
    vi.advanceTimersByTime(5000);
    expect(sock.ops('unsubscribe')).toEqual([{ op: 'unsubscribe', channels: ['quotes:VALE3'] }]);
  });

  it('survives Excel starting the new invocation before cancelling the old one', () => {
    const old = invocation();
    cotacao('PETR4', 'ULT', old as never);
    connect();
    sock.push({ op: 'snapshot', channel: 'quotes:PETR4', seq: 1, data: quote(36.5) });
    const fresh = invocation();
    cotacao('PETR4', 'ULT', fresh as never); // successor first
    old.onCanceled!(); // then the old one is cancelled
    vi.advanceTimersByTime(10_000);
    sock.push({ op: 'delta', channel: 'quotes:PETR4', seq: 2, data: quote(36.9) });
    vi.advanceTimersByTime(500);
    expect(fresh.last()).toBe(36.9);
    expect(sock.ops('unsubscribe')).toHaveLength(0);
  });
});

describe('blotters', () => {
  it('POSICOES spills a header and rows: consolidated, one client, all clients', () => {
    const all = invocation<unknown[][]>();
    const one = invocation<unknown[][]>();
    const each = invocation<unknown[][]>();
    posicoes(undefined, all as never);
    posicoes('cli2', one as never);
    posicoes('*', each as never);
    connect();
    const p = (client: string | undefined, qty: number) => ({ client, symbol: 'PETR4', qty, avgPrice: 36, last: 36.5, realizedPnl: 10, unrealizedPnl: 50 * (qty / 100) });
    sock.push({ op: 'snapshot', channel: 'positions', seq: 1, data: { consolidated: [p(undefined, 300)], byClient: [p('CLI1', 100), p('CLI2', 200)] } });
    expect(all.last()).toEqual([
      ['Ativo', 'Quantidade', 'Preço médio', 'Último', 'Resultado realizado', 'Resultado não realizado', 'Resultado total'],
      ['PETR4', 300, 36, 36.5, 10, 150, 160],
    ]);
    expect((one.last() as unknown[][]).slice(1)).toEqual([['PETR4', 200, 36, 36.5, 10, 100, 110]]);
    expect((each.last() as unknown[][])[0]![0]).toBe('Cliente');
    expect((each.last() as unknown[][]).length).toBe(3);
  });

  it('ORDENS filters by client and status, validates the status', () => {
    const open = invocation<unknown[][]>();
    const bad = invocation();
    ordens('CLI1', 'abertas', open as never);
    ordens(undefined, 'quase', bad as never);
    expect((bad.last() as FakeCfError).code).toBe('#VALUE!');
    connect();
    sock.push({
      op: 'snapshot',
      channel: 'orders',
      seq: 1,
      data: [order('A'), order('B', { status: 'filled', filledQty: 1000 }), order('C', { client: 'CLI2' })],
    });
    const out = open.last() as unknown[][];
    expect(out[0]).toContain('Status');
    expect(out.slice(1).map((r) => r[0])).toEqual(['A']);
    sock.push({ op: 'delta', channel: 'orders', seq: 2, data: order('D') });
    vi.advanceTimersByTime(500);
    expect((open.last() as unknown[][]).slice(1).map((r) => r[0])).toEqual(['A']); // blotters repaint at most once a second
    vi.advanceTimersByTime(500);
    expect((open.last() as unknown[][]).slice(1).map((r) => r[0])).toEqual(['A', 'D']);
  });

  it('SALDO spills D+0/D+1/D+2 and says when a client is unknown', () => {
    const all = invocation<unknown[][]>();
    const nobody = invocation();
    saldo(undefined, all as never);
    saldo('XYZ', nobody as never);
    connect();
    sock.push({ op: 'snapshot', channel: 'balances', seq: 1, data: [{ client: 'CLI1', d0: 100, d1: 90, d2: -5, dates: ['2026-11-26', '2026-11-27', '2026-11-30'] }] });
    expect((all.last() as unknown[][])[1]).toEqual(['CLI1', '', 100, 90, -5, 46352, 46353, 46356]); // Excel date serials
    expect((nobody.last() as FakeCfError).code).toBe('#N/A');
  });

  it('ORDEM reads a live order, falls back to the REST order, and says when it does not exist', async () => {
    const live = invocation();
    const old = invocation();
    const none = invocation();
    ordem('A', 'executada', live as never);
    ordem('OLD-1', 'PM', old as never);
    ordem('NOPE', 'STATUS', none as never);
    connect();
    sock.push({ op: 'snapshot', channel: 'orders', seq: 1, data: [order('A', { filledQty: 400 })] });
    await vi.advanceTimersByTimeAsync(1000);
    expect(live.last()).toBe(400);
    expect(old.last()).toBe(36.4);
    expect((none.last() as FakeCfError).code).toBe('#N/A');
    expect((none.last() as FakeCfError).message).toContain('NOPE');
  });
});

describe('values a sheet can compute with (issue 7 §7)', () => {
  it('returns dates and times as Excel serials in B3 time and prices rounded to the instrument\'s decimals', async () => {
    const ult = invocation();
    const win = invocation();
    const med = invocation();
    const dat = invocation();
    cotacao('PETR4', 'ULT', ult as never);
    cotacao('WINZ26', 'ULT', win as never);
    cotacao('PETR4', 'MED', med as never);
    cotacao('PETR4', 'DAT', dat as never);
    const orders = invocation<unknown[][]>();
    const created = invocation();
    const avg = invocation();
    ordens(undefined, undefined, orders as never);
    ordem('A', 'CRIADA_EM', created as never);
    ordem('A', 'PRECO_MEDIO', avg as never);
    connect();
    await vi.advanceTimersByTimeAsync(50); // instruments (tick sizes) loaded
    sock.push({ op: 'snapshot', channel: 'quotes:PETR4', seq: 1, data: quote(36.500435, { volumeBrl: 36_512.3456, volumeQty: 1000 }) });
    sock.push({ op: 'snapshot', channel: 'quotes:WINZ26', seq: 1, data: { ...quote(155_002.4999), symbol: 'WINZ26' } });
    sock.push({ op: 'snapshot', channel: 'orders', seq: 1, data: [order('A', { filledQty: 300, avgPrice: 36.500435, createdAt: '2026-11-26T13:05:09.000Z' })] });
    await vi.advanceTimersByTimeAsync(1500);
    expect(ult.last()).toBe(36.5);
    expect(win.last()).toBe(155_002); // WIN is quoted in whole points
    expect(med.last()).toBe(36.5123); // an average keeps two more decimals
    expect(dat.last()).toBe(46352); // 26/11/2026
    const serial = 46352 + (10 * 3600 + 5 * 60 + 9) / 86_400; // 26/11/2026 10:05:09 in São Paulo
    expect(created.last()).toBeCloseTo(serial, 9);
    expect(avg.last()).toBe(36.5);
    const [header, row] = orders.last() as unknown[][];
    expect(row![header!.indexOf('Criada em')]).toBeCloseTo(serial, 9);
    expect(row![header!.indexOf('Preço médio')]).toBe(36.5);
  });

  it('keeps a spilled blotter\'s last rows when the bridge drops, marks the header stale, and goes live again', async () => {
    const spill = invocation<unknown[][]>();
    const never = invocation<unknown[][]>();
    ordens(undefined, undefined, spill as never);
    connect();
    sock.push({ op: 'snapshot', channel: 'orders', seq: 1, data: [order('A'), order('B', { qty: 500 })] });
    await vi.advanceTimersByTimeAsync(1100);
    const live = spill.last() as unknown[][];
    expect(live[0]![0]).toBe('ID');
    sock.drop();
    await vi.advanceTimersByTimeAsync(1100);
    const stale = spill.last() as unknown[][];
    expect(Array.isArray(stale)).toBe(true); // not one #N/A: =SOMA(F2#) and charts keep working
    expect(String(stale[0]![0])).toMatch(/^⚠ DESATUALIZADO desde \d\d:\d\d:\d\d \(BlackBox desconectado.*\) · ID$/);
    expect(stale[0]!.slice(1)).toEqual(live[0]!.slice(1));
    expect(stale.slice(1)).toEqual(live.slice(1));
    // A blotter that never had a value stays #N/A.
    ordens('CLI9', undefined, never as never);
    await vi.advanceTimersByTimeAsync(1100);
    expect((never.last() as unknown as FakeCfError).code).toBe('#N/A');
    await vi.advanceTimersByTimeAsync(2000);
    connect();
    sock.push({ op: 'snapshot', channel: 'orders', seq: 5, data: [order('A'), order('B', { qty: 500 }), order('C')] });
    await vi.advanceTimersByTimeAsync(1100);
    const again = spill.last() as unknown[][];
    expect(again[0]![0]).toBe('ID');
    expect(again).toHaveLength(4);
  });

  it('the campo and status lists Excel offers are exactly what the functions accept', () => {
    expect(Object.values(fns.CampoCotacao)).toEqual([...QUOTE_FIELD_CODES]);
    const statuses = Object.values(fns.StatusOrdens);
    expect(statuses).toEqual(expect.arrayContaining(Object.values(STATUS_LABELS)));
    for (const st of statuses) expect(typeof statusMatcher(st), st).toBe('function');
    for (const campo of Object.values(fns.CampoOrdem)) {
      const inv = invocation();
      ordem('A', campo, inv as never);
      expect(inv.results.some((r) => r instanceof FakeCfError && r.code === '#VALUE!'), campo).toBe(false);
      inv.onCanceled?.();
    }
  });
});

it('no function ever sends, changes or cancels an order', async () => {
  const invs = [invocation(), invocation(), invocation(), invocation(), invocation()];
  posicoes(undefined, invs[0] as never);
  ordens(undefined, undefined, invs[1] as never);
  saldo(undefined, invs[2] as never);
  cotacao('PETR4', 'ULT', invs[3] as never);
  ordem('OLD-1', 'STATUS', invs[4] as never);
  connect();
  sock.push({ op: 'snapshot', channel: 'orders', seq: 1, data: [] });
  await vi.advanceTimersByTimeAsync(2000);
  for (const inv of invs) inv.onCanceled?.();
  await vi.advanceTimersByTimeAsync(10_000);
  expect(requests.every((r) => r.method === 'GET')).toBe(true);
  const ops = new Set(sock.sent.map((m) => m.op));
  for (const op of ops) expect(['auth', 'subscribe', 'unsubscribe', 'snapshot', 'ping']).toContain(op);
});
