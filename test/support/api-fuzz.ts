/**
 * Property-based fuzzing of the real bridge's inputs (fast-check): boletas, batch rows, PATCH bodies
 * and WebSocket frames, well-formed, half-right and garbage. Properties, for every case:
 *   - never a 5xx, and the bridge still answers afterwards (no crash);
 *   - a refused request writes no journal row of its own (no order.accepted / order.amended);
 *   - a WebSocket frame never writes an order event, and the socket either answers or stays open.
 * `npm test` runs a short pass (test/bridge/api-fuzz.test.ts); `npm run fuzz` runs 100,000 cases.
 */
import fc from 'fast-check';
import WebSocket from 'ws';
import type { TestBridge } from './bridge.js';

/** Request kinds, in the proportions a case picks them. */
type Case =
  | { kind: 'boleta'; body: string }
  | { kind: 'batch'; body: string; validateOnly: boolean }
  | { kind: 'patch'; body: string; target: 'resting' | 'unknown' }
  | { kind: 'ws'; frame: string };

const ORDER_WRITES = new Set(['order.accepted', 'order.amended', 'order.cancel_requested', 'killswitch', 'trading_state']);

/** Mostly a plausible value, sometimes anything JSON can carry. */
function field<T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 5, arbitrary: good }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
}

const price = fc.oneof(
  fc.double({ min: -10, max: 500, noNaN: true }),
  fc.integer({ min: 1, max: 400 }).map((c) => c / 10),
  fc.constantFrom(30, 36.6, 36.60000000001, 0, -1, 1e308, 5e-324, 130_000, 130_005, 1.300777474583892e285, 2 ** 53 / 100),
  fc.double({ min: 1e6, max: 1e300, noNaN: true }),
);
const qty = fc.oneof(fc.integer({ min: -1_000, max: 2_000_000 }), fc.constantFrom(100, 1, 0, 1e21, 2 ** 53 + 1), fc.double({ noNaN: true }));
const client = fc.constantFrom('ALFA', 'BETA', 'NOPE', '', 'alfa', 'A'.repeat(200));
const symbol = fc.constantFrom('PETR4', 'VALE3', 'WINZ26', 'WDOF27', 'petr4', 'XXXX3', '', 'PETR4 ');
const algo = fc.oneof(
  fc.constant({ type: 'full' }),
  fc.record({ type: fc.constantFrom('full', 'twap', 'iceberg', 'nope'), x: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: ['type'] }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A boleta the bridge accepts (passive prices, so the collar passes and it rests). */
const validBoleta = fc.record({
  client: fc.constantFrom('ALFA', 'BETA'),
  symbol: fc.constantFrom('PETR4', 'VALE3'),
  side: fc.constantFrom('buy', 'sell'),
  qty: fc.constantFrom(100, 200, 1_000),
  limitPrice: fc.integer({ min: 100, max: 500 }).map((c) => c / 100),
  algo: fc.constant({ type: 'full' }),
  idempotencyKey: fc.uuid(),
}).map((b) => (b.side === 'sell' ? { ...b, limitPrice: b.limitPrice + 900 } : b));

/** A valid boleta with one or two fields replaced by something else, or removed. */
const nearlyValid = fc
  .tuple(validBoleta, fc.array(fc.tuple(fc.constantFrom('client', 'symbol', 'side', 'qty', 'limitPrice', 'algo', 'idempotencyKey', 'allocations', 'extra'), fc.option(fc.jsonValue({ maxDepth: 2 }))), { minLength: 1, maxLength: 2 }))
  .map(([b, changes]) => {
    const out: Record<string, unknown> = { ...b };
    for (const [k, v] of changes) {
      if (v === null) delete out[k];
      else out[k] = v;
    }
    return out;
  });

const anyBoleta = fc
  .tuple(
    fc.record(
      {
        client: field(client),
        symbol: field(symbol),
        side: field(fc.constantFrom('buy', 'sell', 'BUY', 'compra', '')),
        qty: field(qty),
        limitPrice: field(price),
        algo: field(algo),
        idempotencyKey: field(fc.string({ maxLength: 80 })),
        allocations: field(fc.array(fc.record({ client: field(client), qty: field(qty), weight: field(fc.double()) }, { requiredKeys: [] }), { maxLength: 4 })),
      },
      { requiredKeys: [] },
    ),
    fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
    fc.boolean(),
  )
  .map(([b, extra, withExtra]) => (withExtra ? { ...extra, ...b } : b));

const boleta = fc.oneof({ weight: 2, arbitrary: validBoleta }, { weight: 3, arbitrary: nearlyValid }, { weight: 2, arbitrary: anyBoleta });

/** A JSON text, sometimes damaged: truncated, a byte changed, a key repeated, or not JSON at all. */
function damaged(value: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: value.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.tuple(value, fc.nat()).map(([v, n]) => { const s = JSON.stringify(v) ?? ''; return s.slice(0, n % (s.length + 1)); }) },
    { weight: 1, arbitrary: fc.tuple(value, fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([v, n, c]) => { const s = JSON.stringify(v) ?? ''; const i = n % (s.length + 1); return s.slice(0, i) + c + s.slice(i + 1); }) },
    { weight: 1, arbitrary: value.map((v) => { const s = JSON.stringify(v) ?? '{}'; return s.startsWith('{"') ? s.replace(/^\{("[^"]*":)/, '{$1-1,$1') : s; }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  );
}

const caseArb: fc.Arbitrary<Case> = fc.oneof(
  { weight: 4, arbitrary: damaged(boleta).map((body) => ({ kind: 'boleta' as const, body })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(damaged(fc.record({ rows: field(fc.array(boleta, { maxLength: 6 })), allOrNothing: field(fc.boolean()) }, { requiredKeys: [] })), fc.boolean())
      .map(([body, validateOnly]) => ({ kind: 'batch' as const, body, validateOnly })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(damaged(fc.record({ qty: field(qty), limitPrice: field(price), algo: field(algo) }, { requiredKeys: [] })), fc.constantFrom('resting' as const, 'unknown' as const))
      .map(([body, target]) => ({ kind: 'patch' as const, body, target })),
  },
  {
    weight: 2,
    arbitrary: damaged(
      fc.record(
        { op: field(fc.constantFrom('auth', 'subscribe', 'unsubscribe', 'snapshot', 'nope')), channels: field(fc.array(fc.constantFrom('orders', 'quotes:PETR4', 'health', 'x'.repeat(300)), { maxLength: 3 })), channel: field(fc.string()), token: field(fc.string()) },
        { requiredKeys: [] },
      ),
    ).map((frame) => ({ kind: 'ws' as const, frame })),
  },
);

export interface FuzzTarget {
  bridge: TestBridge;
  /** Trader tokens to rotate through, so the per-token rate limit does not turn every case into a 429. */
  tokens: string[];
  restingOrderId: string;
  ws: WebSocket;
  wsMessages: number;
}

/** Prepare a bridge for fuzzing: clients, tokens, one resting order to PATCH, an authenticated socket. */
export async function prepareFuzzTarget(bridge: TestBridge): Promise<FuzzTarget> {
  await bridge.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 1_000_000_000 });
  await bridge.api('POST', '/api/clients', { id: 'BETA', name: 'Carteira Beta', openingCash: 1_000_000_000 });
  const tokens: string[] = [];
  for (let i = 0; i < 12; i++) tokens.push((await bridge.api('POST', '/api/tokens', { role: 'trader', name: `Fuzz ${i}`, label: `fuzz ${i}` })).body.token);
  const resting = await bridge.api('POST', '/api/orders', { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 1, algo: { type: 'full' } });
  if (resting.status !== 201) throw new Error(`could not place the resting order: ${JSON.stringify(resting.body)}`);
  const ws = new WebSocket(bridge.url.replace(/^http/, 'ws') + '/ws');
  const target: FuzzTarget = { bridge, tokens, restingOrderId: resting.body.id, ws, wsMessages: 0 };
  ws.on('message', () => target.wsMessages++);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ op: 'auth', token: bridge.token }));
  await waitUntil(() => target.wsMessages > 0, 5_000);
  return target;
}

async function waitUntil(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
  return true;
}

let turn = 0;

/** What the cases got back, by kind and status: shows the run reached accepted paths too. */
export type FuzzSummary = Record<string, number>;
let summary: FuzzSummary = {};
const tally = (key: string) => (summary[key] = (summary[key] ?? 0) + 1);

async function runCase(t: FuzzTarget, c: Case): Promise<void> {
  const b = t.bridge;
  const seq = b.journalSeq();
  if (c.kind === 'ws') {
    if (t.ws.readyState !== WebSocket.OPEN) throw new Error('the authenticated WebSocket was closed by an earlier frame');
    const before = t.wsMessages;
    t.ws.send(c.frame);
    // Every frame is answered (error, snapshot, ack...) or is a valid (un)subscribe; either way the socket lives.
    tally((await waitUntil(() => t.wsMessages > before, 200)) ? 'ws answered' : 'ws silent');
    if (t.ws.readyState !== WebSocket.OPEN) throw new Error(`frame closed the socket: ${c.frame}`);
    const wrote = b.journalTypesAfter(seq).filter((ty) => ORDER_WRITES.has(ty));
    if (wrote.length > 0) throw new Error(`a WebSocket frame wrote ${wrote.join(',')}: ${c.frame}`);
    return;
  }
  const token = t.tokens[turn++ % t.tokens.length];
  const [method, urlPath] =
    c.kind === 'boleta' ? ['POST', '/api/orders']
    : c.kind === 'batch' ? ['POST', c.validateOnly ? '/api/orders/batch/validate' : '/api/orders/batch']
    : ['PATCH', `/api/orders/${c.target === 'resting' ? t.restingOrderId : 'BBnope-000001'}`];
  const res = await fetch(`${b.url}${urlPath}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: c.body });
  const text = await res.text();
  if (res.status >= 500) throw new Error(`${method} ${urlPath} answered ${res.status}: ${text}\nbody: ${c.body}`);
  let json: { errors?: unknown; results?: Array<{ ok: boolean }> };
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${urlPath} answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
  }
  tally(`${c.kind} ${res.status}`);
  const refused = res.status >= 400 || (c.kind === 'batch' && (c.validateOnly || (json.results ?? []).every((r) => !r.ok)));
  if (res.status >= 400 && !Array.isArray(json.errors)) throw new Error(`${res.status} without { errors: [...] }: ${text.slice(0, 200)}`);
  if (refused) {
    const wrote = b.journalTypesAfter(seq).filter((ty) => ORDER_WRITES.has(ty));
    if (wrote.length > 0) throw new Error(`refused ${method} ${urlPath} (${res.status}) wrote ${wrote.join(',')}\nbody: ${c.body}`);
  }
}

/** Run `numRuns` cases against the target; throws fast-check's report on the first failure. */
export async function fuzzBridge(t: FuzzTarget, numRuns: number, seed?: number, onProgress?: (casesPassed: number) => void): Promise<FuzzSummary> {
  summary = {};
  let passed = 0;
  await fc.assert(
    fc.asyncProperty(caseArb, async (c) => {
      await runCase(t, c);
      onProgress?.(++passed);
    }),
    { numRuns, seed, endOnFailure: true },
  );
  const health = await fetch(`${t.bridge.url}/api/health`);
  if (health.status !== 200) throw new Error(`bridge unhealthy after fuzzing: ${health.status}`);
  return summary;
}
