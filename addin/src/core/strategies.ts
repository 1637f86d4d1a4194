/**
 * The pure side of the Estratégias tab: the start form read into `POST /api/strategies/runs` (with
 * the arming step on a real broker: the run's own limits and the word ARMAR typed by the person),
 * the `strategies` channel merged into a list, and a run's state in words.
 */
import type { BarIntervalName, StrategyLimitsInput, StrategyRunState, StrategyRunView, StrategyStartRequest, StrategyView } from '../../../common/backtest.js';
import { parseInteger } from '../sheets/boleta-rows.js';
import { parseClients, parseMoney, parseParam, parseSymbols, parseWarmup, type Built, type FieldErrors } from './backtests.js';
import { fmtMoney, fmtQty } from './format.js';

/** The word a person types to arm a run on a real broker (the bridge checks the same). */
export const ARM_WORD = 'ARMAR';

export type MarketKind = 'sim' | 'live' | 'replay';

export const RUN_STATE_LABELS: Record<StrategyRunState, string> = {
  running: 'Rodando',
  stopped: 'Parada',
  failed: 'Com falha',
  halted: 'Interrompida pelo PÂNICO',
};

export function runStateLabel(s: string): string {
  return (RUN_STATE_LABELS as Record<string, string>)[s] ?? s;
}

export const MARKET_LABELS: Record<MarketKind, string> = {
  sim: 'Mercado simulado',
  replay: 'Replay de histórico',
  live: 'Corretora real',
};

/** Whether runs on this market send orders to a real broker (and so need arming). */
export function isLive(market: string | undefined): boolean {
  return market === 'live';
}

export interface StartForm {
  strategy: string;
  params: Record<string, string>;
  symbols: string;
  clients: string;
  interval: BarIntervalName;
  seed: string;
  /** Closed bars from the market database the strategy reads at start ('' = none). */
  warmup: string;
}

export function emptyStartForm(strategy = ''): StartForm {
  return { strategy, params: {}, symbols: '', clients: '', interval: '1m', seed: '1', warmup: '' };
}

export interface LimitsForm {
  maxOrderNotionalBrl: string;
  maxTotalNotionalBrl: string;
  maxOrdersPerMinute: string;
  /** '' = the run's symbols. */
  symbols: string;
  confirm: string;
}

export function emptyLimitsForm(): LimitsForm {
  return { maxOrderNotionalBrl: '', maxTotalNotionalBrl: '', maxOrdersPerMinute: '', symbols: '', confirm: '' };
}

/** The fields of the start form and the arming dialog, for placing the bridge's 422. */
export function startFieldKeys(strategy: StrategyView | undefined): string[] {
  return [
    'strategy',
    'symbols',
    'clients',
    'interval',
    'seed',
    'warmupBars',
    ...(strategy?.params ?? []).map((p) => `params.${p.name}`),
    'limits.maxOrderNotionalBrl',
    'limits.maxTotalNotionalBrl',
    'limits.maxOrdersPerMinute',
    'limits.symbols',
    'confirm',
  ];
}

function positiveMoney(text: string, key: string, errors: FieldErrors, what: string): number | undefined {
  if (text.trim() === '') {
    errors[key] = `Informe ${what}.`;
    return undefined;
  }
  const r = parseMoney(text);
  if (!r.ok) errors[key] = r.error;
  else if (!(r.value > 0)) errors[key] = 'Deve ser maior que zero.';
  else return r.value;
  return undefined;
}

/**
 * The body of `POST /api/strategies/runs`. On a real broker (`live`) the limits and the typed
 * confirmation are required; elsewhere they are not sent.
 */
