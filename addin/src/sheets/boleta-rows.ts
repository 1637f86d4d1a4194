/**
 * Boletas written as sheet rows → BoletaRequest, as pure functions. Every problem is reported per
 * row, naming the column the user has to fix; valid rows never depend on invalid ones.
 *
 * A row goes out exactly as the sheet says, or not at all:
 * - headers are matched after removing accents, case, punctuation and units in parentheses
 *   ("Preço limite (R$)" is the price); a column nobody can map is an error naming it, unless it is
 *   clearly a comment column (Obs, Comentário, Notas…), which is shown as ignored;
 * - a market order needs the word MERCADO (in the price or the type column): an empty price cell,
 *   or a formula returning "", is an error, never a market order;
 * - numbers typed as text are read in the convention of their column, decided from all its cells
 *   (pt-BR "1.234,56" or en-US "1,234.56"); a column that mixes them, or that cannot tell
 *   "155.000" = 155 from 155.000, is an error naming the cells;
 * - a price must be on the instrument's tick by common/ticks.ts, the rule the bridge applies;
 * - identical rows (same client, symbol, side, quantity, price) are marked as possible duplicates.
 *
 * Also: Lado as C/V, compra/venda, buy/sell, blank rows anywhere (skipped), and blocks for many
 * clients in the Cliente cell ("CLI1:300; CLI2:200" by quantity or "CLI1:60%; CLI2:40%" by weight).
 */
import type { ApiErrorItem, BoletaRequest, ClientView, InstrumentView } from '../../../common/types.js';
import { boletaSchema } from '../../../common/schemas.js';
import { distinctParams, findAlgo, findOption, percentIsFraction, rangeText, type AlgoDescriptor, type AlgoParamDescriptor } from '../core/algos.js';
import { fmtNumber, fmtPrice, fold } from '../core/format.js';
import { tickHundredthsOf, ticksOnGrid } from '../../../common/ticks.js';
import { columnLetters, type Rect } from './a1.js';

export type CellValue = string | number | boolean | null | undefined;

export const COLUMN_LABELS = {
  client: 'Cliente',
  symbol: 'Ativo',
  side: 'Lado',
  qty: 'Quantidade',
  algo: 'Tipo',
  limitPrice: 'Preço limite',
  orderId: 'ID da ordem',
  status: 'Status',
  message: 'Mensagem',
} as const;

export type CoreField = 'client' | 'symbol' | 'side' | 'qty' | 'algo' | 'limitPrice';
export type ResultField = 'orderId' | 'status' | 'message';

const CORE_ALIASES: Record<CoreField | ResultField, string[]> = {
  client: ['cliente', 'client', 'conta', 'clientes'],
  symbol: ['ativo', 'symbol', 'ticker', 'papel', 'codigo', 'simbolo'],
  side: ['lado', 'side', 'cv', 'operacao', 'natureza', 'compravenda'],
  qty: ['quantidade', 'qtd', 'qtde', 'qty', 'quantity'],
  algo: ['tipo', 'algo', 'algoritmo', 'tipodeordem', 'estrategia', 'type'],
  limitPrice: ['precolimite', 'preco', 'limite', 'limitprice', 'price', 'precolim'],
  orderId: ['iddaordem', 'idordem', 'ordem', 'orderid', 'id'],
  status: ['status', 'situacao'],
  message: ['mensagem', 'erro', 'erros', 'message', 'mensagens'],
};

function key(text: unknown): string {
  return fold(String(text ?? '')).replace(/[^a-z0-9]/g, '');
}

/** The header without units or notes in parentheses/brackets: "Preço limite (R$)" → "precolimite". */
function bareKey(text: unknown): string {
  return key(fold(String(text ?? '')).replace(/\([^)]*\)|\[[^\]]*\]/g, ' '));
}

/** Headers of columns people keep beside boletas for their own notes (prefixes of the bare key). */
const COMMENT_PREFIXES = ['obs', 'coment', 'nota', 'anotac', 'note', 'comment', 'memo', 'lembrete', 'descricao'];

function isCommentHeader(text: unknown): boolean {
  const b = bareKey(text);
  return b !== '' && COMMENT_PREFIXES.some((p) => b.startsWith(p));
}

/** The word that makes a row a market order, in the price or the type column. */
export const MARKET_WORD = 'MERCADO';

function isMarketWord(v: CellValue): boolean {
  if (typeof v !== 'string') return false;
  const k = key(v);
  return k === 'mercado' || k === 'amercado';
}

export interface ColumnMap {
  /** Column offset (within the read rectangle) of each core field, when present. */
  core: Partial<Record<CoreField, number>>;
  result: Partial<Record<ResultField, number>>;
  /** Column offset per algo parameter name. */
  params: Map<string, number>;
  /** Header text per column offset (for messages). */
  names: string[];
  /** Columns that carry input (everything but result columns). */
  inputColumns: number[];
  /** Comment columns (Obs, Notas…): read by nobody, shown as ignored. */
  ignored: number[];
  /** Header problems that make the whole selection unreadable (a column nobody can map, a repeated field). */
  problems: string[];
}

export interface ParseContext {
  algos: readonly AlgoDescriptor[];
  /** When known, symbols are checked locally (tick, lot); otherwise the bridge decides. */
  instruments?: readonly InstrumentView[];
  clients?: readonly ClientView[];
  /**
   * Only for the one-ticket form, whose price field says "Vazio = a mercado": a blank price is a
   * market order there. Never for sheet rows, where a blank cell may be a formula that returned "".
   */
  blankPriceIsMarket?: boolean;
}

