/**
 * A live strategy's runner in its own worker thread: a strategy that loops or allocates without
 * bound stops there, never on the event loop that serves orders. It answers each batch of events
 * with the strategy's commands; the probe it shares lets the parent's watchdog see a hook that does
 * not return.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadStrategy } from '../loader.js';
import type { HostEvent, RunnerInit } from '../protocol.js';
import { StrategyRunner } from '../runner.js';
import type { RunnerReply, RunnerRequest } from './runner-protocol.js';

const { strategy, dataDir, init, probe } = workerData as { strategy: string; dataDir: string; init: RunnerInit; probe: SharedArrayBuffer };
const post = (m: RunnerReply) => parentPort!.postMessage(m);

async function main(): Promise<void> {
  let runner: StrategyRunner;
  try {
    const s = await loadStrategy(strategy, dataDir);
    runner = new StrategyRunner(s.def, { ...init, sourceFile: s.file, probe: new Int32Array(probe) });
  } catch (e) {
    post({ type: 'failed', message: (e as Error).message });
    return;
  }
  post({ type: 'ready' });
  parentPort!.on('message', (m: RunnerRequest) => {
    const commands = [];
    for (const ev of m.events as HostEvent[]) {
      commands.push(...runner.dispatch(ev));
      if (runner.fault()) break;
    }
    const fault = runner.fault();
    post({ type: 'result', seq: m.seq, commands, nextTimerMs: runner.nextTimerMs(), ...(fault ? { fault } : {}) });
  });
}

void main();
