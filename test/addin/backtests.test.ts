/**
 * The Backtests tab's pure side: a form read into the request the bridge takes, its 422 back on the
 * fields, the live lists, and a run's figures in pt-BR with "—" where a figure does not exist.
 */
import { describe, expect, it } from 'vitest';
import type { BacktestRunView, RunMetricsView, StrategyView } from '../../common/backtest.js';
import { backtestRequestSchema, sweepRequestSchema } from '../../common/backtest.js';
import {
  backtestFieldKeys,
  buildBacktestRequest,
  buildSweepRequest,
  chartPoints,
  dailyLast,
  combinations,
  drawdownText,
  emptyBacktestForm,
  etaText,
  faultText,
  formKeyOf,
  mergeLive,
  metricCells,
  normalisedCurve,
  pageRows,
  paramHintText,
  paramsText,
  parseGridValues,
  parseParam,
  parseSymbols,
  placeApiErrors,
  progressText,
  specSummary,
  storedText,
} from '../../addin/src/core/backtests.js';

const nbsp = (s: string) => s.replace(/\u00a0/g, ' ');

const MA: StrategyView = {
  id: 'ma-crossover',
  name: 'Cruzamento de médias',
  description: 'Compra quando a média curta cruza a longa para cima.',
  source: 'bundled',
  params: [
    { name: 'fast', type: 'integer', default: 9, min: 1, max: 500, label: 'Média curta (barras)' },
    { name: 'slow', type: 'integer', default: 21, min: 2, max: 2000, label: 'Média longa (barras)' },
    { name: 'band', type: 'number', default: 0.5, min: 0, max: 5 },
    { name: 'short', type: 'boolean', default: false },
    { name: 'mode', type: 'enum', default: 'close', options: ['close', 'vwap'] },
    { name: 'note', type: 'string', default: '' },
  ],
  wants: { trades: false, quotes: false },
};

const filled = () => ({ ...emptyBacktestForm('ma-crossover'), symbols: 'petr4, vale3', from: '2024-01-02', to: '2024-06-28' });

describe('the backtest form', () => {
  it('builds the request the bridge schema accepts, pt-BR numbers read as such', () => {
    const form = { ...filled(), cash: 'R$ 2.500.000,50', cdi: '10,65', seed: '42', warmup: '1.000', interval: '15m' as const, source: 'bars' as const, clients: 'ALFA BETA', label: ' teste ', params: { fast: '5', band: '1,25', short: 'sim', mode: 'VWAP', note: '' } };
    const r = buildBacktestRequest(form, MA);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.body).toEqual({
      strategy: 'ma-crossover',
      label: 'teste',
      spec: {
        symbols: ['PETR4', 'VALE3'],
        from: '2024-01-02',
        to: '2024-06-28',
        interval: '15m',
        source: 'bars',
        clients: ['ALFA', 'BETA'],
        cashBrl: 2_500_000.5,
        seed: 42,
        riskFreeAnnual: 0.1065,
        warmupBars: 1_000,
        params: { fast: 5, band: 1.25, short: true, mode: 'vwap' },
      },
    });
    expect(backtestRequestSchema.safeParse(r.body).success).toBe(true);
  });

  it('reads R$ amounts the Brazilian way: 500.000 is five hundred thousand', () => {
    for (const [typed, value] of [['500.000', 500_000], ['2.500.000,50', 2_500_000.5], ['1000000', 1_000_000], ['R$ 750.000,00', 750_000], ['1500,5', 1500.5]] as const) {
      const r = buildBacktestRequest({ ...filled(), cash: typed }, MA);
      expect(r.ok && r.body.spec.cashBrl, typed).toBe(value);
    }
  });

  it('leaves blank parameters to the strategy and the default client BACKTEST', () => {
    const r = buildBacktestRequest(filled(), MA);
    expect(r.ok && r.body.spec.params).toEqual({});
    expect(r.ok && r.body.spec.clients).toEqual(['BACKTEST']);
    expect(r.ok && r.body.spec.cashBrl).toBe(1_000_000);
  });

  it('says what is wrong, on the field, before sending', () => {
    const r = buildBacktestRequest({ ...emptyBacktestForm(''), from: '2024-06-28', to: '2024-01-02', cash: '0', seed: '1,5', cdi: 'abc', warmup: '6000', clients: 'ALFA; bad/id', params: { fast: '0' } }, MA);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.strategy).toBe('Escolha uma estratégia.');
    expect(r.errors.symbols).toContain('pelo menos um ativo');
    expect(r.errors.to).toBe('A data final (02/01/2024) vem antes da inicial (28/06/2024).');
    expect(r.errors.cashBrl).toContain('maior que zero');
    expect(r.errors.seed).toContain('inteiro');
    expect(r.errors.riskFreeAnnual).toContain('não é um número');
    expect(r.errors.warmupBars).toBe('Use um inteiro entre 0 e 5.000.');
    expect(r.errors.clients).toContain('bad/id');
    expect(r.errors['params.fast']).toBe('mínimo 1');
  });

  it('reads parameters by their declared type, with the range as the hint', () => {
    expect(parseParam(MA.params[0]!, '1.000')).toEqual({ ok: false, error: 'máximo 500' });
    expect(parseParam(MA.params[0]!, '12')).toEqual({ ok: true, value: 12 });
    expect(parseParam(MA.params[0]!, '2,5').ok).toBe(false);
    expect(parseParam(MA.params[3]!, 'não')).toEqual({ ok: true, value: false });
    expect(parseParam(MA.params[4]!, 'media')).toEqual({ ok: false, error: 'use um de: close, vwap' });
    expect(parseParam(MA.params[0]!, '  ')).toEqual({ ok: true, value: undefined });
    expect(paramHintText(MA.params[1]!)).toBe('Entre 2 e 2.000. Padrão: 21.');
    expect(paramHintText(MA.params[2]!)).toBe('Entre 0 e 5. Padrão: 0,5.');
    expect(paramHintText(MA.params[3]!)).toBe('Padrão: não.');
  });

  it('symbols: upper case, any separator, no repeats', () => {
    expect(parseSymbols(' petr4,VALE3;petr4  winfut ')).toEqual(['PETR4', 'VALE3', 'WINFUT']);
  });
});