/**
 * Maps header cells to fields: first on the whole header text, then without units in parentheses
 * ("Intervalo (s)" and "Intervalo mín. (ms)" stay apart; "Preço limite (R$)" is the price). A column
 * nobody can map, or a second column for the same field, is a problem: its values would otherwise
 * be silently left out of the order.
 */
export function mapColumns(header: readonly CellValue[], algos: readonly AlgoDescriptor[]): ColumnMap {
  const core: ColumnMap['core'] = {};
  const result: ColumnMap['result'] = {};
  const params = new Map<string, number>();
  const ignored: number[] = [];
  const problems: string[] = [];
  const all = distinctParams(algos);
  const names = header.map((h) => String(h ?? '').trim());
  const fieldOf = (k: string, keyOf: (t: unknown) => string): { field?: CoreField | ResultField; param?: string } | undefined => {
    for (const [field, aliases] of Object.entries(CORE_ALIASES) as Array<[CoreField | ResultField, string[]]>) {
      if (aliases.includes(k)) return { field };
    }
    // "Label (name)" is how the template writes a parameter whose label repeats another column's.
    const p = all.find((q) => keyOf(q.name) === k || keyOf(q.label) === k || key(`${q.label}${q.name}`) === k);
    return p ? { param: p.name } : undefined;
  };
  const takenBy = new Map<string, number>();
  header.forEach((h, i) => {
    const k = key(h);
    if (!k) return;
    const hit = fieldOf(k, key) ?? (bareKey(h) ? fieldOf(bareKey(h), bareKey) : undefined);
    if (!hit) {
      if (isCommentHeader(h)) ignored.push(i);
      else {
        problems.push(
          `Coluna "${names[i]}" não reconhecida: renomeie-a para um campo de boleta (${Object.values(COLUMN_LABELS).slice(0, 6).join(', ')} ou um parâmetro do tipo) ou para Obs, se for anotação.`,
        );
      }
      return;
    }
    const id = hit.field ?? `param:${hit.param}`;
    if (takenBy.has(id)) {
      problems.push(`As colunas "${names[takenBy.get(id)!]}" e "${names[i]}" dizem a mesma coisa: deixe só uma.`);
      return;
    }
    takenBy.set(id, i);
    if (hit.param) params.set(hit.param, i);
    else if (hit.field === 'orderId' || hit.field === 'status' || hit.field === 'message') result[hit.field] = i;
    else core[hit.field as CoreField] = i;
  });
  const resultCols = new Set(Object.values(result));
  const ignoredCols = new Set(ignored);
  const inputColumns = names.map((_, i) => i).filter((i) => !resultCols.has(i) && !ignoredCols.has(i));
  return { core, result, params, names, inputColumns, ignored, problems };
}

/** A row looks like a boleta header when it names at least Ativo and Quantidade (or three core fields). */
export function looksLikeHeader(row: readonly CellValue[], algos: readonly AlgoDescriptor[]): boolean {
  const m = mapColumns(row, algos);
  const n = Object.keys(m.core).length;
  return (m.core.symbol !== undefined && m.core.qty !== undefined) || n >= 3;
}

// ---------------------------------------------------------------------------------- numbers

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function isBlank(v: CellValue): boolean {
  return v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
}

/**
 * Parses a number typed in either convention. With `integer`, a single "." or "," followed by
 * exactly three digits is a thousands separator ("1.000" = mil); otherwise the single separator is
 * the decimal one ("36,50" and "36.50").
 */
export function parseNumber(raw: CellValue, opts: { integer?: boolean } = {}): Parsed<number> {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return { ok: false, error: 'não é um número' };
    return { ok: true, value: raw };
  }
  if (typeof raw === 'boolean') return { ok: false, error: `"${raw ? 'VERDADEIRO' : 'FALSO'}" não é um número` };
  const original = String(raw ?? '');
  let s = original.replace(/[\s\u00a0\u202f]/g, '').replace(/^R\$/i, '').replace(/^\+/, '');
  let negative = false;
  if (s.startsWith('-')) {
    negative = true;
    s = s.slice(1).replace(/^R\$/i, '');
  }
  if (!/^[0-9.,]+$/.test(s) || !/[0-9]/.test(s)) return { ok: false, error: `"${original.trim()}" não é um número` };
  const dots = (s.match(/\./g) ?? []).length;
  const commas = (s.match(/,/g) ?? []).length;
  let intPart = s;
  let frac = '';
  let thousands: string | undefined;
  if (dots && commas) {
    const decimalSep = s.lastIndexOf('.') > s.lastIndexOf(',') ? '.' : ',';
    thousands = decimalSep === '.' ? ',' : '.';
    if ((decimalSep === '.' ? dots : commas) !== 1) return { ok: false, error: `"${original.trim()}" tem separadores decimais demais` };
    const at = s.lastIndexOf(decimalSep);
    intPart = s.slice(0, at);
    frac = s.slice(at + 1);
  } else if (dots + commas === 1) {
    const sep = dots ? '.' : ',';
    const at = s.indexOf(sep);
    const after = s.slice(at + 1);
    if (opts.integer && after.length === 3 && at > 0) {
      thousands = sep;
    } else {
      intPart = s.slice(0, at);
      frac = after;
    }
  } else if (dots + commas > 1) {
    if (dots && commas) return { ok: false, error: `"${original.trim()}" não é um número` };
    thousands = dots ? '.' : ',';
  }
  if (thousands) {
    const groups = intPart.split(thousands);
    const okGroups = groups.length > 1 && /^\d{1,3}$/.test(groups[0]!) && groups.slice(1).every((g) => /^\d{3}$/.test(g));
    if (!okGroups) return { ok: false, error: `"${original.trim()}" tem separador de milhar fora do lugar` };
    intPart = groups.join('');
  }
  if (!/^\d*$/.test(intPart) || !/^\d*$/.test(frac) || (intPart === '' && frac === '')) {
    return { ok: false, error: `"${original.trim()}" não é um número` };
  }
  const value = Number(`${intPart || '0'}.${frac || '0'}`) * (negative ? -1 : 1);
  if (!Number.isFinite(value)) return { ok: false, error: `"${original.trim()}" não é um número` };
  return { ok: true, value };
}

