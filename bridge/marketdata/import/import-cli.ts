/**
 * `blackbox import FILE… [--data DIR] [--json] [--interval 15m]` (PRODUCT.md §3): Profit exports into
 * <data>/market.db from a terminal, with a progress bar (rows/s, ETA) on stderr. Exit 0 when every
 * file was read (refused lines are in the report), 1 when a file could not be read at all, 2 on usage.
 * It writes the database directly; a running bridge sees the rows at once (SQLite WAL).
 */
import cliProgress from 'cli-progress';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CANDLE_INTERVALS, type CandleInterval, type ImportFileReport, type ImportReport } from '../../../common/marketdata.js';
import { MarketDb, MARKET_DB_FILE } from '../market-db.js';
import { importProfitFile } from './profit-import.js';

const REFUSED_SHOWN = 20;

export async function runImportCli(argv: string[], usage: (msg: string) => never): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { data: { type: 'string' }, json: { type: 'boolean' }, interval: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length === 0) usage('informe ao menos um arquivo: blackbox import ARQUIVO…');
  const interval = values.interval as CandleInterval | undefined;
  if (interval !== undefined && !CANDLE_INTERVALS.includes(interval)) usage(`--interval deve ser um de ${CANDLE_INTERVALS.join(', ')}`);
  const dataDir = path.resolve(values.data ?? process.env.BLACKBOX_DATA ?? 'data');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = MarketDb.open(path.join(dataDir, MARKET_DB_FILE));
  const showBar = process.stderr.isTTY === true;
  const report: ImportReport = { files: [] };
  try {
    for (const file of positionals) {
      const bar = showBar
        ? new cliProgress.SingleBar(
            { stream: process.stderr, format: `${path.basename(file).slice(0, 30)} [{bar}] {percentage}% | {rows} linhas | {rate} linhas/s | ETA {eta_formatted}`, hideCursor: true, clearOnComplete: true },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
      const t0 = performance.now();
      bar?.start(1, 0, { rows: 0, rate: 0 });
      const r = await importProfitFile(db, path.resolve(file), file, {
        interval,
        onProgress: (p) => {
          const s = (performance.now() - t0) / 1000;
          bar?.setTotal(p.totalBytes);
          bar?.update(p.bytesRead, { rows: p.rowsRead.toLocaleString('pt-BR'), rate: Math.round(p.rowsRead / Math.max(s, 0.001)).toLocaleString('pt-BR') });
        },
      });
      bar?.stop();
      report.files.push(r);
      if (!values.json) process.stdout.write(describe(r));
    }
  } finally {
    db.close();
  }
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  return report.files.some((f) => f.error !== undefined) ? 1 : 0;
}

function describe(r: ImportFileReport): string {
  if (r.error !== undefined) return `${r.file}: NÃO IMPORTADO — ${r.error}\n`;
  const refused = r.refused.length + (r.refusedNotListed ?? 0);
  let out = `${r.file}: ${r.series?.join(', ')} (${r.variant}, ${r.encoding}) — ${r.rowsRead} linhas lidas, ${r.stored} gravadas, ${r.duplicates} já existiam, ${refused} recusadas\n`;
  for (const x of r.refused.slice(0, REFUSED_SHOWN)) out += `  linha ${x.line}: ${x.reason}\n`;
  if (refused > REFUSED_SHOWN) out += `  … e mais ${refused - REFUSED_SHOWN} linhas recusadas (use --json para a lista)\n`;
  return out;
}
