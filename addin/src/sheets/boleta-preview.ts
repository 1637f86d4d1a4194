/**
 * What a read of sheet boletas will send, in the words and figures a PM checks before "Enviar":
 * per row the client(s), side, quantity, symbol, price or MERCADO, ticket and its parameters and
 * the notional in R$; then totals per client and side. Notional is quantity × price × the
 * instrument's point value (WIN R$ 0,20 per point, WDO R$ 10), computed in integer centavos.
 */
import { tickHundredthsOf, ticksOnGrid } from '../../../common/ticks.js';
import type { BoletaRequest, InstrumentView } from '../../../common/types.js';
import { fmtMoney, fmtPrice, fmtQty, sideLabel } from '../core/format.js';
import { MARKET_WORD, type ParsedRow } from './boleta-rows.js';

/** Notional of `qty` at `price` in integer centavos, or undefined when the price is off the tick. */
export function notionalCentavos(inst: InstrumentView, qty: number, price: number): number | undefined {
  const tickHundredths = tickHundredthsOf(inst.tickSize);
  const ticks = ticksOnGrid(price, tickHundredths);
  if (ticks === undefined) return undefined;
  // Value of one tick on one unit: stock R$ 0,01 → 1; WIN 5 pts × R$ 0,20 → 100; WDO 0,5 × R$ 10 → 500.
  const tickValueCentavos = Math.round(inst.pointValue * inst.tickSize * 100);
  const v = qty * ticks * tickValueCentavos;
  return Number.isSafeInteger(v) ? v : undefined;
}

export function clientsText(r: BoletaRequest): string {
  if (r.client) return r.client;
  const a = r.allocations ?? [];
  return a.map((x) => (x.qty !== undefined ? `${x.client} ${fmtQty(x.qty)}` : `${x.client} ${fmtQty(x.weight ?? 0)}%`)).join(' · ');
}

export interface RowPreview {
  clients: string;
  /** "Compra 1.000 PETR4 a 36,50" / "Venda 5 WINZ26 a MERCADO". */
  order: string;
  price: string;
  /** Ticket type and its parameters: "TWAP · Início 10:00 · Fim 16:30". */
  ticket: string;
  notional: string;
  notionalCentavos?: number;
}

export function rowPreview(row: ParsedRow, instruments: ReadonlyMap<string, InstrumentView>): RowPreview | undefined {
  const r = row.request;
  if (!r) return undefined;
  const inst = instruments.get(r.symbol);
  const price = r.limitPrice === undefined ? MARKET_WORD : fmtPrice(r.limitPrice);
  const cents = r.limitPrice !== undefined && inst ? notionalCentavos(inst, r.qty, r.limitPrice) : undefined;
  return {
    clients: clientsText(r),
    order: `${sideLabel(r.side)} ${fmtQty(r.qty)} ${r.symbol} a ${price}`,
    price,
    ticket: [row.display.algo, row.paramsText].filter(Boolean).join(' · '),
    notional: cents !== undefined ? fmtMoney(cents / 100) : r.limitPrice === undefined ? 'a mercado' : '—',
    ...(cents !== undefined ? { notionalCentavos: cents } : {}),
  };
}

export interface SideTotal {
  orders: number;
  notionalCentavos: number;
  /** Orders at market: no notional before they trade. */
  market: number;
  /** A block split by weight: the client's share is an estimate until the bridge allocates it. */
  approx: boolean;
}

export interface ClientTotal {
  client: string;
  buy: SideTotal;
  sell: SideTotal;
}

const emptySide = (): SideTotal => ({ orders: 0, notionalCentavos: 0, market: 0, approx: false });

/** Totals per client and side over the rows that will be sent (valid ones). */
export function totalsByClient(rows: readonly ParsedRow[], instruments: ReadonlyMap<string, InstrumentView>): ClientTotal[] {
  const by = new Map<string, ClientTotal>();
  const side = (client: string, s: 'buy' | 'sell') => {
    let t = by.get(client);
    if (!t) by.set(client, (t = { client, buy: emptySide(), sell: emptySide() }));
    return t[s];
  };
  for (const row of rows) {
    const r = row.request;
    if (row.state !== 'valid' || !r) continue;
    const inst = instruments.get(r.symbol);
    const shares: Array<{ client: string; qty?: number; fraction?: number }> = r.client
      ? [{ client: r.client, qty: r.qty }]
      : (r.allocations ?? []).map((a) => ({ client: a.client, qty: a.qty, fraction: a.weight }));
    const weightSum = shares.reduce((s, x) => s + (x.fraction ?? 0), 0);
    for (const sh of shares) {
      const t = side(sh.client, r.side);
      t.orders++;
      if (r.limitPrice === undefined) {
        t.market++;
        continue;
      }
      if (!inst) continue;
      if (sh.qty !== undefined) t.notionalCentavos += notionalCentavos(inst, sh.qty, r.limitPrice) ?? 0;
      else if (weightSum > 0) {
        t.notionalCentavos += Math.round(((notionalCentavos(inst, r.qty, r.limitPrice) ?? 0) * sh.fraction!) / weightSum);
        t.approx = true;
      }
    }
  }
  return [...by.values()].sort((a, b) => a.client.localeCompare(b.client));
}

/** "R$ 73.000,00 em 2 ordens + 1 a mercado" (or "—" when the client has nothing on that side). */
export function sideTotalText(t: SideTotal): string {
  if (t.orders === 0) return '—';
  const priced = t.orders - t.market;
  const parts: string[] = [];
  if (priced > 0) parts.push(`${t.approx ? '≈ ' : ''}${fmtMoney(t.notionalCentavos / 100)} em ${priced} ${priced === 1 ? 'ordem' : 'ordens'}`);
  if (t.market > 0) parts.push(`${t.market} a mercado`);
  return parts.join(' + ');
}
