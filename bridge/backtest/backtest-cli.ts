/**
 * `blackbox backtest`, `blackbox sweep` and `blackbox worker` (PRODUCT.md §3). The first two run
 * through the bridge's BacktestService on the data folder (so the run is stored in
 * `<data>/backtests.db` and a bridge on that folder lists it), with a progress bar on stderr, a
 * summary in Portuguese or `--json` on stdout. Exit 0 done; 1 the strategy failed (its error and
 * file:line printed); 2 usage or validation errors, naming the flag.
 */
import cliProgress from 'cli-progress';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { BacktestRunView, RunMetricsView, SweepView } from '../../common/backtest.js';
import type { ApiErrorItem } from '../../common/types.js';
import { parseParamPairs } from '../strategy/params.js';
import { BacktestService, defaultParallelism } from './backtest-service.js';
import { BACKTESTS_DB_FILE } from './results-store.js';

type Usage = (msg: string) => never;

const SPEC_OPTIONS = {
  strategy: { type: 'string' },
  symbols: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  interval: { type: 'string' },
  cash: { type: 'string' },
  seed: { type: 'string' },
  param: { type: 'string', multiple: true },
  source: { type: 'string' },
  data: { type: 'string' },
  label: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The flag behind a field the service names. */
export function flagOf(field: string): string {
  const m = /^spec\.params\.(.+)$/.exec(field) ?? /^params\.(.+)$/.exec(field);
  if (m) return `--param ${m[1]}`;
  const g = /^grid\.(.+)$/.exec(field);
  if (g) return `--grid ${g[1]}`;
  const base = field.replace(/^spec\./, '').replace(/\.\d+$/, '');
  const flags: Record<string, string> = { strategy: '--strategy', symbols: '--symbols', from: '--from', to: '--to', interval: '--interval', source: '--source', cashBrl: '--cash', seed: '--seed', grid: '--grid', rankBy: '--rank', label: '--label', redis: '--redis', params: '--param' };
  return flags[base] ?? field;
}

function printErrors(errors: ApiErrorItem[]): void {
  for (const e of errors) process.stderr.write(`blackbox: ${flagOf(e.field)}: ${e.message}\n`);
}

/** The spec of `--strategy … --symbols …` flags; a flag that cannot be read is a usage error naming it. */
function specOf(values: { [k: string]: string | boolean | string[] | undefined }, usage: Usage): { strategy: string; spec: Record<string, unknown> } {
  const str = (k: string) => values[k] as string | undefined;
  const need = (k: string, hint: string) => str(k) ?? usage(`--${k}: obrigatório (${hint})`);
  const strategy = need('strategy', 'arquivo .ts ou um exemplo: ma-crossover, mean-reversion-5m, rebalancer');
  const symbols = need('symbols', 'ex.: PETR4,VALE3')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const spec: Record<string, unknown> = { symbols, from: need('from', 'AAAA-MM-DD'), to: need('to', 'AAAA-MM-DD') };
  if (str('interval') !== undefined) spec.interval = str('interval');
  if (str('source') !== undefined) spec.source = str('source');
  if (str('cash') !== undefined) {
    // 1000000, 1000000.50 or, written the Brazilian way, 1.000.000,50.
    const text = str('cash')!.trim();
    const cash = Number(text.includes(',') ? text.replace(/\./g, '').replace(',', '.') : text);
    if (!Number.isFinite(cash) || cash <= 0) usage(`--cash: esperava um valor em reais maior que zero, recebi ${JSON.stringify(str('cash'))}`);
    spec.cashBrl = cash;
  }
  if (str('seed') !== undefined) {
    const seed = Number(str('seed'));
    if (!Number.isSafeInteger(seed)) usage(`--seed: esperava um inteiro, recebi ${JSON.stringify(str('seed'))}`);
    spec.seed = seed;
  }
  const pairs = parseParamPairs((values.param as string[] | undefined) ?? []);
  if (!pairs.ok) usage(pairs.errors.map((e) => `${e.field}: ${e.message}`).join('; '));
  spec.params = pairs.raw;
  return { strategy, spec };
}

function dataDirOf(values: { data?: string }): string {
  const dir = path.resolve(values.data ?? process.env.BLACKBOX_DATA ?? 'data');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

const pct = (x: number | null, digits = 2) => (x === null ? '—' : `${(x * 100).toLocaleString('pt-BR', { minimumFractionDigits: digits, maximumFractionDigits: digits })}%`);
const num = (x: number | null, digits = 2) => (x === null ? '—' : x.toLocaleString('pt-BR', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
// Intl puts a no-break space after R$: a plain one reads the same and greps as typed.
const brl = (x: number) => x.toLocaleString('pt-BR', { style: 'currency', currency: 'BRL' }).replace(/\u00a0/g, ' ');

function progressBar(format: string): cliProgress.SingleBar | undefined {
  if (process.stderr.isTTY !== true) return undefined;
  return new cliProgress.SingleBar({ stream: process.stderr, format, hideCursor: true, clearOnComplete: true, etaBuffer: 20 }, cliProgress.Presets.shades_classic);
}

// ---------------------------------------------------------------------------------- backtest

export async function runBacktestCli(argv: string[], usage: Usage): Promise<number> {
  const { values } = parseArgs({ args: argv, options: SPEC_OPTIONS, strict: true });
  const { strategy, spec } = specOf(values, usage);
  const dataDir = dataDirOf(values);
  const bar = values.json ? undefined : progressBar('backtest [{bar}] {percentage}% | {rate} linhas/s | ETA {eta_formatted}');
  let runId: string | undefined;
  const svc = new BacktestService({
    dataDir,
    maxParallel: 1,
    allowPaths: true,
    publishRun: (r) => {
      if (r.id !== runId || !bar || 'deleted' in r) return;
      bar.update(Math.round(r.progress * 1000), { rate: (r.eventsPerSec ?? 0).toLocaleString('pt-BR') });
    },
  });
  try {
    const sub = await svc.submit({ strategy, spec, ...(values.label ? { label: values.label } : {}) });
    if (!sub.ok) {
      printErrors(sub.errors);
      return 2;
    }
    runId = sub.value.id;
    bar?.start(1000, 0, { rate: 0 });
    const stop = () => svc.cancel(runId!);
    process.once('SIGINT', stop);
    const { run, outcome } = await svc.whenFinished(runId)!;
    process.off('SIGINT', stop);
    bar?.stop();
    if (outcome.kind === 'refused') {
      printErrors(outcome.errors);
      return 2;
    }
    if (outcome.kind === 'cancelled') {
      process.stderr.write(`blackbox: backtest ${run.id} cancelado\n`);
      return 130;
    }
    if (outcome.kind === 'failed') {
      process.stderr.write(`blackbox: a estratégia falhou: ${outcome.message}${outcome.fault?.location && !outcome.message.includes(outcome.fault.location) ? ` (${outcome.fault.location})` : ''}\n`);
      return 1;
    }
    const r = outcome.result;
    if (r.fault) {
      process.stderr.write(`blackbox: a estratégia falhou em ${r.fault.hook}: ${r.fault.message}${r.fault.location ? ` (${r.fault.location})` : ''}\n`);
      return 1;
    }
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ metrics: r.metrics, orders: r.orders, fills: r.fills, equity: r.equity })}\n`);
    } else {
      process.stdout.write(summary(run, r.metrics, r.orders.length, r.fills.length, r.warnings, dataDir));
    }
    return 0;
  } finally {
    bar?.stop();
    await svc.close();
  }
}

function summary(run: BacktestRunView, m: RunMetricsView, orders: number, fills: number, warnings: string[], dataDir: string): string {
  const s = run.spec;
  const lines = [
    `${run.strategy} · ${s.symbols.join(', ')} · ${s.interval} · ${s.from} a ${s.to} · semente ${s.seed}`,
    `  Retorno total        ${pct(m.totalReturn)}`,
    `  Retorno anualizado   ${pct(m.annualReturn)}`,
    `  Volatilidade anual   ${pct(m.volatility)}`,
    `  Sharpe               ${num(m.sharpe)}`,
    `  Drawdown máximo      ${pct(m.maxDrawdown)}`,
    `  Taxa de acerto       ${pct(m.hitRate, 1)}`,
    `  Giro                 ${num(m.turnover)}×`,
    `  Custos (B3)          ${brl(m.feesBrl)}`,
    `  Patrimônio           ${brl(m.startEquityBrl)} → ${brl(m.endEquityBrl)} em ${m.sessions} pregões`,
    `  Ordens ${orders.toLocaleString('pt-BR')} · execuções ${fills.toLocaleString('pt-BR')}`,
    ...warnings.slice(0, 10).map((w) => `  aviso: ${w}`),
    `Guardado como ${run.id} em ${path.join(dataDir, BACKTESTS_DB_FILE)} (GET /api/backtests/${run.id} numa ponte com esta pasta)`,
  ];
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------- sweep

const RANKS = ['sharpe', 'totalReturn', 'annualReturn', 'maxDrawdown', 'hitRate'];

export async function runSweepCli(argv: string[], usage: Usage): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...SPEC_OPTIONS, grid: { type: 'string', multiple: true }, rank: { type: 'string' }, workers: { type: 'string' }, redis: { type: 'string' } },
    strict: true,
  });
  const { strategy, spec } = specOf(values, usage);
  const grid: Record<string, string[]> = {};
  for (const g of values.grid ?? []) {
    const eq = g.indexOf('=');
    if (eq <= 0 || eq === g.length - 1) usage(`--grid: esperava nome=v1,v2,…, recebi ${JSON.stringify(g)}`);
    const name = g.slice(0, eq).trim();
    if (grid[name]) usage(`--grid ${name}: informado duas vezes`);
    grid[name] = g.slice(eq + 1).split(',').map((v) => v.trim());
  }
  if (Object.keys(grid).length === 0) usage('--grid: obrigatório (ex.: --grid fast=5,9,13 --grid slow=21,50)');
  const rankBy = values.rank ?? 'sharpe';
  if (!RANKS.includes(rankBy)) usage(`--rank: use ${RANKS.join(', ')}`);
  let workers = defaultParallelism();
  if (values.workers !== undefined) {
    workers = Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > 256) usage(`--workers: esperava um inteiro de 1 a 256, recebi ${JSON.stringify(values.workers)}`);
  }
  const dataDir = dataDirOf(values);
  let sweepId: string | undefined;
  let bar: cliProgress.SingleBar | undefined;
  const svc = new BacktestService({
    dataDir,
    maxParallel: workers,
    allowPaths: true,
    publishSweep: (v) => {
      if (v.id === sweepId) bar?.update(v.done);
    },
  });
  try {
    const sub = await svc.submitSweep({ strategy, spec, grid, rankBy, ...(values.label ? { label: values.label } : {}) }, { redisUrl: values.redis });
    if (!sub.ok) {
      printErrors(sub.errors);
      return sub.status >= 500 ? 1 : 2;
    }
    sweepId = sub.value.id;
    if (!values.json) {
      process.stderr.write(`varredura ${sweepId}: ${sub.value.total} execuções (${sub.value.workers})${values.redis ? ' — aguardando os workers (blackbox worker --redis …)' : ''}\n`);
      bar = progressBar('varredura [{bar}] {value}/{total} execuções | ETA {eta_formatted}');
      bar?.start(sub.value.total, 0);
    }
    const stop = () => svc.cancelSweep(sweepId!);
    process.once('SIGINT', stop);
    const view = await svc.whenSweepFinished(sweepId)!;
    process.off('SIGINT', stop);
    bar?.stop();
    if (values.json) process.stdout.write(`${JSON.stringify(view)}\n`);
    else process.stdout.write(table(view, Object.keys(grid)));
    if (view.state === 'cancelled') return 130;
    return view.rows.some((r) => r.state !== 'done') ? 1 : 0;
  } finally {
    bar?.stop();
    await svc.close();
  }
}

function table(v: SweepView, names: string[]): string {
  const head = ['#', ...names, 'retorno', 'anual', 'sharpe', 'drawdown', 'acerto', 'negócios', 'estado'];
  const rows = v.rows.map((r, i) => {
    const m = r.metrics;
    return [
      String(i + 1),
      ...names.map((n) => String(r.params[n])),
      m ? pct(m.totalReturn) : '—',
      m ? pct(m.annualReturn) : '—',
      m ? num(m.sharpe) : '—',
      m ? pct(m.maxDrawdown) : '—',
      m ? pct(m.hitRate, 1) : '—',
      m ? String(m.trades) : '—',
      r.state === 'done' ? 'ok' : `${r.state}${r.error ? `: ${r.error}` : ''}`,
    ];
  });
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (c === head.length - 1 ? 0 : r[c].length))));
  const fmt = (r: string[]) => r.map((x, c) => (c === r.length - 1 ? x : c === 0 || c > names.length ? x.padStart(widths[c]) : x.padEnd(widths[c]))).join('  ');
  return `Varredura ${v.id} · ${v.strategy} · ${v.total} execuções · ordenada por ${v.rankBy} · ${v.workers}\n${[fmt(head), ...rows.map(fmt)].join('\n')}\n`;
}

// ---------------------------------------------------------------------------------- worker

export async function runWorkerCli(argv: string[], usage: Usage): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { redis: { type: 'string' }, data: { type: 'string' }, concurrency: { type: 'string' } }, strict: true });
  if (!values.redis) usage('--redis: obrigatório (ex.: --redis redis://10.0.0.5:6379)');
  const { checkRedisUrl, redactRedisUrl, startRemoteWorker, SWEEP_QUEUE } = await import('./redis-sweeps.js');
  const bad = checkRedisUrl(values.redis);
  if (bad) usage(`--redis: ${bad}`);
  let concurrency = Math.max(1, (await import('node:os')).availableParallelism());
  if (values.concurrency !== undefined) {
    concurrency = Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) usage(`--concurrency: esperava um inteiro de 1 a 256, recebi ${JSON.stringify(values.concurrency)}`);
  }
  const dataDir = dataDirOf(values);
  const log = (level: string, msg: string) => process.stdout.write(`${new Date().toISOString()} ${level === 'info' ? '' : `${level}: `}${msg}\n`);
  const w = await startRemoteWorker({ redisUrl: values.redis, dataDir, concurrency, log });
  log('info', `worker pronto: fila ${SWEEP_QUEUE} em ${redactRedisUrl(values.redis)}, dados em ${dataDir}, ${concurrency} de cada vez`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // The jobs running here go back to the queue when their lock expires: another worker takes them.
    await w.close(true);
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