/** Number conventions a text cell can be written in: pt-BR "1.234,56" or en-US "1,234.56". */
export type NumberConvention = 'pt' | 'en';

const THOUSANDS_ONLY = /^\d{1,3}(?:(?:\.\d{3})+|(?:,\d{3})+)$/;

/**
 * Reads a text number in one convention, strictly (thousands groups of three, one decimal
 * separator after them). In `integer` columns "1.000" and "1,000" are a thousand in both
 * conventions: nobody writes one share with three decimals.
 */
export function parseNumberAs(raw: string, convention: NumberConvention, opts: { integer?: boolean } = {}): number | undefined {
  let s = raw.replace(/[\s\u00a0\u202f]/g, '').replace(/^R\$/i, '').replace(/^\+/, '');
  let sign = 1;
  if (s.startsWith('-')) {
    sign = -1;
    s = s.slice(1).replace(/^R\$/i, '');
  }
  if (opts.integer && THOUSANDS_ONLY.test(s)) return sign * Number(s.replace(/[.,]/g, ''));
  const dec = convention === 'pt' ? ',' : '.';
  const thou = convention === 'pt' ? '.' : ',';
  const parts = s.split(dec);
  if (parts.length > 2) return undefined;
  const [intRaw, frac = ''] = parts as [string, string?];
  if (parts.length === 2 && !/^\d+$/.test(frac)) return undefined;
  let int = intRaw;
  if (int.includes(thou)) {
    const groups = int.split(thou);
    if (!/^\d{1,3}$/.test(groups[0]!) || !groups.slice(1).every((g) => /^\d{3}$/.test(g))) return undefined;
    int = groups.join('');
  }
  if (!/^\d*$/.test(int) || (int === '' && frac === '')) return undefined;
  const v = sign * Number(`${int || '0'}.${frac || '0'}`);
  return Number.isFinite(v) ? v : undefined;
}

/** What a text number means in each convention (absent = not a number in that convention). */
export function numberReadings(raw: string, opts: { integer?: boolean } = {}): Partial<Record<NumberConvention, number>> {
  const out: Partial<Record<NumberConvention, number>> = {};
  for (const c of ['pt', 'en'] as const) {
    const v = parseNumberAs(raw, c, opts);
    if (v !== undefined) out[c] = v;
  }
  return out;
}

export function parseInteger(raw: CellValue): Parsed<number> {
  const r = parseNumber(raw, { integer: true });
  if (!r.ok) return r;
  if (!Number.isInteger(r.value)) return { ok: false, error: `${fmtNumber(r.value, 2)} não é um número inteiro` };
  return r;
}

export function parseSide(raw: CellValue): Parsed<'buy' | 'sell'> {
  const k = key(raw);
  if (['c', 'compra', 'comprar', 'buy', 'b', 'compracompra'].includes(k)) return { ok: true, value: 'buy' };
  if (['v', 'venda', 'vender', 'sell', 's'].includes(k)) return { ok: true, value: 'sell' };
  return { ok: false, error: `"${String(raw ?? '').trim()}" não é um lado válido (use C/V, Compra/Venda ou Buy/Sell)` };
}

export function parseBoolean(raw: CellValue): Parsed<boolean> {
  if (typeof raw === 'boolean') return { ok: true, value: raw };
  if (typeof raw === 'number') return raw === 1 || raw === 0 ? { ok: true, value: raw === 1 } : { ok: false, error: `${raw} não é sim/não` };
  const k = key(raw);
  if (['sim', 's', 'true', 'verdadeiro', 'yes', 'y', 'x', '1'].includes(k)) return { ok: true, value: true };
  if (['nao', 'n', 'false', 'falso', 'no', '0'].includes(k)) return { ok: true, value: false };
  return { ok: false, error: `"${String(raw ?? '').trim()}" não é sim/não` };
}

