/**
 * "Nova planilha de boletas": a sheet with a table whose columns come from GET /api/algos (core
 * columns, one column per algo parameter, then the result columns), dropdown lists for Cliente,
 * Ativo, Lado, Tipo and yes/no parameters, and a stable batch id for the idempotency keys.
 */
import type { ClientView, InstrumentView } from '../../../common/types.js';
import { distinctParams, percentIsFraction, type AlgoDescriptor, type AlgoParamDescriptor } from '../core/algos.js';
import { quoteSheet } from './a1.js';
import { BATCH_ID_PROPERTY } from './bulk.js';
import { COLUMN_LABELS, newBatchId } from './boleta-rows.js';
import type { CellValue, WorkbookPort } from './workbook-port.js';

export const LISTS_SHEET = 'BB Listas';
/** Empty rows the new table starts with. */
export const TEMPLATE_ROWS = 50;
/** Rows below the header that get validation and formats (the table grows into them). */
export const FORMATTED_ROWS = 1_000;

export function templateHeader(algos: readonly AlgoDescriptor[]): string[] {
  const core = [COLUMN_LABELS.client, COLUMN_LABELS.symbol, COLUMN_LABELS.side, COLUMN_LABELS.qty, COLUMN_LABELS.algo, COLUMN_LABELS.limitPrice];
  const params = distinctParams(algos).map((p) => p.label);
  // Two algos with different parameters that share a label would make ambiguous columns: fall back to the name.
  const seen = new Set(core.map((c) => c.toLowerCase()));
  const paramCols = params.map((label, i) => {
    const name = distinctParams(algos)[i]!.name;
    const text = seen.has(label.toLowerCase()) ? `${label} (${name})` : label;
    seen.add(text.toLowerCase());
    return text;
  });
  return [...core, ...paramCols, COLUMN_LABELS.orderId, COLUMN_LABELS.status, COLUMN_LABELS.message];
}

const MAX_INLINE_LIST_CHARS = 255;

/** The dropdown a parameter's cells get: yes/no, or an enum's labels (what the row parser accepts). */
export function paramList(p: AlgoParamDescriptor): string[] | undefined {
  if (p.kind === 'boolean') return ['Sim', 'Não'];
  if (p.kind !== 'enum' || !p.options?.length) return undefined;
  const labels = p.options.map((o) => o.label);
  // Excel refuses an inline list longer than 255 characters; the cell then takes typed text, which the parser checks.
  return labels.join(',').length <= MAX_INLINE_LIST_CHARS ? labels : undefined;
}

/**
 * The number format of a parameter's cells. Times stay text ("10:30" typed is not turned into a
 * serial); a percent the bridge takes as a fraction gets Excel's % format, so "10%" typed is 0,1.
 */
export function paramNumberFormat(p: AlgoParamDescriptor): string | undefined {
  switch (p.kind) {
    case 'integer':
      return '#,##0';
    case 'time':
      return '@';
    case 'percent':
      return percentIsFraction(p) ? '0.0%' : undefined;
    default:
      return undefined;
  }
}

async function freeName(base: string, exists: (n: string) => Promise<boolean>): Promise<string> {
  if (!(await exists(base))) return base;
  for (let i = 2; i < 1000; i++) {
    const n = `${base} ${i}`;
    if (!(await exists(n))) return n;
  }
  throw new Error('Nomes de planilha esgotados.');
}

export interface TemplateResult {
  sheet: string;
  table: string;
  header: string[];
}

export async function createBoletaTemplate(
  port: WorkbookPort,
  ref: { algos: AlgoDescriptor[]; instruments?: InstrumentView[]; clients?: ClientView[] },
): Promise<TemplateResult> {
  const header = templateHeader(ref.algos);
  const sheet = await freeName('Boletas', (n) => port.sheetExists(n));
  const table = (await freeName('BBBoletas', (n) => port.tableExists(n.replace(' ', '')))).replace(' ', '');

  // Lists for the dropdowns, on a hidden sheet (list strings are limited to 255 characters).
  const clients = (ref.clients ?? []).map((c) => c.id);
  const symbols = (ref.instruments ?? []).map((i) => i.symbol);
  const algoLabels = ref.algos.map((a) => a.label);
  const lists: string[][] = [clients, symbols, algoLabels];
  const listRows = Math.max(1, ...lists.map((l) => l.length));
  const listValues: CellValue[][] = Array.from({ length: listRows }, (_, r) => lists.map((l) => l[r] ?? ''));
  await port.ensureTable({ sheet: LISTS_SHEET, table: 'BBListas', header: ['Clientes', 'Ativos', 'Tipos'], initialRows: 1 });
  await port.setTableBody('BBListas', listRows, [{ start: 0, values: listValues }]);
  await port.setSheetHidden(LISTS_SHEET, true);

  await port.ensureTable({ sheet, table, header, initialRows: TEMPLATE_ROWS, activate: true });
  await port.setSheetProperty(sheet, BATCH_ID_PROPERTY, newBatchId());

  const col = (label: string) => header.indexOf(label);
  const body = (c: number) => ({ top: 1, left: c, rowCount: FORMATTED_ROWS, colCount: 1 });
  const listRange = (listCol: number, n: number) => ({
    formula: `=${quoteSheet(LISTS_SHEET)}!$${String.fromCharCode(65 + listCol)}$2:$${String.fromCharCode(65 + listCol)}$${n + 1}`,
  });
  if (clients.length) await port.setListValidation(sheet, body(col(COLUMN_LABELS.client)), listRange(0, clients.length));
  if (symbols.length) await port.setListValidation(sheet, body(col(COLUMN_LABELS.symbol)), listRange(1, symbols.length));
  await port.setListValidation(sheet, body(col(COLUMN_LABELS.side)), ['Compra', 'Venda']);
  if (algoLabels.length) await port.setListValidation(sheet, body(col(COLUMN_LABELS.algo)), listRange(2, algoLabels.length));
  const params = distinctParams(ref.algos);
  const paramStart = 6;
  for (const [i, p] of params.entries()) {
    const c = paramStart + i;
    const list = paramList(p);
    if (list) await port.setListValidation(sheet, body(c), list);
    const format = paramNumberFormat(p);
    if (format) await port.setNumberFormat(sheet, body(c), format);
  }
  await port.setNumberFormat(sheet, body(col(COLUMN_LABELS.qty)), '#,##0');
  await port.setNumberFormat(sheet, body(col(COLUMN_LABELS.limitPrice)), '#,##0.00');
  return { sheet, table, header };
}
