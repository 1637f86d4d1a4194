/**
 * The pure side of the Backtests tab: the form's fields read into a request (`POST /api/backtests`,
 * `POST /api/sweeps`), the bridge's field errors put back on those fields, the `backtests` and
 * `sweeps` channels merged into a list, and a run's figures as a PM reads them (pt-BR, "—" for a
 * figure that does not exist). No React, no DOM: unit-tested on its own.
 */
import type {
  BacktestRequest,
  BacktestRunView,
  BacktestSpecInput,
  BacktestState,
  BarIntervalName,
  RunMetricsView,
  StrategyFaultView,
  StrategyParamView,
  StrategyView,
  SweepRequest,
  SweepView,
} from '../../../common/backtest.js';
import { BAR_INTERVALS, MAX_WARMUP_BARS } from '../../../common/backtest.js';
import type { ApiErrorItem } from '../../../common/types.js';
import { parseBoolean, parseInteger, parseNumber } from '../sheets/boleta-rows.js';
import { errorItemMessage } from './errors.js';
import { excelDateSerial, fmtChangePct, fmtDate, fmtMoney, fmtNumber, fmtPct, fmtQty, fold } from './format.js';
import { chartTime } from './marketdata.js';

// ------------------------------------------------------------------ labels

export const BACKTEST_STATE_LABELS: Record<BacktestState, string> = {
  queued: 'Na fila',
  running: 'Rodando',
  done: 'Concluído',
  failed: 'Falhou',
  cancelled: 'Cancelado',
};

export const INTERVAL_LABELS: Record<BarIntervalName, string> = {
  '1m': '1 min',
  '5m': '5 min',
  '15m': '15 min',
  '30m': '30 min',
  '60m': '60 min',
  '1d': 'Diário',
};

export const INTERVAL_OPTIONS = BAR_INTERVALS.map((value) => ({ value, label: INTERVAL_LABELS[value] }));

export type SourceName = 'auto' | 'bars' | 'trades';

export const SOURCE_OPTIONS: Array<{ value: SourceName; label: string }> = [
  { value: 'auto', label: 'Automática (negócios se houver, senão velas)' },
  { value: 'bars', label: 'Velas' },
  { value: 'trades', label: 'Negócios (times & trades)' },
];

export type RankBy = 'sharpe' | 'totalReturn' | 'annualReturn' | 'maxDrawdown' | 'hitRate';

export const RANK_OPTIONS: Array<{ value: RankBy; label: string }> = [
  { value: 'sharpe', label: 'Sharpe (maior primeiro)' },
  { value: 'totalReturn', label: 'Retorno total (maior primeiro)' },
  { value: 'annualReturn', label: 'Retorno anualizado (maior primeiro)' },
  { value: 'maxDrawdown', label: 'Drawdown máximo (menor primeiro)' },
  { value: 'hitRate', label: 'Taxa de acerto (maior primeiro)' },
];

export const FINISHED: ReadonlySet<BacktestState> = new Set(['done', 'failed', 'cancelled']);

export function isActive(state: BacktestState): boolean {
  return state === 'queued' || state === 'running';
}

// ------------------------------------------------------------------ the form

/** What the person typed, field by field, as text (parsed only when sent). */
export interface BacktestForm {
  strategy: string;
  /** Text per parameter name; '' = the strategy's default. */
  params: Record<string, string>;
  symbols: string;
  /** ISO dates (yyyy-mm-dd) from the DateFields; '' when not (validly) filled. */
  from: string;
  to: string;
  interval: BarIntervalName;
  clients: string;
  /** Starting cash per client, R$, as typed (pt-BR or plain). */
  cash: string;
  seed: string;
  /** CDI per year in percent as typed ("10,65"); '' = 0. */
  cdi: string;
  source: SourceName;
  label: string;
  /** Closed bars before the start the strategy reads with ctx.bars at once (as typed; '' = 0). */
  warmup: string;
}

export const DEFAULT_CLIENT = 'BACKTEST';

export function emptyBacktestForm(strategy = ''): BacktestForm {
  return { strategy, params: {}, symbols: '', from: '', to: '', interval: '1d', clients: DEFAULT_CLIENT, cash: '1.000.000,00', seed: '1', cdi: '', source: 'auto', label: '', warmup: '' };
}

