/**
 * Blotters as 2-D arrays with a pt-BR header row: one source for the spilled custom functions and
 * the "Enviar para planilha" tables. Values are raw numbers (Excel formats them); dates are text
 * in dd/mm/aaaa hh:mm:ss because a spilled array carries no number format.
 */
import type { BalanceView, OrderView, PositionView } from '../../../common/types.js';
import { fmtDate, fmtDateTime, fold, isOpenStatus, sideLabel, statusLabel, STATUS_LABELS } from './format.js';

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
export function positionsBlotter(rows: PositionView[], withClient: boolean): Blotter {
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
      n(p.avgPrice),
      n(p.last),
      n(p.realizedPnl),
      n(p.unrealizedPnl),
      n((p.realizedPnl ?? 0) + (p.unrealizedPnl ?? 0)),
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

export function ordersBlotter(orders: OrderView[], labels?: ReadonlyMap<string, string>): Blotter {
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
  const numberFormats = [TEXT, TEXT, TEXT, TEXT, TEXT, QTY, QTY, PRICE, PRICE, TEXT, TEXT, '0%'];
  const rows = [...orders]
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
    .map((o): Cell[] => [
      o.id,
      fmtDateTime(o.createdAt),
      orderClientText(o),
      o.symbol,
      sideLabel(o.side),
      n(o.qty),
      n(o.filledQty),
      o.filledQty > 0 ? n(o.avgPrice) : '',
      n(o.limitPrice),
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
  const numberFormats = [TEXT, TEXT, MONEY, MONEY, MONEY, TEXT, TEXT, TEXT];
  const out = [...rows]
    .sort((a, b) => a.client.localeCompare(b.client))
    .map((b): Cell[] => [
      b.client,
      names?.get(b.client) ?? '',
      n(b.d0),
      n(b.d1),
      n(b.d2),
      fmtDate(b.dates?.[0]),
      fmtDate(b.dates?.[1]),
      fmtDate(b.dates?.[2]),
    ]);
  return { header, rows: out, numberFormats };
}

