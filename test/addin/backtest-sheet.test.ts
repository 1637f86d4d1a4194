/**
 * "Enviar para planilha" of a backtest: metrics, equity curve and trades as three Excel tables on the
 * run's own sheet, with numbers as numbers, Excel dates in B3 time, and blanks (never zeros) for
 * figures that do not exist; sending again rewrites the same tables.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BacktestFillView, BacktestResultView, BacktestRunView } from '../../common/backtest.js';
import { backtestSheetName, backtestTableName, writeBacktestSheet } from '../../addin/src/sheets/backtest-sheet.js';
import { OfficeWorkbook } from '../../addin/src/sheets/office-workbook.js';
import { createFakeExcel, type FakeExcel } from './support/fake-excel.js';

let fx: FakeExcel;
beforeEach(() => {
  fx = createFakeExcel();
  (globalThis as Record<string, unknown>).Excel = fx.Excel;
});
afterEach(() => {
  delete (globalThis as Record<string, unknown>).Excel;
});

const run: BacktestRunView = {
  id: 'bt-7f3a9c',
  label: 'MA 5/20',
  strategy: 'ma-crossover',
  spec: {
    symbols: ['PETR4'],
    from: '2024-01-02',
    to: '2024-06-28',
    interval: '1d',
    source: 'auto',
    clients: ['BACKTEST'],
    cashBrl: 1_000_000,
    seed: 1,
    params: { fast: 5 },
    fill: {},
    riskFreeAnnual: 0.1065,
    warmupBars: 0,
  },
  state: 'done',
  createdAt: '2026-12-02T10:00:00.000Z',
  progress: 1,
};

const result: Pick<BacktestResultView, 'metrics' | 'equity' | 'drawdown'> = {
  metrics: {
    totalReturn: 0.05,
    annualReturn: 0.1,
    volatility: 0.2,
    sharpe: null,
    maxDrawdown: 0.08,
    hitRate: null,
    turnover: 2.5,
    feesBrl: 321.45,
    trades: 12,
    sessions: 120,
    startEquityBrl: 1_000_000,
    endEquityBrl: 1_050_000,
  },
  equity: [
    { t: '2024-01-02T20:00:00.000Z', value: 1_000_000 },
    { t: '2024-01-03T20:00:00.000Z', value: 990_000 },
  ],
  drawdown: [
    { t: '2024-01-02T20:00:00.000Z', value: 0 },
    { t: '2024-01-03T20:00:00.000Z', value: 0.01 },
  ],
};

const fills: BacktestFillView[] = [
  { orderId: 'BT-1', symbol: 'PETR4', side: 'buy', qty: 100, price: 36.5, t: '2024-01-03T13:05:09.000Z', feesBrl: 1.23 },
  { orderId: 'BT-2', symbol: 'PETR4', side: 'sell', qty: 100, price: 37.1, t: '2024-01-10T17:59:00.000Z', feesBrl: 1.25 },
];

describe('a backtest to a sheet', () => {
  it('writes metrics, the curve and the trades as three tables side by side', async () => {
    const wb = new OfficeWorkbook();
    const sheet = await writeBacktestSheet(wb, run, result, fills, 'Cruzamento de médias');
    expect(sheet).toBe('BB Backtest bt-7f3a9c');
    expect(fx.table(backtestTableName(run.id, 'Metricas'))!.address).toBe(`'${sheet}'!A1:B25`);
    expect(fx.table(backtestTableName(run.id, 'Curva'))!.address).toBe(`'${sheet}'!D1:F3`);
    expect(fx.table(backtestTableName(run.id, 'Negocios'))!.address).toBe(`'${sheet}'!H1:N3`);

    const m = Object.fromEntries(fx.values(sheet, 'A2:B25').map(([k, v]) => [k, v]));
    expect(m['Estratégia']).toBe('Cruzamento de médias (ma-crossover)');
    expect(m['Retorno total']).toBe(0.05);
    expect(m['Drawdown máximo']).toBe(-0.08);
    expect(m['Sharpe']).toBe(''); // not a zero: there is no Sharpe for this run
    expect(m['Taxa de acerto']).toBe('');
    expect(m['De']).toBe(45293); // 02/01/2024
    expect(m['CDI ao ano (para o Sharpe)']).toBe(0.1065);

    const curve = fx.values(sheet, 'D2:F3');
    expect(curve[1]![0]).toBeCloseTo(45294 + 17 / 24, 9); // 03/01/2024 17:00 in São Paulo
    expect(curve[1]!.slice(1)).toEqual([990_000, -0.01]);

    const trades = fx.values(sheet, 'H2:N3');
    expect(trades[0]![0]).toBeCloseTo(45294 + (10 * 3600 + 5 * 60 + 9) / 86400, 9);
    expect(trades[0]!.slice(1)).toEqual(['PETR4', 'Compra', 100, 36.5, 1.23, 'BT-1']);
    expect(trades[1]![2]).toBe('Venda');

    // Sending again (fewer trades) rewrites the same tables.
    await writeBacktestSheet(wb, run, result, fills.slice(0, 1));
    expect(fx.table(backtestTableName(run.id, 'Negocios'))!.rect.rowCount).toBe(2);
    expect(fx.sheetNames().filter((n) => n === sheet)).toHaveLength(1);
  });

  it('percent rows are formatted as percents, dates as dates, blanks stay blank', async () => {
    const wb = new OfficeWorkbook();
    const sheet = await writeBacktestSheet(wb, run, result, fills);
    const labels = fx.values(sheet, 'A2:A25').map((r) => r[0]);
    const format = (row: number, col: number) => fx.sheet(sheet)!.formats.get(`${row},${col}`);
    const valueFormat = (label: string) => format(1 + labels.indexOf(label), 1);
    expect(valueFormat('Retorno total')).toBe('0.00%');
    expect(valueFormat('Drawdown máximo')).toBe('0.00%');
    expect(valueFormat('De')).toBe('dd/mm/yyyy');
    expect(valueFormat('Sharpe')).toBe('#,##0.00');
    expect(valueFormat('Negócios')).toBe('#,##0');
    expect(format(1, 3)).toBe('dd/mm/yyyy hh:mm'); // the curve's dates
    expect(format(1, 5)).toBe('0.00%'); // its drawdown
    expect(format(1, 7)).toBe('dd/mm/yyyy hh:mm:ss'); // the trades' dates
  });

  it('names fit Excel\'s rules', () => {
    expect(backtestSheetName('bt:1/2*3?[x]-0123456789abcdef').length).toBeLessThanOrEqual(31);
    expect(backtestSheetName('bt:1/2*3?[x]')).not.toMatch(/[:\\/?*[\]]/);
    expect(backtestSheetName('bt-5c3c00f40029')).toBe('BB Backtest bt-5c3c00f40029');
    expect(backtestTableName('bt-1.2', 'Curva')).toBe('BBBT_bt_1_2_Curva');
  });
});
