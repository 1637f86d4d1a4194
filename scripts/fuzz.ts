/**
 * `npm run fuzz`: the long property-based run against a real bridge (default 100,000 cases;
 * FUZZ_RUNS and FUZZ_SEED override). Prints the count, the seed and what the cases got back.
 */
import { fuzzBridge, prepareFuzzTarget } from '../test/support/api-fuzz.js';
import { startTestBridge } from '../test/support/bridge.js';
import { offsetClock } from '../test/support/clock.js';

const runs = Number(process.env.FUZZ_RUNS ?? 100_000);
const seed = process.env.FUZZ_SEED === undefined ? Date.now() % 2_147_483_647 : Number(process.env.FUZZ_SEED);
// The generators name WINZ26 and WDOF27 as live contracts: the bridge runs on a day when they are.
const t = await prepareFuzzTarget(await startTestBridge({ clock: offsetClock() }));
const t0 = Date.now();
let code = 0;
try {
  const summary = await fuzzBridge(t, runs, seed, (n) => {
    if (n % 5_000 === 0) console.log(`  ${n.toLocaleString('en-US')} cases passed (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  });
  console.log(`fuzz: ${runs.toLocaleString('en-US')} cases, seed ${seed}, ${((Date.now() - t0) / 1000).toFixed(0)} s: no 5xx, no crash, no journal row for a refused request`);
  for (const [k, n] of Object.entries(summary).sort()) console.log(`  ${k}: ${n}`);
} catch (e) {
  console.error(`fuzz FAILED (seed ${seed}):\n${(e as Error).message}`);
  code = 1;
} finally {
  t.ws.close();
  await t.bridge.dispose();
}
process.exit(code);
