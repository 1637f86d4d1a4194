/**
 * Strategies described without running their code in the bridge's thread: a module's top level is
 * the strategy author's code, and one that loops must not freeze the event loop that serves orders.
 * A sandbox process loads the modules and answers each with its name and declared parameters; one
 * that does not answer in time is killed, and the modules it had not reached are said to be stuck.
 * Answers are kept per file and modification time, so the catalog costs a process only after an edit.
 */
import { statSync } from 'node:fs';
import type { StrategyView } from '../../../common/backtest.js';
import { type DescribedStrategy, resolveStrategyId, strategyIds, strategyView } from '../loader.js';
import { spawnSandbox } from './sandbox.js';

/** Loading one module takes well under a second; a whole folder is given this long. */
const DESCRIBE_TIMEOUT_MS = 15_000;
const DESCRIBE_HEAP_MB = 256;
const MAX_CACHED = 1_000;

export type Described = { ref: string; ok: true; strategy: DescribedStrategy } | { ref: string; ok: false; error: string };

const cache = new Map<string, { stamp: string; d: DescribedStrategy }>();

function stampOf(ref: string, dataDir: string | undefined, allowPath: boolean): string | undefined {
  try {
    const file = allowPath && !/^[A-Za-z0-9_.-]+$/.test(ref) ? ref : resolveStrategyId(ref, dataDir).file;
    return `${file}|${statSync(file, { bigint: true }).mtimeNs}`;
  } catch {
    return undefined;
  }
}

export async function describeStrategies(refs: string[], dataDir: string | undefined, allowPath = false, timeoutMs = DESCRIBE_TIMEOUT_MS): Promise<Described[]> {
  const out = new Map<string, Described>();
  const missing: string[] = [];
  for (const ref of refs) {
    const stamp = stampOf(ref, dataDir, allowPath);
    const hit = stamp ? cache.get(ref) : undefined;
    if (hit && hit.stamp === stamp) out.set(ref, { ref, ok: true, strategy: hit.d });
    else missing.push(ref);
  }
  if (missing.length > 0) {
    const box = spawnSandbox({ kind: 'describe', refs: missing, dataDir, allowPath, budgetMs: timeoutMs }, { heapMb: DESCRIBE_HEAP_MB });
    box.onMessage((m) => {
      if (m.type !== 'described') return;
      out.set(m.ref, m.strategy ? { ref: m.ref, ok: true, strategy: m.strategy } : { ref: m.ref, ok: false, error: m.error ?? 'não carregou' });
      if (m.strategy) {
        const stamp = stampOf(m.ref, dataDir, allowPath);
        if (stamp) {
          if (cache.size >= MAX_CACHED) cache.clear();
          cache.set(m.ref, { stamp, d: m.strategy });
        }
      }
    });
    const timer = setTimeout(() => box.kill(), timeoutMs);
    const exit = await box.exited;
    clearTimeout(timer);
    for (const ref of missing) {
      if (out.has(ref)) continue;
      const why = exit.outOfMemory ? 'passou do limite de memória ao carregar' : `não terminou de carregar em ${timeoutMs / 1000} s (laço no nível do módulo?)`;
      out.set(ref, { ref, ok: false, error: `estratégia ${ref} ${why}` });
    }
  }
  return refs.map((r) => out.get(r)!);
}

export async function describeStrategy(ref: string, dataDir: string | undefined, allowPath = false): Promise<DescribedStrategy> {
  const [d] = await describeStrategies([ref], dataDir, allowPath);
  if (!d.ok) throw new Error(d.error);
  return d.strategy;
}

/** Every strategy the bridge can run: the examples, then the folder's files; a broken file is listed with its error. */
export async function strategyCatalog(dataDir: string): Promise<{ strategies: StrategyView[]; broken: Array<{ id: string; error: string }> }> {
  const all = await describeStrategies(strategyIds(dataDir), dataDir);
  return {
    strategies: all.flatMap((d) => (d.ok ? [strategyView(d.strategy)] : [])),
    broken: all.flatMap((d) => (d.ok ? [] : [{ id: d.ref, error: d.error }])),
  };
}