/** Field errors by form key: 'symbols', 'from', 'params.fast', 'grid.fast', 'limits.maxOrdersPerMinute'… */
export type FieldErrors = Record<string, string>;

export type Built<T> = { ok: true; body: T } | { ok: false; errors: FieldErrors };

/** Warm-up bars as typed: '' is none; else a whole number up to the bridge's bound. */
export function parseWarmup(text: string, errors: FieldErrors): number | undefined {
  if (text.trim() === '') return undefined;
  const r = parseInteger(text);
  if (!r.ok) errors.warmupBars = r.error;
  else if (r.value < 0 || r.value > MAX_WARMUP_BARS) errors.warmupBars = `Use um inteiro entre 0 e ${fmtQty(MAX_WARMUP_BARS)}.`;
  else return r.value;
  return undefined;
}

/** "petr4, vale3;ITUB4" → ["PETR4", "VALE3", "ITUB4"] (order kept, repeats dropped). */
export function parseSymbols(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[\s,;]+/)) {
    const s = raw.trim().toUpperCase();
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/** Client ids keep their case (the registry's ids are matched exactly). */
export function parseClients(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[\s,;]+/)) {
    const s = raw.trim();
    if (s && !out.includes(s)) out.push(s);
  }
  return out;
}

/**
 * An amount in R$ as a PM types it: "50.000" is fifty thousand (a dot before exactly three digits
 * groups thousands), "2.500.000,50" and "1000000" too; a decimal comma for centavos.
 */
export function parseMoney(text: string): ReturnType<typeof parseNumber> {
  return parseNumber(text, { integer: true });
}

const CLIENT_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const SYMBOL = /^[A-Z0-9$_]{1,16}$/;

export type ParamParse = { ok: true; value: number | boolean | string | undefined } | { ok: false; error: string };

const ptNumber = new Intl.NumberFormat('pt-BR', { maximumFractionDigits: 6 });
const n = (v: number) => ptNumber.format(v);

/** "entre 1 e 500", "no mínimo 1": a parameter's declared range in words. */
export function paramRangeText(p: StrategyParamView): string {
  if (p.min !== undefined && p.max !== undefined) return `entre ${n(p.min)} e ${n(p.max)}`;
  if (p.min !== undefined) return `no mínimo ${n(p.min)}`;
  if (p.max !== undefined) return `no máximo ${n(p.max)}`;
  return '';
}

/** The hint under a parameter's field: its range and default, in pt-BR. */
export function paramHintText(p: StrategyParamView): string {
  const parts: string[] = [];
  const range = p.type === 'integer' || p.type === 'number' ? paramRangeText(p) : '';
  if (range) parts.push(`${range.charAt(0).toUpperCase()}${range.slice(1)}.`);
  const d = p.type === 'boolean' ? (p.default ? 'sim' : 'não') : typeof p.default === 'number' ? n(p.default) : String(p.default ?? '');
  if (d !== '') parts.push(`Padrão: ${d}.`);
  return parts.join(' ');
}

export function paramLabel(p: StrategyParamView): string {
  return p.label ?? p.name;
}

/** A parameter's text read by its declared type; '' means "the default" (undefined). */
export function parseParam(p: StrategyParamView, text: string): ParamParse {
  const t = text.trim();
  if (t === '') return { ok: true, value: undefined };
  switch (p.type) {
    case 'integer':
    case 'number': {
      const r = p.type === 'integer' ? parseInteger(t) : parseNumber(t);
      if (!r.ok) return { ok: false, error: r.error };
      if (p.min !== undefined && r.value < p.min) return { ok: false, error: `mínimo ${n(p.min)}` };
      if (p.max !== undefined && r.value > p.max) return { ok: false, error: `máximo ${n(p.max)}` };
      return { ok: true, value: r.value };
    }
    case 'boolean': {
      const r = parseBoolean(t);
      return r.ok ? { ok: true, value: r.value } : { ok: false, error: r.error };
    }
    case 'enum': {
      const hit = (p.options ?? []).find((o) => fold(o) === fold(t));
      return hit ? { ok: true, value: hit } : { ok: false, error: `use um de: ${(p.options ?? []).join(', ')}` };
    }
    default:
      return t.length > 200 ? { ok: false, error: 'no máximo 200 caracteres' } : { ok: true, value: t };
  }
}