/** "10:30", "10:30:15", or an Excel time serial (0.4375) → "HH:MM" / "HH:MM:SS". */
export function parseTime(raw: CellValue): Parsed<string> {
  const pad = (n: number) => String(n).padStart(2, '0');
  if (typeof raw === 'number') {
    if (!(raw >= 0) || !Number.isFinite(raw)) return { ok: false, error: `${raw} não é um horário` };
    const frac = raw - Math.floor(raw); // a date+time serial keeps only its time
    const secs = Math.round(frac * 86_400) % 86_400;
    const h = Math.floor(secs / 3600);
    const m = Math.floor((secs % 3600) / 60);
    const s = secs % 60;
    return { ok: true, value: s ? `${pad(h)}:${pad(m)}:${pad(s)}` : `${pad(h)}:${pad(m)}` };
  }
  const t = String(raw ?? '').trim().toLowerCase().replace(/h$/, ':00').replace('h', ':');
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(t);
  if (!m) return { ok: false, error: `"${String(raw ?? '').trim()}" não é um horário (use hh:mm)` };
  const h = Number(m[1]);
  const mi = Number(m[2]);
  const s = m[3] ? Number(m[3]) : 0;
  if (h > 23 || mi > 59 || s > 59) return { ok: false, error: `"${String(raw).trim()}" não é um horário válido` };
  return { ok: true, value: s ? `${pad(h)}:${pad(mi)}:${pad(s)}` : `${pad(h)}:${pad(mi)}` };
}

// ---------------------------------------------------------------------------------- rows

export interface RowError {
  /** Header text of the column to fix ('' = the row as a whole). */
  column: string;
  message: string;
}

export type RowState = 'empty' | 'invalid' | 'valid' | 'sent';

export interface ParsedRow {
  /** Zero-based sheet row index (display adds 1). */
  sheetRow: number;
  /** Offset within the data rows that were read. */
  offset: number;
  state: RowState;
  request?: BoletaRequest;
  errors: RowError[];
  /** Order id already written beside the row by an earlier send. */
  existingOrderId?: string;
  /** Display fields for the preview (whatever could be read). */
  display: { client: string; symbol: string; side: string; qty: string; algo: string; limitPrice: string };
  /** Algo parameters as they will be sent, for the preview: "Lote visível 1.000". */
  paramsText?: string;
  /** Other rows (sheet indexes) with the same client, symbol, side, quantity and price. */
  duplicateOf?: number[];
}

function cellText(v: CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'VERDADEIRO' : 'FALSO';
  return String(v).trim();
}

function parseClients(
  raw: CellValue,
  clients: readonly ClientView[] | undefined,
): Parsed<{ client?: string; allocations?: BoletaRequest['allocations'] }> {
  const text = cellText(raw);
  if (!text) return { ok: false, error: 'obrigatório' };
  const resolve = (name: string): Parsed<string> => {
    if (!clients || clients.length === 0) return { ok: true, value: name };
    const k = fold(name);
    const hit = clients.find((c) => fold(c.id) === k) ?? clients.find((c) => fold(c.name) === k);
    return hit ? { ok: true, value: hit.id } : { ok: false, error: `cliente desconhecido "${name}"` };
  };
  if (!/[:=;]/.test(text)) {
    const r = resolve(text);
    return r.ok ? { ok: true, value: { client: r.value } } : r;
  }
  const parts = text.split(/[;|]/).map((p) => p.trim()).filter(Boolean);
  const allocations: NonNullable<BoletaRequest['allocations']> = [];
  let mode: 'qty' | 'weight' | undefined;
  for (const part of parts) {
    const m = /^(.+?)\s*[:=]\s*(.+)$/.exec(part);
    if (!m) return { ok: false, error: `rateio "${part}" deve ser CLIENTE:QUANTIDADE ou CLIENTE:PESO%` };
    const who = resolve(m[1]!.trim());
    if (!who.ok) return who;
    const amount = m[2]!.trim();
    const isWeight = amount.endsWith('%');
    const thisMode = isWeight ? 'weight' : 'qty';
    if (mode && mode !== thisMode) return { ok: false, error: 'rateio mistura quantidades e pesos (%)' };
    mode = thisMode;
    const n = isWeight ? parseNumber(amount.slice(0, -1)) : parseInteger(amount);
    if (!n.ok) return { ok: false, error: `rateio de ${who.value}: ${n.error}` };
    if (!(n.value > 0)) return { ok: false, error: `rateio de ${who.value} deve ser positivo` };
    if (allocations.some((a) => a.client === who.value)) return { ok: false, error: `cliente ${who.value} repetido no rateio` };
    allocations.push(isWeight ? { client: who.value, weight: n.value } : { client: who.value, qty: n.value });
  }
  if (allocations.length === 0) return { ok: false, error: 'rateio vazio' };
  return { ok: true, value: { allocations } };
}

/** Reads a number cell in the convention decided for its column. */
type NumberReader = (raw: CellValue, integer: boolean) => Parsed<number>;

function parseParam(p: AlgoParamDescriptor, raw: CellValue, readNumber: NumberReader): Parsed<unknown> {
  switch (p.kind) {
    case 'boolean':
      return parseBoolean(raw);
    case 'time':
      return parseTime(raw);
    case 'integer':
      return readNumber(raw, true);
    case 'enum': {
      const o = findOption(p, cellText(raw));
      return o
        ? { ok: true, value: o.value }
        : { ok: false, error: `"${cellText(raw)}" não é uma opção (${(p.options ?? []).map((x) => x.label).join(', ')})` };
    }
    case 'percent': {
      const text = typeof raw === 'string' ? raw.trim() : raw;
      const hasSign = typeof text === 'string' && text.endsWith('%');
      const r = readNumber(hasSign ? (text as string).slice(0, -1) : text, false);
      if (!r.ok) return r;
      const fraction = percentIsFraction(p);
      if (hasSign) return { ok: true, value: fraction ? r.value / 100 : r.value };
      // A cell formatted as percentage arrives as a fraction (0,1 for 10%).
      if (!fraction && typeof raw === 'number' && raw > 0 && raw < 1 && (p.min ?? 0) >= 1) return { ok: true, value: raw * 100 };
      return r;
    }
    default:
      return readNumber(raw, false);
  }
}