describe('the bridge\'s 422 lands on the field it names', () => {
  it('maps spec.* and indexed names onto the form, the rest is general', () => {
    expect(formKeyOf('spec.params.fast')).toBe('params.fast');
    expect(formKeyOf('spec.symbols[1]')).toBe('symbols');
    expect(formKeyOf('limits.symbols[0]')).toBe('limits.symbols');
    expect(formKeyOf('from')).toBe('from');
    const placed = placeApiErrors(
      [
        { field: 'spec.from', code: 'range', message: 'início 2024-06-28 depois do fim 2024-01-02' },
        { field: 'spec.symbols', code: 'no_data', message: 'sem dados de XPTO4 1d; guardados: PETR4 1d de 02/01/2024 a 28/06/2024' },
        { field: 'spec.params.fast', code: 'invalid_param', message: 'fast: máximo 500, recebi 900' },
        { field: 'spec.fill.barVolumePct', code: 'too_big', message: 'máximo 100' },
        { field: '', code: 'rate_limited', message: 'too many requests' },
      ],
      backtestFieldKeys(MA),
    );
    expect(placed.fields.from).toBe('início 28/06/2024 depois do fim 02/01/2024');
    expect(placed.fields.symbols).toContain('guardados: PETR4');
    expect(placed.fields['params.fast']).toContain('máximo 500');
    expect(placed.general).toEqual(['máximo 100', 'Muitas requisições em pouco tempo. Aguarde alguns segundos e tente de novo.']);
  });

  it('a sweep puts a parameter\'s error on its grid field', () => {
    const placed = placeApiErrors([{ field: 'spec.params.slow', code: 'invalid_param', message: 'slow: mínimo 2' }, { field: 'grid.fast[2]', code: 'x', message: 'fast: máximo 500' }], backtestFieldKeys(MA, true));
    expect(placed.fields['grid.slow']).toBe('slow: mínimo 2');
    expect(placed.fields['grid.fast']).toBe('fast: máximo 500');
    expect(placed.general).toEqual([]);
  });
});