/**
 * The values to try for one parameter in a sweep. Separated by commas ("5, 10, 20"), or by
 * semicolons when a value has a decimal comma ("0,5; 1,5"); '' = not swept.
 */
export function parseGridValues(p: StrategyParamView, text: string): { ok: true; values: Array<number | boolean | string> } | { ok: false; error: string } {
  const t = text.trim();
  if (t === '') return { ok: true, values: [] };
  const parts = (t.includes(';') ? t.split(';') : t.split(',')).map((x) => x.trim()).filter((x) => x !== '');
  const values: Array<number | boolean | string> = [];
  for (const part of parts) {
    const r = parseParam(p, part);
    if (!r.ok) return { ok: false, error: `"${part}": ${r.error}` };
    if (r.value !== undefined && !values.includes(r.value)) values.push(r.value);
  }
  if (values.length > 100) return { ok: false, error: 'no máximo 100 valores por parâmetro' };
  return { ok: true, values };
}

function parseSpec(form: BacktestForm, strategy: StrategyView | undefined, errors: FieldErrors, withParams: boolean): BacktestSpecInput {
  const symbols = parseSymbols(form.symbols);
  if (symbols.length === 0) errors.symbols = 'Informe pelo menos um ativo (ex.: PETR4, VALE3).';
  else if (symbols.length > 50) errors.symbols = 'No máximo 50 ativos.';
  else {
    const bad = symbols.find((s) => !SYMBOL.test(s));
    if (bad) errors.symbols = `"${bad}" não é um código de ativo.`;
  }
  if (!form.from) errors.from = 'Informe a data inicial (dd/mm/aaaa).';
  if (!form.to) errors.to = 'Informe a data final (dd/mm/aaaa).';
  if (form.from && form.to && form.from > form.to) errors.to = `A data final (${fmtDate(form.to)}) vem antes da inicial (${fmtDate(form.from)}).`;
  const clients = parseClients(form.clients);
  if (clients.length === 0) errors.clients = 'Informe pelo menos um cliente (ex.: BACKTEST).';
  else if (clients.length > 50) errors.clients = 'No máximo 50 clientes.';
  else {
    const bad = clients.find((c) => !CLIENT_ID.test(c));
    if (bad) errors.clients = `"${bad}": use letras, números, ponto, hífen ou sublinhado.`;
  }
  let cashBrl: number | undefined;
  if (form.cash.trim() !== '') {
    const r = parseMoney(form.cash);
    if (!r.ok) errors.cashBrl = r.error;
    else if (!(r.value > 0)) errors.cashBrl = 'O caixa inicial deve ser maior que zero.';
    else if (r.value > 1e12) errors.cashBrl = 'Caixa inicial grande demais.';
    else cashBrl = r.value;
  }
  let seed: number | undefined;
  if (form.seed.trim() !== '') {
    const r = parseInteger(form.seed);
    if (!r.ok) errors.seed = r.error;
    else if (r.value < 0 || r.value > 2_147_483_647) errors.seed = 'Use um inteiro entre 0 e 2.147.483.647.';
    else seed = r.value;
  }
  let riskFreeAnnual: number | undefined;
  if (form.cdi.trim() !== '') {
    const r = parseNumber(form.cdi.replace(/%\s*$/, ''));
    if (!r.ok) errors.riskFreeAnnual = r.error;
    else if (r.value < 0 || r.value > 100) errors.riskFreeAnnual = 'Use um percentual entre 0 e 100 (ex.: 10,65).';
    else riskFreeAnnual = Math.round(r.value * 1e8) / 1e10;
  }
  const warmupBars = parseWarmup(form.warmup, errors);
  const params: Record<string, number | boolean | string> = {};
  if (withParams && strategy) {
    for (const p of strategy.params) {
      const r = parseParam(p, form.params[p.name] ?? '');
      if (!r.ok) errors[`params.${p.name}`] = r.error;
      else if (r.value !== undefined) params[p.name] = r.value;
    }
  }
  const spec: BacktestSpecInput = { symbols, from: form.from, to: form.to, interval: form.interval, source: form.source, clients, params };
  if (cashBrl !== undefined) spec.cashBrl = cashBrl;
  if (seed !== undefined) spec.seed = seed;
  if (riskFreeAnnual !== undefined) spec.riskFreeAnnual = riskFreeAnnual;
  if (warmupBars !== undefined) spec.warmupBars = warmupBars;
  return spec;
}