function checkRange(p: AlgoParamDescriptor, v: unknown): string | undefined {
  if (typeof v !== 'number') return undefined;
  if ((p.min !== undefined && v < p.min) || (p.max !== undefined && v > p.max)) {
    return `${fmtNumber(v, Number.isInteger(v) ? 0 : 2)} fora do intervalo (${rangeText(p)})`;
  }
  return undefined;
}

/** Rows (offsets) that touch a merged area, with the first column concerned. */
function mergedRows(merged: readonly Rect[] | undefined, dataTop: number, rowCount: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of merged ?? []) {
    if (m.rowCount <= 1 && m.colCount <= 1) continue;
    for (let r = Math.max(m.top, dataTop); r < Math.min(m.top + m.rowCount, dataTop + rowCount); r++) {
      if (!out.has(r - dataTop)) out.set(r - dataTop, m.left);
    }
  }
  return out;
}

export interface ParseInput {
  header: readonly CellValue[];
  rows: readonly (readonly CellValue[])[];
  /** Sheet row index of rows[0]. */
  firstSheetRow: number;
  /** Sheet column index of column 0 (merged areas are in sheet coordinates). */
  firstSheetCol?: number;
  merged?: readonly Rect[];
}

export interface ParseResult {
  columns: ColumnMap;
  rows: ParsedRow[];
  /** Problems with the sheet as a whole (missing columns). When set, no row is valid. */
  fatal?: string;
}

/** What the numbers typed as text in one column mean, decided from all its cells. */
interface ColumnNumbers {
  convention?: NumberConvention;
  /** Rows (offsets) whose cell cannot be read because of the column as a whole. */
  errors: Map<number, string>;
}

const MAX_CELLS_NAMED = 5;

function cellList(cells: string[]): string {
  const shown = cells.slice(0, MAX_CELLS_NAMED).join(', ');
  return cells.length > MAX_CELLS_NAMED ? `${shown} e mais ${cells.length - MAX_CELLS_NAMED}` : shown;
}

/**
 * Decides the number convention of a column from every text cell in it (numbers Excel already
 * holds as numbers say nothing). Mixed conventions, or cells that read differently in each while
 * nothing in the column tells which, are errors on those rows, naming the cells.
 */
function decideColumnNumbers(
  name: string,
  cells: Array<{ offset: number; address: string; text: string }>,
  integer: boolean,
): ColumnNumbers {
  const errors = new Map<number, string>();
  const pt: typeof cells = [];
  const en: typeof cells = [];
  const both: Array<(typeof cells)[number] & { r: Partial<Record<NumberConvention, number>> }> = [];
  for (const c of cells) {
    const r = numberReadings(c.text, { integer });
    if (r.pt !== undefined && r.en !== undefined) {
      if (r.pt !== r.en) both.push({ ...c, r });
    } else if (r.pt !== undefined) pt.push(c);
    else if (r.en !== undefined) en.push(c);
  }
  if (pt.length && en.length) {
    const message =
      `${name}: a coluna mistura formatos de número — ${cellList(pt.map((c) => `${c.address} "${c.text}"`))} com vírgula decimal (1.234,56) ` +
      `e ${cellList(en.map((c) => `${c.address} "${c.text}"`))} com ponto decimal (1,234.56); use um só formato na coluna`;
    for (const c of [...pt, ...en, ...both]) errors.set(c.offset, message);
    return { errors };
  }
  const convention: NumberConvention | undefined = pt.length ? 'pt' : en.length ? 'en' : undefined;
  if (!convention && both.length) {
    const first = both[0]!;
    const message =
      `${name}: "${first.text}" pode ser ${fmtNumber(first.r.pt!, 0)} ou ${fmtPrice(first.r.en!)} e nada na coluna diz qual ` +
      `(${cellList(both.map((c) => c.address))}); digite o número sem separador de milhar ou com os decimais (${fmtNumber(first.r.pt!, 2)})`;
    for (const c of both) errors.set(c.offset, message);
  }
  return { convention, errors };
}

