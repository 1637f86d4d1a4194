/**
 * A short property-based pass over the real bridge's inputs (the long one is `npm run fuzz`):
 * never a 5xx, never a crash, never a journal row for a refused request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzBridge, prepareFuzzTarget, type FuzzTarget } from '../support/api-fuzz.js';
import { startTestBridge } from '../support/bridge.js';
import { offsetClock } from '../support/clock.js';

let t: FuzzTarget;
beforeAll(async () => {
  // The generators name WINZ26 and WDOF27 as live contracts: the bridge runs on a day when they are.
  t = await prepareFuzzTarget(await startTestBridge({ clock: offsetClock() }));
});
afterAll(async () => {
  t.ws.close();
  await t.bridge.dispose();
});

describe('fuzzing the API and the WebSocket', () => {
  it('survives 300 generated boletas, batches, PATCH bodies and frames', async () => {
    const summary = await fuzzBridge(t, Number(process.env.FUZZ_RUNS ?? 300));
    // The generators reach acceptance as well as refusal, or the pass would prove little.
    expect(Object.entries(summary).some(([k, n]) => k === 'boleta 201' && n > 0)).toBe(true);
    expect(Object.entries(summary).some(([k, n]) => k.startsWith('boleta 4') && n > 0)).toBe(true);
    expect((await t.bridge.api('GET', '/api/health')).status).toBe(200);
  }, 120_000);

  it('answers 422, not 500, to a price too large to be exact ticks (found by the long run)', async () => {
    const b = t.bridge;
    // An order of its own: the random pass above may have amended the shared one into a fill.
    const resting = await b.api('POST', '/api/orders', { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 1.01, algo: { type: 'full' } });
    expect(resting.status).toBe(201);
    const patch = await b.api('PATCH', `/api/orders/${resting.body.id}`, '{"limitPrice":1.300777474583892e+285}');
    expect(patch.status).toBe(422);
    expect(patch.body.errors[0]).toMatchObject({ field: 'limitPrice', code: 'off_tick' });
    const boleta = await b.api('POST', '/api/orders', { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 1.300777474583892e285, algo: { type: 'full' } });
    expect(boleta.status).toBe(422);
    expect(boleta.body.errors[0]).toMatchObject({ field: 'limitPrice', code: 'off_tick' });
  });
});
