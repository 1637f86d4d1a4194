/**
 * A strategy in a process of its own (`sandbox-child.ts`), seen from the bridge. A process rather
 * than a worker thread because a worker's heap cap does not hold against one large allocation — V8
 * then aborts the whole process — while a child's `--max-old-space-size` takes down the child alone.
 * The child's watchdog thread reports a hook stuck past its budget on its own channel (stdio 4) and
 * kills the child; the exit says what happened: stuck (with the stack), out of memory, or a crash.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { locationIn } from '../runner.js';
import type { StrategyFault } from '../protocol.js';
import type { FromSandbox, SandboxInit, StuckReport, ToSandbox } from './sandbox-protocol.js';

/** Bytes of the child's stderr kept to tell why it died. */
const STDERR_TAIL = 8_192;

export interface SandboxExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stuck?: StuckReport;
  outOfMemory: boolean;
  stderr: string;
}

export interface Sandbox {
  send(m: ToSandbox): void;
  onMessage(fn: (m: FromSandbox) => void): void;
  kill(): void;
  exited: Promise<SandboxExit>;
}

/**
 * `handlers`: a module exporting `sandboxHandlers` (SandboxHandlers) for the jobs of a layer above
 * the strategies, such as a whole backtest.
 */
export function spawnSandbox(init: SandboxInit, o: { heapMb: number; handlers?: URL }): Sandbox {
  const child: ChildProcess = fork(new URL('./sandbox-entry.mjs', import.meta.url), o.handlers ? [o.handlers.href] : [], {
    execArgv: [`--max-old-space-size=${o.heapMb}`],
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-STDERR_TAIL);
  });
  let stuck: StuckReport | undefined;
  let line = '';
  (child.stdio[4] as Readable).on('data', (d: Buffer) => {
    line += d.toString('utf8');
    const nl = line.indexOf('\n');
    if (nl < 0) return;
    try {
      stuck = JSON.parse(line.slice(0, nl)) as StuckReport;
    } catch {
      // A torn report: the exit still says the child was killed.
    }
  });
  const exited = new Promise<SandboxExit>((resolve) => {
    child.once('exit', (code, signal) => {
      // Let the watchdog channel drain: its report is written just before the kill.
      setImmediate(() => resolve({ code, signal, stuck, outOfMemory: /heap out of memory|Reached heap limit/i.test(stderr), stderr }));
    });
  });
  child.on('error', () => undefined);
  child.send({ type: 'init', init } satisfies ToSandbox);
  return {
    send: (m) => {
      if (child.connected) child.send(m);
    },
    onMessage: (fn) => child.on('message', fn as (m: unknown) => void),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    exited,
  };
}

/** Why a sandbox ended without an answer, as the strategy's fault (with its line when known). */
export function faultOfExit(e: SandboxExit, heapMb: number, budgetMs: number, sourceFile?: string): StrategyFault {
  if (e.stuck) {
    const location = e.stuck.stack ? locationIn(e.stuck.stack, sourceFile) : undefined;
    return {
      hook: e.stuck.hook,
      message: `${e.stuck.hook} passou de ${budgetMs / 1000} s sem retornar (laço sem fim?): estratégia interrompida`,
      ...(location ? { location } : {}),
    };
  }
  if (e.outOfMemory) return { hook: 'memória', message: `a estratégia passou do limite de ${heapMb} MB de memória: interrompida` };
  const why = e.signal ? `sinal ${e.signal}` : `código ${e.code}`;
  const last = e.stderr.trim().split('\n').slice(-3).join(' | ');
  return { hook: 'processo', message: `o processo da estratégia terminou (${why})${last ? `: ${last}` : ''}` };
}
