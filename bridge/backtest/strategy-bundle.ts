/**
 * A strategy file shipped to another machine (a sweep fanned out through Redis): the producer bundles
 * the file with what it imports (the strategy API, trading-signals, its own helper modules) into one
 * self-contained ES module with esbuild, so the worker needs nothing but the text; the worker writes
 * it once under its data folder, named by its SHA-256, and loads it from there. The module carries
 * an inline source map whose sources are the producer's own files (no code in it, only positions):
 * a fault on a worker names the line of the strategy's source as the user knows it, not of the bundle.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { strategiesDir } from '../strategy/loader.js';

export interface ShippedStrategy {
  /** The file's name on the producer, for messages. */
  name: string;
  sha256: string;
  /** One ES module: the strategy and everything it imports but Node's own modules. */
  source: string;
}

/** A bundle of more than this is refused: it travels in every job of a sweep. */
export const MAX_BUNDLE_BYTES = 4 * 1024 * 1024;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export async function bundleStrategy(file: string): Promise<ShippedStrategy> {
  const dir = path.dirname(path.resolve(file));
  const out = await build({
    entryPoints: [file],
    // Sources relative to the strategy's folder, rooted at that folder's URL: Node resolves a stack
    // frame of the bundle to the producer's file (its path, line and column).
    outfile: path.join(dir, `${path.basename(file)}.bundle.mjs`),
    sourcemap: 'inline',
    sourcesContent: false,
    sourceRoot: `${pathToFileURL(dir).href}/`,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
  const source = out.outputFiles[0].text;
  if (Buffer.byteLength(source) > MAX_BUNDLE_BYTES) throw new Error(`a estratégia ${path.basename(file)} com o que importa passa de ${MAX_BUNDLE_BYTES / 1024 / 1024} MB`);
  return { name: path.basename(file), sha256: sha256(source), source };
}

/** Folder of shipped strategies in a worker's data folder (not listed as the desk's strategies). */
export function remoteStrategiesDir(dataDir: string): string {
  return path.join(strategiesDir(dataDir), '.remote');
}

/** Writes a shipped strategy (once: the name is its hash) and returns its path. */
export function installShippedStrategy(dataDir: string, s: ShippedStrategy): string {
  if (!/^[0-9a-f]{64}$/.test(s.sha256) || sha256(s.source) !== s.sha256) throw new Error(`estratégia ${s.name}: o código recebido não confere com o SHA-256 do job`);
  const dir = remoteStrategiesDir(dataDir);
  const file = path.join(dir, `${s.sha256}.mjs`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Two jobs (or two worker processes on one folder) may write it at once: temp file, then rename.
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, s.source, { mode: 0o600 });
  renameSync(temp, file);
  return file;
}
