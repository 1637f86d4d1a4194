/**
 * End-to-end figures of the real bridge on the in-process simulated B3:
 * - a bulk boleta batch of 1,000 rows, validated and accepted (bar ≤ 500 ms);
 * - PÂNICO with 1,000 working child orders: until the simulator has acknowledged every cancel
 *   (bar ≤ 250 ms), and no boleta accepted after engage.
 * Run alone: `npx tsx bench/bridge.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startBridge } from '../bridge/app.js';
import { median } from './stats.js';

const ROWS = 1_000;
const RUNS = 5;

async function once(): Promise<{ batchMs: number; killMs: number; acceptedAfterEngage: number }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'blackbox-bench-'));
  const b = await startBridge({ dataDir, port: 0, seed: 5, quiet: true, simTickMs: 50 });
  try {
    const call = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(b.url + p, {
        method,
        headers: { authorization: `Bearer ${b.token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    await call('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 1e9 });
    let bid: number | undefined;
    while (bid === undefined) {
      bid = (await call('GET', '/api/quotes?symbols=PETR4')).body[0].bid;
      await new Promise((r) => setTimeout(r, 20));
    }
    // Passive prices a few ticks apart so every order rests at the simulator.
    const rows = Array.from({ length: ROWS }, (_, i) => ({
      client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100,
      limitPrice: Math.round((bid! - 0.5 - (i % 50) * 0.01) * 100) / 100,
      algo: { type: 'full' }, idempotencyKey: `bench-${i}`,
    }));
    const t0 = performance.now();
    const r = await call('POST', '/api/orders/batch', { rows });
    const batchMs = performance.now() - t0;
    const ok = r.body.results.filter((x: any) => x.ok).length;
    if (ok !== ROWS) throw new Error(`batch accepted ${ok}/${ROWS}: ${JSON.stringify(r.body.results.find((x: any) => !x.ok))}`);
    while (b.oms.list({ status: 'working' }).length < ROWS) await new Promise((res) => setTimeout(res, 10));
    if (b.oms.liveChildCount() !== ROWS) throw new Error(`expected ${ROWS} working children, got ${b.oms.liveChildCount()}`);

    const k0 = performance.now();
    await call('POST', '/api/kill-switch', { engaged: true, reason: 'bench' });
    while (b.oms.liveChildCount() > 0) await new Promise((res) => setImmediate(res));
    const killMs = performance.now() - k0;
    const after = await call('POST', '/api/orders', { ...rows[0], idempotencyKey: 'after' });
    return { batchMs, killMs, acceptedAfterEngage: after.status === 201 ? 1 : 0 };
  } finally {
    await b.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runBridgeBench(): Promise<{ batch1000Ms: number; killSwitch1000Ms: number; acceptedAfterEngage: number }> {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once());
  return {
    batch1000Ms: median(runs.map((r) => r.batchMs)),
    killSwitch1000Ms: median(runs.map((r) => r.killMs)),
    acceptedAfterEngage: runs.reduce((a, r) => a + r.acceptedAfterEngage, 0),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await runBridgeBench();
  console.log(`bulk batch of ${ROWS} rows accepted: ${r.batch1000Ms.toFixed(1)} ms (median of ${RUNS}; bar ≤ 500 ms)`);
  console.log(`kill switch, ${ROWS} working children all canceled: ${r.killSwitch1000Ms.toFixed(1)} ms (bar ≤ 250 ms); boletas accepted after engage: ${r.acceptedAfterEngage}`);
}