describe('sweeps', () => {
  it('grid values: commas, or semicolons when a value has a decimal comma', () => {
    expect(parseGridValues(MA.params[0]!, '5, 10,20, 10')).toEqual({ ok: true, values: [5, 10, 20] });
    expect(parseGridValues(MA.params[2]!, '0,5; 1,5; 2')).toEqual({ ok: true, values: [0.5, 1.5, 2] });
    expect(parseGridValues(MA.params[2]!, '0.5, 1.5')).toEqual({ ok: true, values: [0.5, 1.5] });
    expect(parseGridValues(MA.params[0]!, '5, x')).toEqual({ ok: false, error: '"x": "x" não é um número' });
    expect(parseGridValues(MA.params[3]!, 'sim, não')).toEqual({ ok: true, values: [true, false] });
    expect(combinations({ fast: [5, 10], slow: [20, 40, 60] })).toBe(6);
  });

  it('builds a 2×2 sweep the bridge schema accepts', () => {
    const r = buildSweepRequest(filled(), MA, { fast: '5, 10', slow: '20; 40', mode: 'close' }, 'totalReturn');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.body.grid).toEqual({ fast: [5, 10], slow: [20, 40], mode: ['close'] });
    expect(r.body.rankBy).toBe('totalReturn');
    expect(r.body.spec.params).toEqual({});
    expect(sweepRequestSchema.safeParse(r.body).success).toBe(true);
  });

  it('refuses a sweep that sweeps nothing, or more than the bridge runs', () => {
    const r = buildSweepRequest(filled(), MA, { fast: '5' }, 'sharpe');
    expect(!r.ok && r.errors.grid).toContain('dois ou mais valores');
    const many = buildSweepRequest(filled(), MA, { fast: Array.from({ length: 40 }, (_, i) => i + 1).join(', '), slow: Array.from({ length: 30 }, (_, i) => i + 2).join(', ') }, 'sharpe');
    expect(!many.ok && many.errors.grid).toBe('1.200 combinações: no máximo 1.000 por varredura.');
  });
});

const run = (id: string, over: Partial<BacktestRunView> = {}): BacktestRunView =>
  ({
    id,
    strategy: 'ma-crossover',
    spec: { symbols: ['PETR4'], from: '2024-01-02', to: '2024-06-28', interval: '1d' },
    state: 'running',
    createdAt: `2026-12-02T10:00:0${id.slice(-1)}.000Z`,
    progress: 0.1,
    ...over,
  }) as BacktestRunView;

describe('the live list of runs', () => {
  it('a snapshot replaces, a delta upserts, newest first', () => {
    let list = mergeLive<BacktestRunView>([], [run('r1'), run('r2')]);
    expect(list.map((r) => r.id)).toEqual(['r2', 'r1']);
    list = mergeLive(list, run('r3', { state: 'queued', progress: 0 }));
    expect(list.map((r) => r.id)).toEqual(['r3', 'r2', 'r1']);
    list = mergeLive(list, [run('r1'), run('r3')]);
    expect(list.map((r) => r.id)).toEqual(['r3', 'r1']);
    list = mergeLive(list, { id: 'r3', deleted: true });
    expect(list.map((r) => r.id)).toEqual(['r1']);
  });

  it('never goes back: a late HTTP answer does not undo the end a delta told', () => {
    let list = mergeLive<BacktestRunView>([], [run('r1', { progress: 0.4 })]);
    list = mergeLive(list, run('r1', { state: 'done', progress: 1 }));
    list = mergeLive(list, run('r1', { state: 'running', progress: 0.5 }));
    expect(list[0]!.state).toBe('done');
    list = mergeLive(list, [run('r1', { state: 'running', progress: 0.2 })]);
    expect(list[0]!.state).toBe('done');
  });
});

const M: RunMetricsView = {
  totalReturn: 0.1234,
  annualReturn: null,
  volatility: 0.2,
  sharpe: 1.456,
  maxDrawdown: 0.0812,
  hitRate: null,
  turnover: 3.2,
  feesBrl: 1234.5,
  trades: 1200,
  sessions: 120,
  startEquityBrl: 1_000_000,
  endEquityBrl: 1_123_400,
};