/** The body of `POST /api/backtests`, or why not, field by field (the same keys the bridge's 422 maps to). */
export function buildBacktestRequest(form: BacktestForm, strategy: StrategyView | undefined): Built<BacktestRequest> {
  const errors: FieldErrors = {};
  if (!form.strategy) errors.strategy = 'Escolha uma estratégia.';
  const spec = parseSpec(form, strategy, errors, true);
  if (form.label.length > 200) errors.label = 'No máximo 200 caracteres.';
  if (Object.keys(errors).length) return { ok: false, errors };
  const body: BacktestRequest = { strategy: form.strategy, spec: spec as BacktestRequest['spec'] };
  if (form.label.trim()) body.label = form.label.trim();
  return { ok: true, body };
}

/**
 * The body of `POST /api/sweeps`. The sweep form has one field per parameter holding the values to
 * try (`grid`, text per name): one value fixes the parameter, several are swept, blank leaves the
 * strategy's default.
 */
export function buildSweepRequest(form: BacktestForm, strategy: StrategyView | undefined, grid: Record<string, string>, rankBy: RankBy): Built<SweepRequest> {
  const errors: FieldErrors = {};
  if (!form.strategy) errors.strategy = 'Escolha uma estratégia.';
  const spec = parseSpec(form, strategy, errors, false);
  const g: Record<string, Array<number | boolean | string>> = {};
  for (const p of strategy?.params ?? []) {
    const r = parseGridValues(p, grid[p.name] ?? '');
    if (!r.ok) errors[`grid.${p.name}`] = r.error;
    else if (r.values.length > 0) g[p.name] = r.values;
  }
  const gridErrors = Object.keys(errors).some((k) => k.startsWith('grid.'));
  if (strategy && !gridErrors && !Object.values(g).some((v) => v.length > 1)) {
    errors.grid = 'Informe dois ou mais valores em pelo menos um parâmetro (ex.: 5, 10, 20).';
  }
  const total = combinations(g);
  if (total > 1_000) errors.grid = `${fmtQty(total)} combinações: no máximo 1.000 por varredura.`;
  if (Object.keys(errors).length) return { ok: false, errors };
  const body: SweepRequest = { strategy: form.strategy, spec: spec as SweepRequest['spec'], grid: g, rankBy };
  if (form.label.trim()) body.label = form.label.trim();
  return { ok: true, body };
}

/** How many runs a grid makes: the product of its value counts (1 when empty). */
export function combinations(grid: Record<string, readonly unknown[]>): number {
  return Object.values(grid).reduce((a, v) => a * Math.max(1, v.length), 1);
}

/**
 * A bridge field name as the form's key: `spec.params.fast` → `params.fast`, `spec.symbols[2]` →
 * `symbols`, `limits.symbols[0]` → `limits.symbols`, `grid.fast[1]` → `grid.fast`, `spec.cashBrl` → `cashBrl`.
 */
export function formKeyOf(field: string): string {
  let f = field.trim().replace(/^body\./, '').replace(/^spec\./, '');
  f = f.replace(/\[\d+\].*$/, '');
  return f;
}

/**
 * Puts the bridge's 422 errors on the fields they name (every message through errors.ts); what
 * names no field of the form comes back in `general`.
 */
export function placeApiErrors(errors: readonly ApiErrorItem[], fieldKeys: readonly string[]): { fields: FieldErrors; general: string[] } {
  const known = new Set(fieldKeys);
  const fields: FieldErrors = {};
  const general: string[] = [];
  for (const e of errors) {
    const text = errorItemMessage(e);
    const key = formKeyOf(e.field ?? '');
    // A parameter the form shows under its grid (sweeps) or as a field.
    const target = known.has(key) ? key : key.startsWith('params.') && known.has(`grid.${key.slice(7)}`) ? `grid.${key.slice(7)}` : undefined;
    if (target) fields[target] = fields[target] ? `${fields[target]}; ${text}` : text;
    else if (!general.includes(text)) general.push(text);
  }
  return { fields, general };
}

