/**
 * `blackbox panic` from a terminal: wall time from spawning `node bin/blackbox.js panic` to its
 * exit after the bridge has answered (PÂNICO engaged and journaled), median of several runs.
 * Bar: well under 500 ms. Run alone: `npx tsx bench/panic-cli.ts`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startBridge } from '../bridge/app.js';
import { median } from './stats.js';

const RUNS = 9;
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'blackbox.js');

export async function runPanicCliBench(): Promise<{ medianMs: number; maxMs: number; runs: number }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'blackbox-bench-panic-'));
  const b = await startBridge({ dataDir, port: 0, seed: 5, quiet: true });
  const times: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      // Asynchronous spawn: the bridge answering it runs in this process.
      const code = await new Promise<number>((resolve, reject) => {
        const p = spawn(process.execPath, [BIN, 'panic', '--data', dataDir, '--port', String(b.port), '--reason', `bench ${i}`], { stdio: ['ignore', 'ignore', 'inherit'] });
        p.on('exit', (c) => resolve(c ?? 1));
        p.on('error', reject);
      });
      times.push(performance.now() - t0);
      if (code !== 0) throw new Error(`blackbox panic exited with ${code}`);
      if (!b.oms.killSwitchState().engaged) throw new Error('PÂNICO not engaged after blackbox panic');
      await b.oms.releaseKillSwitch('bench', 'bench');
    }
  } finally {
    await b.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { medianMs: median(times), maxMs: Math.max(...times), runs: RUNS };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await runPanicCliBench();
  console.log(`blackbox panic from a terminal: median ${r.medianMs.toFixed(0)} ms, max ${r.maxMs.toFixed(0)} ms over ${r.runs} runs`);
}
