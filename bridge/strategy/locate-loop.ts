/**
 * Where a runaway strategy is stuck: the line its worker thread is running. The worker is paused
 * through the process's own inspector (no port is opened: the session lives in this process) and
 * asked for a stack at the paused frame, which carries the strategy's file and line as its source
 * maps give them. Used once, just before the watchdog terminates the worker.
 */
import inspector from 'node:inspector';
import type { Worker } from 'node:worker_threads';
import { locationIn } from './runner.js';

const PAUSE_TIMEOUT_MS = 2_000;

interface Pending {
  resolve(msg: { result?: unknown; error?: unknown }): void;
}

class WorkerInspector {
  private readonly session = new inspector.Session();
  private readonly sessions = new Map<string, string>();
  private readonly pending = new Map<number, Pending>();
  private readonly pausedWaiters = new Map<string, (params: { callFrames: Array<{ callFrameId: string }> }) => void>();
  private nextId = 1;

  constructor() {
    this.session.connect();
    this.session.on('NodeWorker.attachedToWorker', (m: { params: { sessionId: string; workerInfo: { workerId: string } } }) => {
      this.sessions.set(String(m.params.workerInfo.workerId), m.params.sessionId);
    });
    this.session.on('NodeWorker.detachedFromWorker', (m: { params: { sessionId: string } }) => {
      for (const [k, v] of this.sessions) if (v === m.params.sessionId) this.sessions.delete(k);
    });
    this.session.on('NodeWorker.receivedMessageFromWorker', (m: { params: { sessionId: string; message: string } }) => {
      const msg = JSON.parse(m.params.message) as { id?: number; method?: string; params?: unknown };
      if (msg.id !== undefined) {
        this.pending.get(msg.id)?.resolve(msg as { result?: unknown });
        this.pending.delete(msg.id);
      } else if (msg.method === 'Debugger.paused') {
        this.pausedWaiters.get(m.params.sessionId)?.(msg.params as { callFrames: Array<{ callFrameId: string }> });
      }
    });
    this.session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  }

  private send(sessionId: string, method: string, params: object = {}): Promise<{ result?: unknown; error?: unknown }> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve });
      this.session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method, params }) });
    });
  }

  /** The stack of the running worker at the point it is now, or undefined when it cannot be had. */
  async stackOf(worker: Worker): Promise<string | undefined> {
    const sessionId = this.sessions.get(String(worker.threadId));
    if (!sessionId) return undefined;
    const paused = new Promise<{ callFrames: Array<{ callFrameId: string }> } | undefined>((resolve) => {
      const t = setTimeout(() => resolve(undefined), PAUSE_TIMEOUT_MS);
      this.pausedWaiters.set(sessionId, (p) => {
        clearTimeout(t);
        resolve(p);
      });
    });
    await this.send(sessionId, 'Debugger.enable');
    await this.send(sessionId, 'Debugger.pause');
    const p = await paused;
    this.pausedWaiters.delete(sessionId);
    const frame = p?.callFrames[0];
    if (!frame) return undefined;
    const r = (await this.send(sessionId, 'Debugger.evaluateOnCallFrame', { callFrameId: frame.callFrameId, expression: 'new Error().stack' })) as {
      result?: { result?: { value?: unknown } };
    };
    // A paused worker cannot be terminated: let it run again (the caller terminates it next).
    await this.send(sessionId, 'Debugger.resume');
    await this.send(sessionId, 'Debugger.disable');
    const value = r.result?.result?.value;
    return typeof value === 'string' ? value : undefined;
  }
}

let shared: WorkerInspector | undefined;

/**
 * Starts watching this process's worker threads, so a later `locateLoop` can reach them. Call it
 * before starting the workers a watchdog may have to look into.
 */
export function watchWorkers(): void {
  shared ??= new WorkerInspector();
}

/** `file:line:col` in the strategy's file where the worker is stuck, when it can be found. */
export async function locateLoop(worker: Worker, sourceFile?: string): Promise<string | undefined> {
  if (!shared) return undefined;
  try {
    const stack = await shared.stackOf(worker);
    return stack ? locationIn(stack, sourceFile) : undefined;
  } catch {
    return undefined;
  }
}
