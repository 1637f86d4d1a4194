/**
 * The broker-reconnection report (HealthView.lastReconnect) in words, and the parent orders it
 * concerns, for the pane's banner. Pure functions.
 */
import type { OrderView, ReconnectReport } from '../../../common/types.js';

export function hasEntries(r: ReconnectReport | undefined): r is ReconnectReport {
  return !!r && r.canceledByExchange.length + r.filledWhileAway.length + r.held.length > 0;
}

/** 12 s, 2 min 5 s, 1 h 3 min. */
export function outageText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${Math.floor(m / 60)} h`;
}

const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** "Conexão com a corretora restabelecida após 12 s: 2 ordens canceladas pela bolsa, 1 executada enquanto desconectado, 3 ordens retidas para revisão." */
export function reconnectText(r: ReconnectReport): string {
  const parts: string[] = [];
  if (r.canceledByExchange.length) parts.push(n(r.canceledByExchange.length, 'ordem cancelada pela bolsa', 'ordens canceladas pela bolsa'));
  if (r.filledWhileAway.length) parts.push(n(r.filledWhileAway.length, 'executada enquanto desconectado', 'executadas enquanto desconectado'));
  if (r.held.length) parts.push(n(r.held.length, 'ordem retida para revisão', 'ordens retidas para revisão'));
  return `Conexão com a corretora restabelecida após ${outageText(r.outageMs)}: ${parts.join(', ')}.`;
}

/**
 * Parent ids the report concerns: those held, and the parents of the children it names. A child's
 * id is its parent's id, a hyphen and a sequence (BB…-7-3 belongs to BB…-7); the longest match wins.
 */
export function affectedParents(r: ReconnectReport, orders: readonly Pick<OrderView, 'id'>[]): Set<string> {
  const out = new Set(r.held);
  const ids = orders.map((o) => o.id).sort((a, b) => b.length - a.length);
  for (const child of [...r.canceledByExchange, ...r.filledWhileAway]) {
    const parent = ids.find((id) => child.startsWith(`${id}-`));
    if (parent) out.add(parent);
  }
  return out;
}
