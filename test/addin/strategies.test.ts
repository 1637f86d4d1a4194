/**
 * The Estratégias tab's pure side: a plain start on the simulated market, the arming step on a real
 * broker (limits and the typed ARMAR), the bridge's 422 on the dialog's fields, and the runs list.
 */
import { describe, expect, it } from 'vitest';
import type { StrategyRunView, StrategyView } from '../../common/backtest.js';
import { strategyStartSchema } from '../../common/backtest.js';
import { placeApiErrors } from '../../addin/src/core/backtests.js';
import { buildStartRequest, emptyLimitsForm, emptyStartForm, limitsText, mergeRuns, runStateLabel, startFieldKeys } from '../../addin/src/core/strategies.js';

const nbsp = (s: string) => s.replace(/\u00a0/g, ' ');

const MA: StrategyView = {
  id: 'ma-crossover',
  name: 'Cruzamento de médias',
  source: 'bundled',
  params: [
    { name: 'fast', type: 'integer', default: 9, min: 1, max: 500 },
    { name: 'slow', type: 'integer', default: 21, min: 2, max: 2000 },
  ],
  wants: { trades: false, quotes: false },
};

const form = () => ({ ...emptyStartForm('ma-crossover'), symbols: 'petr4', clients: 'ALFA', params: { fast: '5' } });

describe('starting a strategy', () => {
  it('on the simulated market: no limits, no confirmation', () => {
    const r = buildStartRequest(form(), MA, 'sim');
    expect(r).toEqual({ ok: true, body: { strategy: 'ma-crossover', symbols: ['PETR4'], clients: ['ALFA'], interval: '1m', params: { fast: 5 }, seed: 1 } });
    expect(r.ok && strategyStartSchema.safeParse(r.body).success).toBe(true);
    const warm = buildStartRequest({ ...form(), warmup: '200' }, MA, 'sim');
    expect(warm.ok && warm.body.warmupBars).toBe(200);
    expect(warm.ok && strategyStartSchema.safeParse(warm.body).success).toBe(true);
    const bad = buildStartRequest({ ...form(), warmup: 'muitas' }, MA, 'sim');
    expect(!bad.ok && bad.errors.warmupBars).toBeTruthy();
    expect(startFieldKeys(MA)).toContain('warmupBars');
  });

  it('on a real broker: limits and ARMAR typed by the person, or no start', () => {
    const missing = buildStartRequest(form(), MA, 'live', emptyLimitsForm());
    expect(missing.ok).toBe(false);
    if (!missing.ok) {
      expect(Object.keys(missing.errors).sort()).toEqual(['confirm', 'limits.maxOrderNotionalBrl', 'limits.maxOrdersPerMinute', 'limits.maxTotalNotionalBrl']);
      expect(missing.errors.confirm).toBe('Digite ARMAR para confirmar.');
    }
    const lower = buildStartRequest(form(), MA, 'live', { maxOrderNotionalBrl: '50.000', maxTotalNotionalBrl: '200.000,00', maxOrdersPerMinute: '10', symbols: '', confirm: 'armar' });
    expect(!lower.ok && lower.errors.confirm).toBeTruthy();
    const ok = buildStartRequest(form(), MA, 'live', { maxOrderNotionalBrl: '50.000', maxTotalNotionalBrl: '200.000,00', maxOrdersPerMinute: '10', symbols: '', confirm: 'ARMAR' });
    expect(ok.ok).toBe(true);
    if (!ok.ok) return;
    expect(ok.body.limits).toEqual({ maxOrderNotionalBrl: 50_000, maxTotalNotionalBrl: 200_000, maxOrdersPerMinute: 10, symbols: ['PETR4'] });
    expect(ok.body.confirm).toBe('ARMAR');
    expect(strategyStartSchema.safeParse(ok.body).success).toBe(true);
  });

  it('refuses limits that contradict themselves or the run', () => {
    const r = buildStartRequest(form(), MA, 'live', { maxOrderNotionalBrl: '500.000', maxTotalNotionalBrl: '100.000', maxOrdersPerMinute: '0', symbols: 'VALE3', confirm: 'ARMAR' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors['limits.maxOrderNotionalBrl']).toBe('O máximo por ordem passa do total.');
    expect(r.errors['limits.maxOrdersPerMinute']).toContain('entre 1 e 6.000');
    expect(r.errors['limits.symbols']).toBe('VALE3 não está entre os ativos da estratégia.');
    // Watching two symbols, trading one of them: allowed.
    const some = buildStartRequest({ ...form(), symbols: 'PETR4, VALE3' }, MA, 'live', { maxOrderNotionalBrl: '50.000', maxTotalNotionalBrl: '100.000', maxOrdersPerMinute: '5', symbols: 'petr4', confirm: 'ARMAR' });
    expect(some.ok && some.body.limits?.symbols).toEqual(['PETR4']);
  });

  it('puts the bridge\'s refusal on the dialog\'s fields', () => {
    const placed = placeApiErrors(
      [
        { field: 'limits.maxOrdersPerMinute', code: 'too_big', message: 'no máximo 6000' },
        { field: 'clients[0]', code: 'unknown_client', message: 'cliente desconhecido: ZETA' },
        { field: 'params.slow', code: 'invalid_param', message: 'slow: mínimo 2' },
      ],
      startFieldKeys(MA),
    );
    expect(placed.fields).toEqual({ 'limits.maxOrdersPerMinute': 'no máximo 6000', clients: 'cliente desconhecido: ZETA', 'params.slow': 'slow: mínimo 2' });
  });
});

const r = (id: string, state: StrategyRunView['state'], startedAt: string): StrategyRunView => ({
  id,
  strategy: 'ma-crossover',
  name: 'Cruzamento de médias',
  symbols: ['PETR4'],
  clients: ['ALFA'],
  interval: '1m',
  params: {},
  state,
  market: 'sim',
  startedAt,
  orders: 0,
  fills: 0,
  logs: [],
});

describe('the runs', () => {
  it('running first, then halted, failed, stopped; a stopped run is never revived by a late answer', () => {
    let list = mergeRuns([], [r('a', 'stopped', '2026-12-02T10:00:00Z'), r('b', 'running', '2026-12-02T09:00:00Z')]);
    list = mergeRuns(list, r('c', 'halted', '2026-12-02T11:00:00Z'));
    expect(list.map((x) => x.id)).toEqual(['b', 'c', 'a']);
    list = mergeRuns(list, r('b', 'stopped', '2026-12-02T09:00:00Z'));
    list = mergeRuns(list, r('b', 'running', '2026-12-02T09:00:00Z'));
    expect(list.find((x) => x.id === 'b')!.state).toBe('stopped');
  });

  it('states and limits in pt-BR', () => {
    expect(runStateLabel('halted')).toBe('Interrompida pelo PÂNICO');
    expect(runStateLabel('failed')).toBe('Com falha');
    expect(nbsp(limitsText({ maxOrderNotionalBrl: 50_000, maxTotalNotionalBrl: 200_000, maxOrdersPerMinute: 10, symbols: ['PETR4'] }))).toBe(
      'até R$ 50.000,00 por ordem · R$ 200.000,00 no total · 10 ordens/min · PETR4',
    );
  });
});