export function parseBoletaRows(input: ParseInput, ctx: ParseContext): ParseResult {
  const columns = mapColumns(input.header, ctx.algos);
  const firstCol = input.firstSheetCol ?? 0;
  const missing = (['symbol', 'side', 'qty', 'client'] as CoreField[]).filter((f) => columns.core[f] === undefined);
  const problems = [...columns.problems];
  if (missing.length) {
    problems.unshift(`Faltam as colunas: ${missing.map((f) => COLUMN_LABELS[f]).join(', ')}. O cabeçalho precisa de Cliente, Ativo, Lado e Quantidade.`);
  }
  // A column without a header but with values would be left out of the order: name it.
  columns.names.forEach((name, i) => {
    if (key(name) || !columns.inputColumns.includes(i)) return;
    const filled = input.rows.findIndex((r) => !isBlank(r[i]));
    if (filled >= 0) {
      const addr = `${columnLetters(firstCol + i)}${input.firstSheetRow + filled + 1}`;
      problems.push(`A coluna ${columnLetters(firstCol + i)} não tem cabeçalho mas tem valores (${addr}): dê um nome a ela (Obs, se for anotação) ou apague os valores.`);
    }
  });
  const fatal = problems.length ? problems.join(' ') : undefined;
  const merged = mergedRows(
    (input.merged ?? []).map((m) => ({ ...m, left: m.left - firstCol })),
    input.firstSheetRow,
    input.rows.length,
  );
  const bySymbol = new Map((ctx.instruments ?? []).map((i) => [i.symbol.toUpperCase(), i]));
  const defaultAlgo = ctx.algos.find((a) => a.type === 'full') ?? ctx.algos[0];
  const allParams = distinctParams(ctx.algos);
  const out: ParsedRow[] = [];

  // Number conventions, per column, from all the rows that will be read.
  const isReadRow = (row: readonly CellValue[]) =>
    !columns.inputColumns.every((i) => isBlank(row[i])) && !(columns.result.orderId !== undefined && cellText(row[columns.result.orderId]));
  const numericCols: Array<{ col: number; integer: boolean; strip?: '%' }> = [];
  if (columns.core.qty !== undefined) numericCols.push({ col: columns.core.qty, integer: true });
  if (columns.core.limitPrice !== undefined) numericCols.push({ col: columns.core.limitPrice, integer: false });
  for (const p of allParams) {
    const col = columns.params.get(p.name);
    if (col === undefined) continue;
    if (p.kind === 'integer') numericCols.push({ col, integer: true });
    else if (p.kind === 'number') numericCols.push({ col, integer: false });
    else if (p.kind === 'percent') numericCols.push({ col, integer: false, strip: '%' });
  }
  const columnNumbers = new Map<number, ColumnNumbers>();
  for (const { col, integer, strip } of numericCols) {
    const cells: Array<{ offset: number; address: string; text: string }> = [];
    input.rows.forEach((row, offset) => {
      const v = row[col];
      if (typeof v !== 'string' || isBlank(v) || isMarketWord(v) || !isReadRow(row)) return;
      let text = v.trim();
      if (strip && text.endsWith(strip)) text = text.slice(0, -1).trim();
      cells.push({ offset, address: `${columnLetters(firstCol + col)}${input.firstSheetRow + offset + 1}`, text });
    });
    columnNumbers.set(col, decideColumnNumbers(columns.names[col] ?? '', cells, integer));
  }

  input.rows.forEach((row, offset) => {
    const sheetRow = input.firstSheetRow + offset;
    const get = (f: CoreField): CellValue => (columns.core[f] === undefined ? undefined : row[columns.core[f]!]);
    const colName = (f: CoreField) => (columns.core[f] !== undefined ? columns.names[columns.core[f]!] || COLUMN_LABELS[f] : COLUMN_LABELS[f]);
    const display = {
      client: cellText(get('client')),
      symbol: cellText(get('symbol')).toUpperCase(),
      side: cellText(get('side')),
      qty: cellText(get('qty')),
      algo: cellText(get('algo')),
      limitPrice: cellText(get('limitPrice')),
    };
    const existingOrderId = columns.result.orderId !== undefined ? cellText(row[columns.result.orderId]) : '';
    const blank = columns.inputColumns.every((i) => isBlank(row[i]));
    if (blank && !merged.has(offset)) {
      out.push({ sheetRow, offset, state: 'empty', errors: [], display });
      return;
    }
    const errors: RowError[] = [];
    if (fatal) errors.push({ column: '', message: fatal });
    if (merged.has(offset)) {
      const col = merged.get(offset)!;
      const name = columns.names[col] ?? '';
      errors.push({ column: name, message: `${name ? `${name}: ` : ''}células mescladas, desfaça a mesclagem desta linha` });
    }
    if (existingOrderId) {
      out.push({
        sheetRow,
        offset,
        state: 'sent',
        errors: [{ column: COLUMN_LABELS.orderId, message: `já enviada (ordem ${existingOrderId}); apague o ID para enviar de novo` }],
        existingOrderId,
        display,
      });
      return;
    }
    const err = (f: CoreField, message: string) => errors.push({ column: colName(f), message: `${colName(f)}: ${message}` });
    /** A number cell, read in its column's convention. */
    const readNumber = (col: number | undefined, raw: CellValue, integer: boolean): Parsed<number> => {
      const decided = col === undefined ? undefined : columnNumbers.get(col);
      const columnError = decided?.errors.get(offset);
      if (columnError) return { ok: false, error: columnError.slice(columnError.indexOf(': ') + 2) };
      let r: Parsed<number>;
      if (typeof raw === 'string' && !isBlank(raw)) {
        const readings = numberReadings(raw.trim(), { integer });
        const v = decided?.convention ? readings[decided.convention] : (readings.pt ?? readings.en);
        r = v !== undefined ? { ok: true, value: v } : parseNumber(raw, { integer });
        if (r.ok && v === undefined) r = { ok: false, error: `"${raw.trim()}" não é um número no formato da coluna` };
      } else r = parseNumber(raw, { integer });
      if (r.ok && integer && !Number.isInteger(r.value)) return { ok: false, error: `${fmtNumber(r.value, 2)} não é um número inteiro` };
      return r;
    };

    // Cliente
    const who = parseClients(get('client'), ctx.clients);
    if (!who.ok) err('client', who.error);

    // Ativo
    const symbol = cellText(get('symbol')).toUpperCase();
    const inst = bySymbol.get(symbol);
    if (!symbol) err('symbol', 'obrigatório');
    else if (!/^[A-Z0-9]{3,16}$/.test(symbol)) err('symbol', `"${symbol}" não é um código de ativo`);
    else if (bySymbol.size > 0 && !inst) err('symbol', `ativo desconhecido "${symbol}"`);

    // Lado
    let side: 'buy' | 'sell' | undefined;
    if (isBlank(get('side'))) err('side', 'obrigatório (C ou V)');
    else {
      const s = parseSide(get('side'));
      if (s.ok) side = s.value;
      else err('side', s.error);
    }

    // Quantidade
    let qty: number | undefined;
    if (isBlank(get('qty'))) err('qty', 'obrigatória');
    else {
      const q = readNumber(columns.core.qty, get('qty'), true);
      if (!q.ok) err('qty', q.error);
      else if (q.value <= 0) err('qty', 'deve ser maior que zero');
      else {
        qty = q.value;
        if (inst && inst.lotSize > 1 && q.value % inst.lotSize !== 0) {
          err('qty', `deve ser múltipla do lote de ${inst.lotSize}${inst.kind === 'stock' ? ` (use ${inst.symbol}F para o fracionário)` : ''}`);
        }
      }
    }

    // Tipo (MERCADO = an order at market of the default type)
    let algo: AlgoDescriptor | undefined;
    const algoText = cellText(get('algo'));
    const marketByType = isMarketWord(get('algo'));
    if (!algoText || marketByType) algo = defaultAlgo;
    else {
      algo = findAlgo(ctx.algos, algoText);
      if (!algo) err('algo', `"${algoText}" não é um tipo aceito (${ctx.algos.map((a) => a.label).join(', ')} ou ${MARKET_WORD})`);
    }
    if (algo) display.algo = algo.label;

    // Preço limite: a number on the tick, or the explicit word MERCADO. Never a blank read as market.
    let limitPrice: number | undefined;
    const priceRaw = get('limitPrice');
    const marketByPrice = isMarketWord(priceRaw) || (ctx.blankPriceIsMarket === true && isBlank(priceRaw) && !algo?.requiresLimit);
    const market = marketByType || marketByPrice;
    if (market) {
      display.limitPrice = MARKET_WORD;
      if (marketByType && !isBlank(priceRaw) && !marketByPrice) {
        err('limitPrice', `${MARKET_WORD} no Tipo e preço ${cellText(priceRaw)}: apague o preço ou troque o Tipo`);
      } else if (algo?.requiresLimit) err('limitPrice', `${algo.label} exige preço limite, não ${MARKET_WORD}`);
    } else if (columns.core.limitPrice === undefined) {
      err('limitPrice', `falta a coluna ${COLUMN_LABELS.limitPrice}: escreva o preço, ou ${MARKET_WORD} para uma ordem a mercado`);
    } else if (isBlank(priceRaw)) {
      err('limitPrice', algo?.requiresLimit ? `obrigatório para ${algo.label}` : `vazio: escreva o preço, ou ${MARKET_WORD} para uma ordem a mercado`);
    } else {
      const p = readNumber(columns.core.limitPrice, priceRaw, false);
      if (!p.ok) err('limitPrice', p.error);
      else if (p.value <= 0) err('limitPrice', 'deve ser maior que zero');
      else if (inst) {
        const ticks = ticksOnGrid(p.value, tickHundredthsOf(inst.tickSize));
        if (ticks === undefined) err('limitPrice', `${String(p.value).replace('.', ',')} fora do tick de ${fmtNumber(inst.tickSize, 2)}`);
        // Sent as the tick it is (36.6, not 36.600000000000001 from a formula).
        else limitPrice = (ticks * tickHundredthsOf(inst.tickSize)) / 100;
      } else limitPrice = p.value;
      if (limitPrice !== undefined) display.limitPrice = fmtPrice(limitPrice);
    }

    // Parâmetros do algo; a value in a column this type does not read would be silently dropped.
    const spec: Record<string, unknown> = { type: algo?.type ?? 'full' };
    const shown: string[] = [];
    const own = new Set((algo?.params ?? []).map((p) => p.name));
    if (algo) {
      for (const p of allParams) {
        const col = columns.params.get(p.name);
        if (own.has(p.name) || col === undefined || isBlank(row[col])) continue;
        const label = columns.names[col] || p.label;
        errors.push({ column: label, message: `${label}: não vale para ${algo.label}; apague o valor ou troque o Tipo` });
      }
    }
    for (const p of algo?.params ?? []) {
      const col = columns.params.get(p.name);
      const raw = col === undefined ? undefined : row[col];
      const label = col !== undefined ? columns.names[col] || p.label : p.label;
      if (isBlank(raw)) {
        if (p.default !== undefined && p.default !== null) spec[p.name] = p.default;
        else if (p.required) errors.push({ column: label, message: `${label}: obrigatório para ${algo!.label}` });
        continue;
      }
      const v = parseParam(p, raw, (r, integer) => readNumber(col, r, integer));
      if (!v.ok) {
        errors.push({ column: label, message: `${label}: ${v.error}` });
        continue;
      }
      const outOfRange = checkRange(p, v.value);
      if (outOfRange) errors.push({ column: label, message: `${label}: ${outOfRange}` });
      else spec[p.name] = v.value;
    }
    for (const p of algo?.params ?? []) {
      if (spec[p.name] !== undefined) shown.push(`${p.label} ${paramText(p, spec[p.name])}`);
    }

    let request: BoletaRequest | undefined;
    if (errors.length === 0 && who.ok && side && qty !== undefined && algo) {
      request = {
        ...(who.value.client ? { client: who.value.client } : {}),
        ...(who.value.allocations ? { allocations: who.value.allocations } : {}),
        symbol,
        side,
        qty,
        ...(limitPrice !== undefined ? { limitPrice } : {}),
        algo: spec as BoletaRequest['algo'],
      };
      // Last line of defence: the same schema the bridge applies.
      const check = boletaSchema.safeParse(request);
      // The type was found in the bridge's own catalogue (GET /api/algos), the authority on ticket
      // types: a type newer than the compiled schema's list is the bridge's to judge, not the pane's.
      const issues = check.success ? [] : check.error.issues.filter((i) => i.path.join('.') !== 'algo.type');
      if (issues.length > 0) {
        for (const issue of issues) {
          errors.push({ column: columnForField(issue.path.join('.'), columns, ctx.algos), message: issue.message });
        }
        request = undefined;
      }
    }
    out.push({
      sheetRow,
      offset,
      state: errors.length ? 'invalid' : 'valid',
      request,
      errors,
      display,
      ...(shown.length ? { paramsText: shown.join(' · ') } : {}),
    });
  });
  markDuplicates(out);
  return { columns, rows: out, fatal };
}