describe('a run as a PM reads it', () => {
  it('metric cards in pt-BR, "—" where the figure does not exist', () => {
    const cells = Object.fromEntries(metricCells(M).map((c) => [c.key, nbsp(c.text)]));
    expect(cells).toMatchObject({
      totalReturn: '+12,34%',
      annualReturn: '—',
      volatility: '20,00%',
      sharpe: '1,46',
      maxDrawdown: '-8,12%',
      hitRate: '—',
      turnover: '3,20×',
      feesBrl: 'R$ 1.234,50',
      trades: '1.200',
      endEquity: 'R$ 1.123.400,00',
    });
    expect(metricCells(undefined).every((c) => c.text === '—')).toBe(true);
    expect(drawdownText(0)).toBe('0,00%');
  });

  it('progress with rows per second and the time left', () => {
    expect(progressText({ state: 'running', progress: 0.421, eventsPerSec: 123456.7, etaMs: 65_000 })).toBe('42% · 123.457 eventos/s · faltam 1 min 05 s');
    expect(progressText({ state: 'queued', progress: 0 })).toBe('na fila');
    expect(etaText(3_725_000)).toBe('faltam 1 h 02 min');
    expect(etaText(undefined)).toBe('');
  });

  it('the fault with its place', () => {
    expect(faultText({ hook: 'onBar', location: 'ma-crossover.ts:27', message: 'x is not a function' })).toBe('A estratégia falhou em onBar, ma-crossover.ts:27: x is not a function');
    expect(faultText({ hook: 'setup', message: 'a média curta (30) deve ser menor que a longa (21)' })).toBe('A estratégia falhou em setup: a média curta (30) deve ser menor que a longa (21)');
  });

  it('curves rebased to 100, a spec and params in one line', () => {
    expect(normalisedCurve([{ t: 'a', value: 2_000_000 }, { t: 'b', value: 2_100_000 }])).toEqual([{ t: 'a', value: 100 }, { t: 'b', value: 105 }]);
    expect(normalisedCurve([])).toEqual([]);
    expect(specSummary({ symbols: ['PETR4', 'VALE3'], interval: '1d', from: '2024-01-02', to: '2024-06-28' })).toBe('PETR4, VALE3 · Diário · 02/01/2024 a 28/06/2024');
    expect(paramsText({ fast: 5, band: 0.5, short: true }, new Map([['fast', 'Média curta']]))).toBe('Média curta 5 · band 0,5 · short sim');
  });

  it('chart points: São Paulo wall clock, ascending, one per second', () => {
    const pts = chartPoints(
      [
        { t: '2024-01-03T13:00:00.000Z', value: 2 },
        { t: '2024-01-02T13:00:00.000Z', value: 1 },
        { t: '2024-01-03T13:00:00.400Z', value: 3 },
        { t: '2024-01-04T13:00:00.000Z', value: Number.NaN },
      ],
      -100,
    );
    // 10:00 in São Paulo (UTC-3) drawn as 10:00
    expect(pts).toEqual([
      { time: Date.UTC(2024, 0, 2, 10) / 1000, value: -100 },
      { time: Date.UTC(2024, 0, 3, 10) / 1000, value: -300 },
    ]);
  });

  it('what is stored for the typed symbols, in São Paulo dates', () => {
    const cov = [
      { symbol: 'PETR4', interval: '1d', from: '2024-01-02T03:00:00.000Z', to: '2024-06-28T03:00:00.000Z' },
      { symbol: 'PETR4', interval: 'trades', from: '2024-06-03T13:00:00.000Z', to: '2024-06-28T20:00:00.000Z' },
    ];
    expect(storedText(cov, ['PETR4', 'VALE3'])).toBe('PETR4: 1d de 02/01/2024 a 28/06/2024, negócios de 03/06/2024 a 28/06/2024; VALE3: nada guardado');
  });

  it('a page of rows, bare or wrapped', () => {
    expect(pageRows([{ a: 1 }], 'fills')).toEqual({ rows: [{ a: 1 }] });
    expect(pageRows({ fills: [{ a: 1 }], total: 5 }, 'fills')).toEqual({ rows: [{ a: 1 }], total: 5 });
    expect(pageRows({ rows: [{ a: 2 }] }, 'orders')).toEqual({ rows: [{ a: 2 }], total: undefined });
    expect(pageRows(null, 'orders')).toEqual({ rows: [] });
  });

  it('no "-0,00%": a figure is rounded to what is shown before its sign', () => {
    const cells = Object.fromEntries(metricCells({ ...M, totalReturn: -0.0000021, maxDrawdown: 0.0000004, annualReturn: 0.00001 }).map((c) => [c.key, c]));
    expect(cells.totalReturn!.text).toBe('0,00%');
    expect(cells.totalReturn!.tone).toBeUndefined();
    expect(cells.maxDrawdown!.text).toBe('0,00%');
    expect(cells.annualReturn!.text).toBe('0,00%');
  });

  it('one point per B3 day for curves of different bar sizes', () => {
    expect(
      dailyLast([
        { t: '2024-01-02T13:00:00.000Z', value: 1 },
        { t: '2024-01-02T20:00:00.000Z', value: 2 },
        // 22:30 in São Paulo is still the 2nd
        { t: '2024-01-03T01:30:00.000Z', value: 3 },
        { t: '2024-01-03T13:00:00.000Z', value: 4 },
      ]),
    ).toEqual([
      { t: '2024-01-03T01:30:00.000Z', value: 3 },
      { t: '2024-01-03T13:00:00.000Z', value: 4 },
    ]);
  });
});
