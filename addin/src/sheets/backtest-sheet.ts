/**
 * A backtest to a sheet: one sheet per run ("BB Backtest <id>") with three Excel tables side by side
 * (they only grow downwards, so they never run into each other): the metrics (A), the equity curve
 * with its drawdown (D) and the trades (H). Numbers are numbers, dates are Excel dates in B3 time,
 * and a figure that does not exist is an empty cell, never a zero.
 */
import type { BacktestFillView, BacktestResultView, BacktestRunView } from '../../../common/backtest.js';
import { INTERVAL_LABELS, SOURCE_OPTIONS } from '../core/backtests.js';
import { excelSerial, sideLabel } from '../core/format.js';
import type { CellValue, WorkbookPort } from './workbook-port.js';

/** Sheet names: at most 31 characters, none of : \ / ? * [ ]. */
export function backtestSheetName(runId: string): string {
  const id = runId.replace(/[:\\/?*[\]]/g, '');
  // "BB Backtest " leaves 19 characters: a longer id keeps its end (where ids differ).
  return `BB Backtest ${id.length > 19 ? id.slice(-19) : id}`;
}

/** Table names: letters, digits and underscores, unique in the workbook. */
export function backtestTableName(runId: string, part: 'Metricas' | 'Curva' | 'Negocios'): string {
  return `BBBT_${runId}_${part}`.replace(/[^A-Za-z0-9_]/g, '_');
}

type Fmt = 'text' | 'date' | 'pct' | 'num2' | 'money' | 'int';

const FORMATS: Record<Exclude<Fmt, 'text'>, string> = {
  date: 'dd/mm/yyyy',
  pct: '0.00%',
  num2: '#,##0.00',
  money: '#,##0.00',
  int: '#,##0',
};

export const METRICS_HEADER = ['Métrica', 'Valor'];
export const CURVE_HEADER = ['Data', 'Patrimônio (R$)', 'Drawdown'];
export const CURVE_FORMATS = ['dd/mm/yyyy hh:mm', '#,##0.00', '0.00%'];
export const FILLS_HEADER = ['Data', 'Ativo', 'Lado', 'Quantidade', 'Preço', 'Custos (R$)', 'Ordem'];
export const FILLS_FORMATS = ['dd/mm/yyyy hh:mm:ss', '@', '@', '#,##0', '#,##0.00', '#,##0.00', '@'];

const blank = (v: number | null | undefined): CellValue => (typeof v === 'number' && Number.isFinite(v) ? v : '');

/** The metrics table's rows, each with the number format of its value. */
export function metricsRows(run: BacktestRunView, result: Pick<BacktestResultView, 'metrics'> | undefined, strategyName?: string): Array<{ row: [string, CellValue]; fmt: Fmt }> {
  const m = result?.metrics ?? run.metrics;
  const s = run.spec;
  const rows: Array<{ row: [string, CellValue]; fmt: Fmt }> = [
    { row: ['Execução', run.id], fmt: 'text' },
    { row: ['Estratégia', strategyName ? `${strategyName} (${run.strategy})` : run.strategy], fmt: 'text' },
    { row: ['Rótulo', run.label ?? ''], fmt: 'text' },
    { row: ['Ativos', s.symbols.join(', ')], fmt: 'text' },
    { row: ['Intervalo', INTERVAL_LABELS[s.interval] ?? s.interval], fmt: 'text' },
    { row: ['Fonte', SOURCE_OPTIONS.find((o) => o.value === s.source)?.label ?? s.source ?? ''], fmt: 'text' },
    { row: ['Clientes', (s.clients ?? []).join(', ')], fmt: 'text' },
    { row: ['Semente', blank(s.seed)], fmt: 'int' },
    { row: ['De', blank(excelSerial(s.from))], fmt: 'date' },
    { row: ['Até', blank(excelSerial(s.to))], fmt: 'date' },
    { row: ['Retorno total', blank(m?.totalReturn)], fmt: 'pct' },
    { row: ['Retorno anualizado', blank(m?.annualReturn)], fmt: 'pct' },
    { row: ['Volatilidade anualizada', blank(m?.volatility)], fmt: 'pct' },
    { row: ['Drawdown máximo', m ? -m.maxDrawdown : ''], fmt: 'pct' },
    { row: ['Taxa de acerto', blank(m?.hitRate)], fmt: 'pct' },
    { row: ['CDI ao ano (para o Sharpe)', blank(s.riskFreeAnnual)], fmt: 'pct' },
    { row: ['Sharpe', blank(m?.sharpe)], fmt: 'num2' },
    { row: ['Giro', blank(m?.turnover)], fmt: 'num2' },
    { row: ['Caixa inicial por cliente (R$)', blank(s.cashBrl)], fmt: 'money' },
    { row: ['Patrimônio inicial (R$)', blank(m?.startEquityBrl)], fmt: 'money' },
    { row: ['Patrimônio final (R$)', blank(m?.endEquityBrl)], fmt: 'money' },
    { row: ['Custos (R$)', blank(m?.feesBrl)], fmt: 'money' },
    { row: ['Negócios', blank(m?.trades)], fmt: 'int' },
    { row: ['Pregões', blank(m?.sessions)], fmt: 'int' },
  ];
  return rows;
}