function paramText(p: AlgoParamDescriptor, v: unknown): string {
  if (typeof v === 'boolean') return v ? 'Sim' : 'Não';
  if (typeof v !== 'number') return String(v);
  if (p.kind === 'percent') return `${fmtNumber(percentIsFraction(p) ? v * 100 : v, Number.isInteger(v) ? 0 : 2)}%`;
  return fmtNumber(v, Number.isInteger(v) ? 0 : 2);
}

/** What makes two rows the same order for a PM: client(s), symbol, side, quantity and price. */
function duplicateKey(r: BoletaRequest): string {
  return canonical({ client: r.client, allocations: r.allocations, symbol: r.symbol, side: r.side, qty: r.qty, price: r.limitPrice ?? MARKET_WORD });
}

/** Valid rows identical to another valid row of the same read: each gets the others' sheet rows. */
function markDuplicates(rows: ParsedRow[]): void {
  const groups = new Map<string, ParsedRow[]>();
  for (const r of rows) {
    if (r.state !== 'valid' || !r.request) continue;
    const k = duplicateKey(r.request);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    for (const r of g) r.duplicateOf = g.filter((o) => o !== r).map((o) => o.sheetRow);
  }
}

/** Bridge error path (rows[3].qty, algo.displayQty, allocations[0].client) → the header text. */
export function columnForField(field: string, columns: ColumnMap, algos: readonly AlgoDescriptor[]): string {
  const f = field.replace(/^rows\[\d+\]\.?/, '');
  const name = (c: CoreField) => (columns.core[c] !== undefined ? columns.names[columns.core[c]!] || COLUMN_LABELS[c] : COLUMN_LABELS[c]);
  if (f === '' || f === '(body)') return '';
  if (f.startsWith('client') || f.startsWith('allocations')) return name('client');
  if (f.startsWith('symbol')) return name('symbol');
  if (f.startsWith('side')) return name('side');
  if (f.startsWith('qty')) return name('qty');
  if (f.startsWith('limitPrice')) return name('limitPrice');
  if (f === 'algo' || f === 'algo.type') return name('algo');
  if (f.startsWith('algo.')) {
    const param = f.slice(5);
    const col = columns.params.get(param);
    if (col !== undefined) return columns.names[col] ?? param;
    return distinctParams(algos).find((p) => p.name === param)?.label ?? param;
  }
  if (f.startsWith('idempotencyKey')) return 'Chave';
  return '';
}

