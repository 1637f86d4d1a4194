/**
 * The bridge learns a strategy's name and parameters without running its module in its own thread:
 * a file whose top level loops, or throws, is reported as broken while the others are described.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeStrategies } from '../../bridge/strategy/sandbox/describe.js';
import { tempDataDir } from '../support/bridge.js';

describe('describing strategies in a sandbox', () => {
  it('describes good modules and reports one that loops at its top level or throws, without blocking this thread', async () => {
    const dataDir = tempDataDir();
    mkdirSync(path.join(dataDir, 'strategies'));
    writeFileSync(path.join(dataDir, 'strategies', 'boa.ts'), `export default { name: 'Boa', params: { n: { type: 'integer', default: 3, min: 1 } }, setup() { return {}; } };`);
    writeFileSync(path.join(dataDir, 'strategies', 'trava.ts'), `for (;;) {}\nexport default { name: 'Trava', setup() { return {}; } };`);
    writeFileSync(path.join(dataDir, 'strategies', 'lanca.ts'), `throw new Error('config ausente');`);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 50);
    const t0 = Date.now();
    const out = await describeStrategies(['ma-crossover', 'boa.ts', 'lanca.ts', 'trava.ts'], dataDir, false, 3_000);
    clearInterval(timer);
    expect(out.map((d) => d.ok)).toEqual([true, true, false, false]);
    expect(out[0]).toMatchObject({ strategy: { name: 'Cruzamento de médias', source: 'bundled' } });
    expect(out[1]).toMatchObject({ strategy: { name: 'Boa', params: { n: { type: 'integer', default: 3, min: 1 } }, source: 'file' } });
    expect(out[2]).toMatchObject({ error: expect.stringContaining('config ausente') });
    expect(out[3]).toMatchObject({ error: expect.stringContaining('não terminou de carregar em 3 s') });
    // This thread went on meanwhile: its timer fired all along.
    expect(ticks).toBeGreaterThan(((Date.now() - t0) / 50) * 0.5);
    // A second ask is answered from the cache for the files that did not change.
    const t1 = Date.now();
    const again = await describeStrategies(['ma-crossover', 'boa.ts'], dataDir);
    expect(again.every((d) => d.ok)).toBe(true);
    expect(Date.now() - t1).toBeLessThan(200);
  }, 30_000);
});