/** Equity and drawdown (drawn under water: -8% is 8% below the peak) by date. */
export function curveRows(result: Pick<BacktestResultView, 'equity' | 'drawdown'>): CellValue[][] {
  const dd = new Map(result.drawdown.map((p) => [p.t, p.value]));
  return result.equity.map((p) => {
    const d = dd.get(p.t);
    return [blank(excelSerial(p.t)), p.value, typeof d === 'number' ? -d : ''];
  });
}

export function fillRows(fills: readonly BacktestFillView[]): CellValue[][] {
  return fills.map((f) => [blank(excelSerial(f.t)), f.symbol, sideLabel(f.side), f.qty, f.price, f.feesBrl, f.orderId]);
}

/**
 * Writes (or rewrites) the run's sheet; returns its name. `fills` are all of the run's trades (the
 * caller pages them from the bridge).
 */
export async function writeBacktestSheet(
  port: WorkbookPort,
  run: BacktestRunView,
  result: Pick<BacktestResultView, 'metrics' | 'equity' | 'drawdown'>,
  fills: readonly BacktestFillView[],
  strategyName?: string,
): Promise<string> {
  const sheet = backtestSheetName(run.id);
  const metrics = metricsRows(run, result, strategyName);
  const mt = backtestTableName(run.id, 'Metricas');
  await port.ensureTable({ sheet, table: mt, header: METRICS_HEADER, initialRows: metrics.length, activate: true });
  await port.setTableBody(mt, metrics.length, [{ start: 0, values: metrics.map((r) => r.row) }]);
  // One format per run of rows with the same format (the value column only).
  for (let i = 0; i < metrics.length; ) {
    let j = i;
    while (j < metrics.length && metrics[j]!.fmt === metrics[i]!.fmt) j++;
    const fmt = metrics[i]!.fmt;
    if (fmt !== 'text') await port.setNumberFormat(sheet, { top: 1 + i, left: 1, rowCount: j - i, colCount: 1 }, FORMATS[fmt]);
    i = j;
  }
  const ct = backtestTableName(run.id, 'Curva');
  const curve = curveRows(result);
  await port.ensureTable({ sheet, table: ct, header: CURVE_HEADER, top: 0, left: 3 });
  await port.setTableBody(ct, curve.length, [{ start: 0, values: curve }], CURVE_FORMATS);
  const ft = backtestTableName(run.id, 'Negocios');
  await port.ensureTable({ sheet, table: ft, header: FILLS_HEADER, top: 0, left: 7 });
  await port.setTableBody(ft, fills.length, [{ start: 0, values: fillRows(fills) }], FILLS_FORMATS);
  return sheet;
}