/** Bridge errors for one row → row errors naming columns. */
export function rowErrorsFromApi(errors: readonly ApiErrorItem[], columns: ColumnMap, algos: readonly AlgoDescriptor[]): RowError[] {
  return errors.map((e) => {
    const column = columnForField(e.field ?? '', columns, algos);
    return { column, message: column ? `${column}: ${e.message}` : e.message };
  });
}

// ---------------------------------------------------------------------------------- keys

/** FNV-1a 32-bit, hex: a short, stable fingerprint of a row's content. */
export function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Idempotency key of a sheet row: the sheet's stable batch id + the row + the row's content. A
 * double click (or a retry after a timeout) re-sends the same keys, so the bridge returns the
 * existing orders instead of creating new ones; editing the row makes it a new boleta.
 */
export function idempotencyKey(batchId: string, sheetRow: number, request: BoletaRequest): string {
  const { idempotencyKey: _ignored, ...rest } = request;
  return `bb-${batchId}-r${sheetRow + 1}-${fingerprint(canonical(rest))}`;
}

export function newBatchId(random: () => number = Math.random): string {
  let s = '';
  for (let i = 0; i < 10; i++) s += '0123456789abcdefghijklmnopqrstuvwxyz'[Math.floor(random() * 36)];
  return s;
}