export function buildStartRequest(form: StartForm, strategy: StrategyView | undefined, market: MarketKind, limits?: LimitsForm): Built<StrategyStartRequest> {
  const errors: FieldErrors = {};
  if (!form.strategy) errors.strategy = 'Escolha uma estratégia.';
  const symbols = parseSymbols(form.symbols);
  if (symbols.length === 0) errors.symbols = 'Informe pelo menos um ativo (ex.: PETR4).';
  else if (symbols.length > 50) errors.symbols = 'No máximo 50 ativos.';
  const clients = parseClients(form.clients);
  if (clients.length === 0) errors.clients = 'Informe o cliente (ou clientes) em cuja conta a estratégia opera.';
  else if (clients.length > 50) errors.clients = 'No máximo 50 clientes.';
  let seed: number | undefined;
  if (form.seed.trim() !== '') {
    const r = parseInteger(form.seed);
    if (!r.ok) errors.seed = r.error;
    else if (r.value < 0 || r.value > 2_147_483_647) errors.seed = 'Use um inteiro entre 0 e 2.147.483.647.';
    else seed = r.value;
  }
  const warmupBars = parseWarmup(form.warmup, errors);
  const params: Record<string, number | boolean | string> = {};
  for (const p of strategy?.params ?? []) {
    const r = parseParam(p, form.params[p.name] ?? '');
    if (!r.ok) errors[`params.${p.name}`] = r.error;
    else if (r.value !== undefined) params[p.name] = r.value;
  }
  const body: StrategyStartRequest = { strategy: form.strategy, symbols, clients, interval: form.interval, params };
  if (seed !== undefined) body.seed = seed;
  if (warmupBars !== undefined) body.warmupBars = warmupBars;
  if (isLive(market)) {
    const l = limits ?? emptyLimitsForm();
    const perOrder = positiveMoney(l.maxOrderNotionalBrl, 'limits.maxOrderNotionalBrl', errors, 'o valor máximo por ordem');
    const total = positiveMoney(l.maxTotalNotionalBrl, 'limits.maxTotalNotionalBrl', errors, 'o valor máximo somado');
    if (perOrder !== undefined && total !== undefined && perOrder > total) errors['limits.maxOrderNotionalBrl'] = 'O máximo por ordem passa do total.';
    let perMinute: number | undefined;
    if (l.maxOrdersPerMinute.trim() === '') errors['limits.maxOrdersPerMinute'] = 'Informe quantas ordens por minuto, no máximo.';
    else {
      const r = parseInteger(l.maxOrdersPerMinute);
      if (!r.ok) errors['limits.maxOrdersPerMinute'] = r.error;
      else if (r.value < 1 || r.value > 6000) errors['limits.maxOrdersPerMinute'] = 'Use um inteiro entre 1 e 6.000.';
      else perMinute = r.value;
    }
    // The run may watch more symbols than it may trade: the allowed ones are some of the run's.
    const allowed = l.symbols.trim() ? parseSymbols(l.symbols) : symbols;
    if (allowed.length === 0) errors['limits.symbols'] = 'Informe os ativos que a estratégia pode negociar.';
    const outside = allowed.filter((s) => !symbols.includes(s));
    if (symbols.length && outside.length) errors['limits.symbols'] = `${outside.join(', ')} não ${outside.length > 1 ? 'estão' : 'está'} entre os ativos da estratégia.`;
    if (l.confirm.trim() !== ARM_WORD) errors.confirm = `Digite ${ARM_WORD} para confirmar.`;
    if (perOrder !== undefined && total !== undefined && perMinute !== undefined && allowed.length) {
      const lim: StrategyLimitsInput = { maxOrderNotionalBrl: perOrder, maxTotalNotionalBrl: total, maxOrdersPerMinute: perMinute, symbols: allowed };
      body.limits = lim;
    }
    body.confirm = l.confirm.trim();
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, body };
}

/** The limits of an armed run, in one line. */
export function limitsText(l: StrategyRunView['limits']): string {
  if (!l) return '';
  return `até ${fmtMoney(l.maxOrderNotionalBrl)} por ordem · ${fmtMoney(l.maxTotalNotionalBrl)} no total · ${fmtQty(l.maxOrdersPerMinute)} ordens/min · ${l.symbols.join(', ')}`;
}

const RUN_ORDER: Record<StrategyRunState, number> = { running: 0, halted: 1, failed: 2, stopped: 3 };

/**
 * The `strategies` channel (snapshot: every run; delta: one run) or an HTTP answer into the list:
 * running first, then halted, failed, stopped; newest first within each.
 */
export function mergeRuns(known: readonly StrategyRunView[], data: unknown): StrategyRunView[] {
  const snapshot = Array.isArray(data);
  const next = new Map(snapshot ? [] : known.map((r) => [r.id, r] as const));
  for (const x of snapshot ? data : [data]) {
    if (!x || typeof x !== 'object' || typeof (x as { id?: unknown }).id !== 'string') continue;
    const r = x as StrategyRunView;
    // A stopped run never starts again: an HTTP answer that arrives late cannot revive it.
    const old = snapshot ? known.find((k) => k.id === r.id) : next.get(r.id);
    if (old && old.state !== 'running' && r.state === 'running') {
      next.set(r.id, old);
      continue;
    }
    next.set(r.id, r);
  }
  return [...next.values()].sort((a, b) => RUN_ORDER[a.state] - RUN_ORDER[b.state] || (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}

/** `GET /api/strategies`: what can run, the files that failed to load, and where runs trade. */
export interface StrategiesListView {
  strategies: StrategyView[];
  broken: Array<{ id: string; error: string }>;
  market: MarketKind;
}

export const STRATEGIES_PATH = '/api/strategies';
