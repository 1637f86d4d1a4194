/**
 * Blotters as 2-D arrays with a pt-BR header row: one source for the spilled custom functions and
 * the "Enviar para planilha" tables. Values are numbers a sheet can sort, sum and chart: prices
 * rounded to the instrument's decimals (36.5, never 36.500435), money to centavos, and dates as
 * Excel date serials in B3 time (a spilled array carries no number format: format the column as
 * date; the live tables get dd/mm/aaaa formats).
 */
import type { BalanceView, OrderView, PositionView } from '../../../common/types.js';
import { excelDateSerial, excelSerial, fold, isOpenStatus, priceDecimals, roundTo, sideLabel, statusLabel, STATUS_LABELS } from './format.js';

export type Cell = string | number | boolean;

export interface Blotter {
  header: string[];
  rows: Cell[][];
  /** Excel number formats per column (for sheet tables). */
  numberFormats: string[];
}

const QTY = '#,##0';
const PRICE = '#,##0.00';
const MONEY = '#,##0.00;[Red]-#,##0.00';
const TEXT = '@';
const DATE = 'dd/mm/yyyy';
const DATE_TIME = 'dd/mm/yyyy hh:mm:ss';

/** Tick size per symbol (from GET /api/instruments), to round prices to the instrument's decimals. */
export type TickSizes = ReadonlyMap<string, number>;

function price(v: number | undefined | null, symbol: string, ticks?: TickSizes): Cell {
  return typeof v === 'number' && Number.isFinite(v) ? roundTo(v, priceDecimals(ticks?.get(symbol))) : '';
}

function money(v: number | undefined | null): Cell {
  return typeof v === 'number' && Number.isFinite(v) ? roundTo(v, 2) : '';
}

function serial(v: number | undefined): Cell {
  return v === undefined ? '' : v;
}

export interface PositionsPayload {
  consolidated: PositionView[];
  byClient: PositionView[];
}

function n(v: number | undefined | null): Cell {
  return typeof v === 'number' && Number.isFinite(v) ? v : '';
}

function bySymbol(a: PositionView, b: PositionView): number {
  return (a.client ?? '').localeCompare(b.client ?? '') || a.symbol.localeCompare(b.symbol);
}

/**
 * positions: consolidated (no client), one client's, or all clients' rows (withClient).
 */
export function positionsBlotter(rows: PositionView[], withClient: boolean, ticks?: TickSizes): Blotter {
  const header = ['Ativo', 'Quantidade', 'Preço médio', 'Último', 'Resultado realizado', 'Resultado não realizado', 'Resultado total'];
  const numberFormats = [TEXT, QTY, PRICE, PRICE, MONEY, MONEY, MONEY];
  if (withClient) {
    header.unshift('Cliente');
    numberFormats.unshift(TEXT);
  }
  const out = [...rows].sort(bySymbol).map((p) => {
    const r: Cell[] = [
      p.symbol,
      n(p.qty),
      price(p.avgPrice, p.symbol, ticks),
      price(p.last, p.symbol, ticks),
      money(p.realizedPnl),
      money(p.unrealizedPnl),
      money((p.realizedPnl ?? 0) + (p.unrealizedPnl ?? 0)),
    ];
    if (withClient) r.unshift(p.client ?? '');
    return r;
  });
  return { header, rows: out, numberFormats };
}

export function selectPositions(payload: PositionsPayload | undefined, client: string | undefined): PositionView[] {
  if (!payload) return [];
  if (!client) return payload.consolidated ?? [];
  if (client === '*') return payload.byClient ?? [];
  const c = fold(client);
  return (payload.byClient ?? []).filter((p) => fold(p.client ?? '') === c);
}

export function algoLabel(type: string, labels?: ReadonlyMap<string, string>): string {
  return labels?.get(type) ?? type;
}

export function ordersBlotter(orders: OrderView[], labels?: ReadonlyMap<string, string>, ticks?: TickSizes): Blotter {
  const header = [
    'ID',
    'Criada em',
    'Cliente',
    'Ativo',
    'Lado',
    'Quantidade',
    'Executada',
    'Preço médio',
    'Preço limite',
    'Tipo',
    'Status',
    'Progresso',
  ];
  const numberFormats = [TEXT, DATE_TIME, TEXT, TEXT, TEXT, QTY, QTY, PRICE, PRICE, TEXT, TEXT, '0%'];
  const rows = [...orders]
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
    .map((o): Cell[] => [
      o.id,
      serial(excelSerial(o.createdAt)),
      orderClientText(o),
      o.symbol,
      sideLabel(o.side),
      n(o.qty),
      n(o.filledQty),
      o.filledQty > 0 ? price(o.avgPrice, o.symbol, ticks) : '',
      price(o.limitPrice, o.symbol, ticks),
      algoLabel(o.algo?.type ?? '', labels),
      statusLabel(o.status),
      o.qty > 0 ? Math.round((o.filledQty / o.qty) * 10000) / 10000 : 0,
    ]);
  return { header, rows, numberFormats };
}

export function orderClientText(o: OrderView): string {
  if (o.client) return o.client;
  if (o.allocations?.length) return o.allocations.map((a) => a.client).join(', ');
  return '';
}

/** Status filter text: a code (working), a pt-BR label (Executada), "abertas" or "encerradas". */
export function statusMatcher(text: string | undefined | null): ((s: string) => boolean) | { error: string } {
  const t = fold(String(text ?? ''));
  if (!t || t === 'todas' || t === 'todos' || t === '*') return () => true;
  if (t === 'abertas' || t === 'ativas' || t === 'open') return isOpenStatus;
  if (t === 'encerradas' || t === 'finalizadas' || t === 'closed') return (s) => !isOpenStatus(s);
  for (const [code, label] of Object.entries(STATUS_LABELS)) {
    if (t === code || t === fold(label)) return (s) => s === code;
  }
  return {
    error: `Status desconhecido "${text}". Use abertas, encerradas ou um de: ${Object.values(STATUS_LABELS).join(', ')}.`,
  };
}

export function orderMatchesClient(o: OrderView, client: string): boolean {
  const c = fold(client);
  if (fold(o.client ?? '') === c) return true;
  return !!o.allocations?.some((a) => fold(a.client) === c);
}

export function balancesBlotter(rows: BalanceView[], names?: ReadonlyMap<string, string>): Blotter {
  const header = ['Cliente', 'Nome', 'D+0', 'D+1', 'D+2', 'Data D+0', 'Data D+1', 'Data D+2'];
  const numberFormats = [TEXT, TEXT, MONEY, MONEY, MONEY, DATE, DATE, DATE];
  const out = [...rows]
    .sort((a, b) => a.client.localeCompare(b.client))
    .map((b): Cell[] => [
      b.client,
      names?.get(b.client) ?? '',
      money(b.d0),
      money(b.d1),
      money(b.d2),
      serial(excelDateSerial(b.dates?.[0])),
      serial(excelDateSerial(b.dates?.[1])),
      serial(excelDateSerial(b.dates?.[2])),
    ]);
  return { header, rows: out, numberFormats };
}

