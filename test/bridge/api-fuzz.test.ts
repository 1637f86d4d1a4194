/**
 * A short property-based pass over the real bridge's inputs (the long one is `npm run fuzz`):
 * never a 5xx, never a crash, never a journal row for a refused request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzBridge, prepareFuzzTarget, type FuzzTarget } from '../support/api-fuzz.js';
import { startTestBridge } from '../support/bridge.js';

let t: FuzzTarget;
beforeAll(async () => {
  t = await prepareFuzzTarget(await startTestBridge());
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
});
