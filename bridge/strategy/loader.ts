/**
 * Where strategies come from: the examples bundled with BlackBox, the TypeScript files a desk keeps
 * in `<data>/strategies/`, and (from the command line only) any file the user names. The API names a
 * strategy by id — a bundled name or a file name in that folder, never a path — so a request cannot
 * make the bridge run code from anywhere else.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { StrategyParamView, StrategyView } from '../../common/backtest.js';
import type { ParamSpecs, StrategyDefinition } from './api.js';

export const BUNDLED: Record<string, string> = {
  'ma-crossover': 'ma-crossover.ts',
  'mean-reversion-5m': 'mean-reversion-5m.ts',
  rebalancer: 'rebalancer.ts',
};

const EXAMPLES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'examples');
/** A strategy file's name in the strategies folder: letters, digits, dot, dash, underscore. */
const FILE_ID = /^[A-Za-z0-9_.-]{1,100}\.(ts|mts|js|mjs)$/;
const MAX_FILES_LISTED = 200;

export class StrategyLoadError extends Error {}

export interface LoadedStrategy {
  id: string;
  def: StrategyDefinition;
  /** Absolute path of the module (its frames in a stack are the strategy's). */
  file: string;
  source: 'bundled' | 'file';
}

/**
 * A strategy as plain data: what the bridge's own thread needs to validate a request (name,
 * declared parameters) without running any of the strategy's code there — it is read in a
 * sandbox process (sandbox/describe.ts).
 */
export interface DescribedStrategy {
  id: string;
  file: string;
  source: 'bundled' | 'file';
  name: string;
  description?: string;
  params: ParamSpecs;
  wants: { trades: boolean; quotes: boolean };
}

export function describe(s: LoadedStrategy): DescribedStrategy {
  return {
    id: s.id,
    file: s.file,
    source: s.source,
    name: s.def.name,
    ...(s.def.description ? { description: s.def.description } : {}),
    params: JSON.parse(JSON.stringify(s.def.params ?? {})) as ParamSpecs,
    wants: { trades: s.def.wants?.trades === true, quotes: s.def.wants?.quotes === true },
  };
}

export function strategiesDir(dataDir: string): string {
  return path.join(dataDir, 'strategies');
}

/** The file behind an id: a bundled example or a file in the strategies folder. */
export function resolveStrategyId(id: string, dataDir: string | undefined): { file: string; source: 'bundled' | 'file' } {
  const bundled = BUNDLED[id];
  if (bundled) return { file: path.join(EXAMPLES_DIR, bundled), source: 'bundled' };
  if (!FILE_ID.test(id)) {
    throw new StrategyLoadError(`estratégia ${JSON.stringify(id)}: use um exemplo (${Object.keys(BUNDLED).join(', ')}) ou o nome de um arquivo .ts da pasta strategies`);
  }
  if (!dataDir) throw new StrategyLoadError(`estratégia ${id}: sem pasta de dados para procurar o arquivo`);
  const file = path.join(strategiesDir(dataDir), id);
  if (!existsSync(file)) throw new StrategyLoadError(`estratégia ${id} não encontrada em ${strategiesDir(dataDir)}`);
  return { file, source: 'file' };
}

/** Loads a module and checks that its default export is a strategy. */
export async function loadStrategyFile(file: string, id = path.basename(file), source: 'bundled' | 'file' = 'file'): Promise<LoadedStrategy> {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new StrategyLoadError(`arquivo de estratégia não encontrado: ${abs}`);
  let mod: { default?: unknown };
  try {
    // The modification time in the URL: an edited file is loaded again, not served from the module cache.
    // In whole nanoseconds: a fractional `?v=…123.429` reads as a file extension to some loaders (vite's).
    mod = await import(`${pathToFileURL(abs).href}?v=${statSync(abs, { bigint: true }).mtimeNs}`);
  } catch (e) {
    throw new StrategyLoadError(`estratégia ${id} não carregou: ${(e as Error).message}`);
  }
  const def = mod.default as Partial<StrategyDefinition> | undefined;
  if (!def || typeof def !== 'object' || typeof def.setup !== 'function' || typeof def.name !== 'string') {
    throw new StrategyLoadError(`estratégia ${id}: o módulo deve ter "export default defineStrategy({ name, setup(ctx) { ... } })"`);
  }
  return { id, def: def as StrategyDefinition, file: abs, source };
}

/** Loads a strategy by id (the API, the workers) or, with `allowPath`, by a file path (the CLI). */
export async function loadStrategy(ref: string, dataDir: string | undefined, allowPath = false): Promise<LoadedStrategy> {
  if (allowPath && !BUNDLED[ref] && (ref.includes('/') || ref.includes(path.sep) || existsSync(ref))) {
    return loadStrategyFile(ref, ref, 'file');
  }
  const { file, source } = resolveStrategyId(ref, dataDir);
  return loadStrategyFile(file, ref, source);
}

export function strategyView(s: DescribedStrategy): StrategyView {
  const params: StrategyParamView[] = Object.entries(s.params).map(([name, p]) => ({
    name,
    type: p.type,
    default: p.default,
    ...('min' in p && p.min !== undefined ? { min: p.min } : {}),
    ...('max' in p && p.max !== undefined ? { max: p.max } : {}),
    ...('options' in p ? { options: [...p.options] } : {}),
    ...(p.label ? { label: p.label } : {}),
  }));
  return {
    id: s.id,
    name: s.name,
    ...(s.description ? { description: s.description } : {}),
    source: s.source,
    params,
    wants: s.wants,
  };
}

/** The ids the bridge offers: the examples, then the strategies folder's files. */
export function strategyIds(dataDir: string): string[] {
  const ids = [...Object.keys(BUNDLED)];
  const dir = strategiesDir(dataDir);
  if (existsSync(dir)) ids.push(...readdirSync(dir).filter((f) => FILE_ID.test(f)).sort().slice(0, MAX_FILES_LISTED));
  return ids;
}
