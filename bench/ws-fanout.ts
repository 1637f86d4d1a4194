/**
 * WebSocket fan-out benchmark: one hub, N real `ws` clients over loopback subscribed to one channel,
 * M deltas published as fast as the hub takes them; timed until every client has received every
 * delta. Clients run in a worker thread so their JSON parsing does not share the hub's event loop
 * (in production they are separate Excel processes). Each client checks that sequence numbers are
 * consecutive, so a figure is only reported when nothing was lost or reordered.
 *
 * Run alone: `npx tsx bench/ws-fanout.ts`.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { WsHub } from '../bridge/api/ws-hub.js';
import { median } from './stats.js';

const CLIENTS = 50;
const DELTAS_PER_RUN = 10_000;
const RUNS = 5;
const WARMUP_RUNS = 1;
/** Deltas published per event-loop turn: lets sockets flush between bursts, as a live feed would. */
const PUBLISH_BATCH = 100;
const TOKEN = 'bench-token';
const CHANNEL = 'quotes:PETR4';
/** Large enough that no client goes stale at this rate: the bench measures delivery, not dropping. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const RUN_TIMEOUT_MS = 120_000;

/** Client side, plain CommonJS because it runs as an eval'd worker. */
const CLIENT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require(workerData.wsPath);
const { url, token, channel, clients } = workerData;
let target = 0;
let done = 0;
let gaps = 0;
const state = [];
function check(c) {
  if (target > 0 && c.received === target) {
    done++;
    if (done === clients) parentPort.postMessage({ type: 'done', gaps });
  }
}
for (let i = 0; i < clients; i++) {
  const c = { lastSeq: -1, received: 0 };
  state.push(c);
  const ws = new WebSocket(url, { headers: { Authorization: 'Bearer ' + token } });
  ws.on('error', (err) => parentPort.postMessage({ type: 'error', message: String(err) }));
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString());
    if (m.op === 'ready') ws.send(JSON.stringify({ op: 'subscribe', channels: [channel] }));
    else if (m.op === 'snapshot') {
      c.lastSeq = m.seq;
      if (state.every((s) => s.lastSeq >= 0)) parentPort.postMessage({ type: 'subscribed' });
    } else if (m.op === 'delta') {
      if (m.seq !== c.lastSeq + 1) gaps++;
      c.lastSeq = m.seq;
      c.received++;
      check(c);
    }
  });
}
parentPort.on('message', (m) => {
  target = m.deltas;
  done = 0;
  for (const c of state) c.received = 0;
});
`;

interface WorkerReport {
  type: 'subscribed' | 'done' | 'error';
  gaps?: number;
  message?: string;
}

function nextReport(worker: Worker, type: WorkerReport['type']): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      worker.off('message', onMessage);
      reject(new Error(`no '${type}' from the client worker within ${RUN_TIMEOUT_MS} ms`));
    }, RUN_TIMEOUT_MS);
    const onMessage = (report: WorkerReport): void => {
      if (report.type === 'error') {
        clearTimeout(timer);
        worker.off('message', onMessage);
        reject(new Error(`client error: ${report.message}`));
      } else if (report.type === type) {
        clearTimeout(timer);
        worker.off('message', onMessage);
        resolve(report);
      }
    };
    worker.on('message', onMessage);
  });
}

/** A quote delta the size of a real one (~170 bytes on the wire). */
function quoteDelta(n: number): unknown {
  return {
    symbol: 'PETR4',
    bid: 36.5 + (n % 7) / 100,
    bidQty: 1000 + (n % 13) * 100,
    ask: 36.51 + (n % 7) / 100,
    askQty: 800 + (n % 11) * 100,
    last: 36.5 + (n % 5) / 100,
    volumeQty: 1_000_000 + n * 100,
    trades: 10_000 + n,
    time: '2025-03-14T13:45:12.345Z',
  };
}

export async function runWsFanoutBench(): Promise<{ clients: number; deltasPerSec: number; messagesDeliveredPerSec: number }> {
  const hub = new WsHub({
    authenticate: (token) => (token === TOKEN ? { role: 'viewer', tokenId: 'bench' } : null),
    allowedOrigins: (origin) => origin === undefined,
    maxClients: CLIENTS,
    maxMessageBytes: 4096,
    maxBufferedBytes: MAX_BUFFERED_BYTES,
    authTimeoutMs: 5000,
  });
  hub.registerPattern('quotes:', (symbol) => (symbol === 'PETR4' ? quoteDelta(0) : undefined));
  const server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => hub.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const worker = new Worker(CLIENT_WORKER, {
    eval: true,
    workerData: {
      wsPath: createRequire(import.meta.url).resolve('ws'),
      url: `ws://127.0.0.1:${port}/ws`,
      token: TOKEN,
      channel: CHANNEL,
      clients: CLIENTS,
    },
  });
  try {
    await nextReport(worker, 'subscribed');
    const rates: number[] = [];
    let n = 0;
    for (let run = 0; run < WARMUP_RUNS + RUNS; run++) {
      worker.postMessage({ deltas: DELTAS_PER_RUN });
      // The worker must have reset its counters before the first delta of the run reaches it.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const finished = nextReport(worker, 'done');
      const startNs = process.hrtime.bigint();
      for (let sent = 0; sent < DELTAS_PER_RUN; ) {
        const end = Math.min(sent + PUBLISH_BATCH, DELTAS_PER_RUN);
        for (; sent < end; sent++) hub.publish(CHANNEL, quoteDelta(++n));
        await new Promise((resolve) => setImmediate(resolve));
      }
      const report = await finished;
      const elapsedSec = Number(process.hrtime.bigint() - startNs) / 1e9;
      const dropped = hub.stats().droppedDeltas;
      if ((report.gaps ?? 0) > 0 || dropped > 0) {
        throw new Error(`run ${run}: ${report.gaps} sequence gaps, ${dropped} deltas dropped`);
      }
      if (run >= WARMUP_RUNS) rates.push(DELTAS_PER_RUN / elapsedSec);
    }
    const deltasPerSec = Math.round(median(rates));
    return { clients: CLIENTS, deltasPerSec, messagesDeliveredPerSec: deltasPerSec * CLIENTS };
  } finally {
    await hub.close();
    await worker.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runWsFanoutBench();
  console.log(
    `ws fan-out: ${result.clients} clients, ${result.deltasPerSec.toLocaleString('en-US')} deltas/s, ` +
      `${result.messagesDeliveredPerSec.toLocaleString('en-US')} messages delivered/s (median of ${RUNS} runs, nothing lost)`,
  );
  console.log(JSON.stringify(result));
}