/** The form keys a backtest (or sweep) form has, for placeApiErrors. */
export function backtestFieldKeys(strategy: StrategyView | undefined, sweep = false): string[] {
  const keys = ['strategy', 'symbols', 'from', 'to', 'interval', 'clients', 'cashBrl', 'seed', 'riskFreeAnnual', 'warmupBars', 'source', 'label'];
  for (const p of strategy?.params ?? []) keys.push(sweep ? `grid.${p.name}` : `params.${p.name}`);
  if (sweep) keys.push('grid', 'rankBy');
  return keys;
}

// ------------------------------------------------------------------ the live lists

const STAGE: Record<BacktestState, number> = { queued: 0, running: 1, done: 2, failed: 2, cancelled: 2 };

function newer<T extends { state: BacktestState; progress?: number; done?: number }>(old: T | undefined, next: T): boolean {
  if (!old) return true;
  if (STAGE[next.state] !== STAGE[old.state]) return STAGE[next.state] > STAGE[old.state];
  if (next.state === 'running' && old.state === 'running') return (next.progress ?? next.done ?? 0) >= (old.progress ?? old.done ?? 0);
  return true;
}

function isRemoval(x: unknown): x is { id: string } {
  return !!x && typeof x === 'object' && typeof (x as { id?: unknown }).id === 'string' && ((x as { deleted?: unknown }).deleted === true || (x as { state?: unknown }).state === 'deleted');
}

/**
 * A channel payload (the snapshot: the whole list; a delta: one item) or an HTTP answer into the
 * list, newest first. A snapshot replaces the list; a delta upserts. An item never goes back to an
 * earlier stage (an HTTP answer can arrive after the channel told the run ended).
 */
export function mergeLive<T extends { id: string; state: BacktestState; createdAt: string; progress?: number; done?: number }>(
  known: readonly T[],
  data: unknown,
  mode: 'snapshot' | 'upsert' = Array.isArray(data) ? 'snapshot' : 'upsert',
): T[] {
  const byId = new Map(known.map((x) => [x.id, x]));
  const incoming = (Array.isArray(data) ? data : [data]).filter((x): x is T | { id: string } => !!x && typeof x === 'object' && typeof (x as { id?: unknown }).id === 'string');
  let next: Map<string, T>;
  if (mode === 'snapshot') {
    next = new Map();
    for (const x of incoming) {
      if (isRemoval(x)) continue;
      const item = x as T;
      const old = byId.get(item.id);
      next.set(item.id, old && !newer(old, item) ? old : item);
    }
  } else {
    next = new Map(byId);
    for (const x of incoming) {
      if (isRemoval(x)) {
        next.delete(x.id);
        continue;
      }
      const item = x as T;
      if (newer(next.get(item.id), item)) next.set(item.id, { ...(next.get(item.id) ?? {}), ...item });
    }
  }
  return [...next.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
}

// ------------------------------------------------------------------ a run as a PM reads it

/** "faltam 12 s", "faltam 3 min 05 s", "faltam 1 h 02 min". */
export function etaText(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `faltam ${s} s`;
  if (s < 3600) return `faltam ${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `faltam ${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** "42% · 120.000 eventos/s · faltam 12 s" while a run is going. */
export function progressText(run: Pick<BacktestRunView, 'state' | 'progress' | 'eventsPerSec' | 'etaMs'>): string {
  if (run.state === 'queued') return 'na fila';
  const parts = [fmtPct(Math.max(0, Math.min(1, run.progress ?? 0)) * 100, 0)];
  if (run.eventsPerSec !== undefined && Number.isFinite(run.eventsPerSec)) parts.push(`${fmtNumber(run.eventsPerSec, 0)} eventos/s`);
  const eta = etaText(run.etaMs);
  if (eta) parts.push(eta);
  return parts.join(' · ');
}

/** "PETR4, VALE3 · Diário · 02/01/2024 a 28/06/2024". */
export function specSummary(spec: Pick<BacktestRunView['spec'], 'symbols' | 'interval' | 'from' | 'to'>): string {
  return `${spec.symbols.join(', ')} · ${INTERVAL_LABELS[spec.interval] ?? spec.interval} · ${fmtDate(spec.from)} a ${fmtDate(spec.to)}`;
}

/** The name shown for a run: its label, else the strategy's name. */
export function runTitle(run: Pick<BacktestRunView, 'label' | 'strategy'>, names?: ReadonlyMap<string, string>): string {
  return run.label?.trim() || names?.get(run.strategy) || run.strategy;
}

/** Where a strategy broke, in words: "em onBar, ma-crossover.ts:27". */
export function faultPlace(f: StrategyFaultView): string {
  const hook = f.hook ? `em ${f.hook}` : '';
  const loc = f.location ? f.location : '';
  return [hook, loc].filter(Boolean).join(', ');
}

export function faultText(f: StrategyFaultView): string {
  const place = faultPlace(f);
  return `A estratégia falhou${place ? ` ${place}` : ''}: ${f.message}`;
}

export type Tone = 'pos' | 'neg' | undefined;

export interface MetricCell {
  key: keyof RunMetricsView | 'endEquity';
  label: string;
  text: string;
  tone?: Tone;
  hint?: string;
}

/** A fraction in percent, rounded to what is shown (so -0,0003% reads 0,00%, never "-0,00%"). */
const frac = (x: number | null | undefined, decimals = 2): number | undefined => {
  if (!(typeof x === 'number' && Number.isFinite(x))) return undefined;
  const v = Math.round(x * 100 * 10 ** decimals) / 10 ** decimals;
  return Object.is(v, -0) ? 0 : v;
};
const signTone = (x: number | null | undefined): Tone => {
  const v = frac(x);
  return v !== undefined && v > 0 ? 'pos' : v !== undefined && v < 0 ? 'neg' : undefined;
};

/** A drawdown (a positive fraction) as the loss it is: "-12,34%"; 0 is "0,00%". */
export function drawdownText(dd: number | null | undefined): string {
  const v = frac(dd);
  if (v === undefined) return '—';
  return v > 0 ? `-${fmtPct(v)}` : fmtPct(0);
}

export function turnoverText(t: number | null | undefined): string {
  return typeof t === 'number' && Number.isFinite(t) ? `${fmtNumber(t, 2)}×` : '—';
}

/** The metric cards of a run, in the order a PM reads them; "—" where the figure does not exist. */
export function metricCells(m: RunMetricsView | undefined): MetricCell[] {
  return [
    { key: 'totalReturn', label: 'Retorno total', text: m ? fmtChangePct(frac(m.totalReturn)) : '—', tone: signTone(m?.totalReturn) },
    { key: 'annualReturn', label: 'Retorno anualizado', text: m ? fmtChangePct(frac(m.annualReturn)) : '—', tone: signTone(m?.annualReturn), hint: '252 pregões/ano' },
    { key: 'volatility', label: 'Volatilidade', text: m ? fmtPct(frac(m.volatility)) : '—', hint: 'anualizada' },
    { key: 'sharpe', label: 'Sharpe', text: m ? fmtNumber(m.sharpe, 2) : '—', tone: typeof m?.sharpe === 'number' ? (m.sharpe > 0.005 ? 'pos' : m.sharpe < -0.005 ? 'neg' : undefined) : undefined, hint: 'sobre o CDI' },
    { key: 'maxDrawdown', label: 'Drawdown máximo', text: m ? drawdownText(m.maxDrawdown) : '—', tone: m && (frac(m.maxDrawdown) ?? 0) > 0 ? 'neg' : undefined },
    { key: 'hitRate', label: 'Taxa de acerto', text: m ? fmtPct(frac(m.hitRate, 1), 1) : '—', hint: 'operações de ida e volta (zerada a zerada)' },
    { key: 'turnover', label: 'Giro', text: m ? turnoverText(m.turnover) : '—', hint: 'volume / patr. médio' },
    { key: 'feesBrl', label: 'Custos', text: m ? fmtMoney(m.feesBrl) : '—', hint: 'taxas B3' },
    { key: 'trades', label: 'Negócios', text: m ? fmtQty(m.trades) : '—', hint: m ? `${fmtQty(m.sessions)} pregões` : undefined },
    { key: 'endEquity', label: 'Patrimônio final', text: m ? fmtMoney(m.endEquityBrl) : '—', tone: m ? (m.endEquityBrl - m.startEquityBrl >= 0.005 ? 'pos' : m.endEquityBrl - m.startEquityBrl <= -0.005 ? 'neg' : undefined) : undefined, hint: m ? `início ${fmtMoney(m.startEquityBrl)}` : undefined },
  ];
}

/** One short figure per metric for the compare table and the run list. */
export function shortMetric(m: RunMetricsView | undefined, key: MetricCell['key']): string {
  return metricCells(m).find((c) => c.key === key)?.text ?? '—';
}

/** An equity curve rebased to 100 at its first point (runs of different sizes on one chart). */
export function normalisedCurve(equity: ReadonlyArray<{ t: string; value: number }>): Array<{ t: string; value: number }> {
  const first = equity.find((p) => Number.isFinite(p.value) && p.value !== 0);
  if (!first) return [];
  return equity.filter((p) => Number.isFinite(p.value)).map((p) => ({ t: p.t, value: (p.value / first.value) * 100 }));
}

/** The metric a sweep ranks by, for its column. */
export function rankValue(m: RunMetricsView | undefined, rankBy: string): string {
  const key = (rankBy === 'maxDrawdown' ? 'maxDrawdown' : rankBy) as MetricCell['key'];
  return shortMetric(m, key);
}

export function rankLabel(rankBy: string): string {
  return RANK_OPTIONS.find((o) => o.value === rankBy)?.label.replace(/ \(.*\)$/, '') ?? rankBy;
}

/** A sweep row's parameters as "fast 5 · slow 20". */
export function paramsText(params: Record<string, number | boolean | string>, labels?: ReadonlyMap<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${labels?.get(k) ?? k} ${typeof v === 'number' ? n(v) : typeof v === 'boolean' ? (v ? 'sim' : 'não') : v}`)
    .join(' · ');
}

export function sweepProgress(s: Pick<SweepView, 'total' | 'done'>): number {
  return s.total > 0 ? Math.min(1, s.done / s.total) : 0;
}

/**
 * Points for a lightweight-charts series: São Paulo wall-clock seconds (the chart draws UTC),
 * ascending, one per second (the chart refuses repeats and disorder: the last value of a second wins).
 */
export function chartPoints(points: ReadonlyArray<{ t: string; value: number }>, scale = 1): Array<{ time: number; value: number }> {
  const bySecond = new Map<number, number>();
  for (const p of points) {
    if (!Number.isFinite(p.value)) continue;
    const time = chartTime(p.t);
    if (Number.isFinite(time)) bySecond.set(time, p.value * scale);
  }
  return [...bySecond.entries()].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time, value }));
}

/**
 * What the market database holds for the typed symbols, in one line under the field ("PETR4: 1d de
 * 02/01/2024 a 28/06/2024, 5m de …; VALE3: nada guardado"), so the dates can be chosen before a 422.
 */
export function storedText(coverage: ReadonlyArray<{ symbol: string; interval: string; from: string; to: string }>, symbols: readonly string[]): string {
  return symbols
    .slice(0, 6)
    .map((sym) => {
      const rows = coverage.filter((c) => c.symbol === sym);
      if (rows.length === 0) return `${sym}: nada guardado`;
      return `${sym}: ${rows.map((c) => `${c.interval === 'trades' ? 'negócios' : c.interval} de ${fmtDate(c.from)} a ${fmtDate(c.to)}`).join(', ')}`;
    })
    .join('; ');
}

/** A page of orders or fills as the bridge answers it: the rows themselves, or wrapped with a total. */
export function pageRows<T>(data: unknown, kind: 'orders' | 'fills'): { rows: T[]; total?: number } {
  if (Array.isArray(data)) return { rows: data as T[] };
  if (data && typeof data === 'object') {
    const o = data as Record<string, unknown>;
    const rows = [o[kind], o.rows, o.items].find(Array.isArray) as T[] | undefined;
    const total = typeof o.total === 'number' ? o.total : undefined;
    return { rows: rows ?? [], total };
  }
  return { rows: [] };
}

/**
 * The last point of each B3 day: runs of different bar sizes (a month of 1-minute bars, a year of
 * daily ones) overlaid on one time axis, each day one step, as a daily chart of prices would be.
 */
export function dailyLast(points: ReadonlyArray<{ t: string; value: number }>): Array<{ t: string; value: number }> {
  const byDay = new Map<number, { t: string; value: number }>();
  for (const p of points) {
    const day = excelDateSerial(p.t);
    if (day === undefined || !Number.isFinite(p.value)) continue;
    const old = byDay.get(day);
    if (!old || old.t <= p.t) byDay.set(day, p);
  }
  return [...byDay.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
}
