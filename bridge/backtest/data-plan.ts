/**
 * What a backtest will replay, decided before it is queued: the same plan the engine makes
 * (`planFeed` over the same instruments), so a request over a range with no data is refused at once
 * with the list of what is stored, instead of failing later in a worker. And the data's fingerprint:
 * per series replayed, its rows in the range and the sums of their prices and quantities, so a
 * machine whose market.db differs from the producer's (a sweep fanned out through Redis) refuses the
 * job instead of producing different numbers.
 */
import { DateTime } from 'luxon';
import type { BacktestSpec } from '../../common/backtest.js';
import type { ApiErrorItem } from '../../common/types.js';
import { SAO_PAULO_ZONE, saoPauloDate } from '../calendar/iso-date.js';
import { instrumentKind, type MarketDb } from '../marketdata/market-db.js';
import { saoPauloDayRangeMs } from '../marketdata/sp-instant.js';
import { continuousRoot, defaultInstruments, InstrumentRegistry, tradedContract } from '../model/instrument.js';
import { planFeed, type FeedSeriesPlan } from './feed.js';

export type DataSpec = Pick<BacktestSpec, 'symbols' | 'from' | 'to' | 'interval' | 'source'>;

export interface SeriesFingerprint {
  symbol: string;
  /** The stored series read: `1m` … `1d` or `trades`. */
  stored: string;
  rows: number;
  /** Sum of closes (candles) or prices (prints), in hundredths. */
  priceSum: number;
  qtySum: number;
}

export interface DataFingerprint {
  from: string;
  to: string;
  series: SeriesFingerprint[];
}

/** `AAAA-MM-DD` that names a real date. */
export function isRealDate(d: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(d) && DateTime.fromISO(d, { zone: SAO_PAULO_ZONE }).isValid;
}

/** Field errors of the date range, named under `prefix` (`spec.from`, `--from`…). */
export function rangeErrors(spec: Pick<BacktestSpec, 'from' | 'to'>, prefix = 'spec.'): ApiErrorItem[] {
  const out: ApiErrorItem[] = [];
  if (!isRealDate(spec.from)) out.push({ field: `${prefix}from`, code: 'invalid_date', message: `data inexistente: ${spec.from}` });
  if (!isRealDate(spec.to)) out.push({ field: `${prefix}to`, code: 'invalid_date', message: `data inexistente: ${spec.to}` });
  if (out.length === 0 && spec.from > spec.to) out.push({ field: `${prefix}from`, code: 'range', message: `início ${spec.from} depois do fim ${spec.to}` });
  return out;
}

export type DataPlan = { ok: true; series: FeedSeriesPlan[]; fromMs: number; toMs: number } | { ok: false; message: string };

/** The engine's plan for this spec (see engine.ts: same universe on the first day, same continuous names). */
export function planData(db: MarketDb, spec: DataSpec): DataPlan {
  const fromMs = saoPauloDayRangeMs(spec.from).fromMs;
  const toMs = saoPauloDayRangeMs(spec.to).toMs;
  const instruments = new InstrumentRegistry(defaultInstruments(fromMs), { nowMs: () => fromMs });
  for (const s of spec.symbols) {
    if (instruments.get(s) || continuousRoot(s)) continue;
    if (instrumentKind(s) === 'stock') instruments.addStock(s, 1);
  }
  const day = saoPauloDate(fromMs);
  const plan = planFeed(db, spec.symbols, spec.interval, spec.source, fromMs, toMs, (s) => instruments.get(tradedContract(s, day))?.tickHundredths);
  return plan.ok ? { ok: true, series: plan.series, fromMs, toMs } : plan;
}

/** Rows and sums of every series the plan replays, in [fromMs, toMs). */
export function fingerprintOf(db: MarketDb, spec: DataSpec, plan: { series: FeedSeriesPlan[]; fromMs: number; toMs: number }): DataFingerprint {
  const candles = db.prepareRaw('SELECT count(*), coalesce(sum(close_h), 0), coalesce(sum(qty), 0) FROM candles WHERE series_id = ? AND start_ms >= ? AND start_ms < ?');
  const trades = db.prepareRaw('SELECT count(*), coalesce(sum(price_h), 0), coalesce(sum(qty), 0) FROM trades WHERE series_id = ? AND time_ms >= ? AND time_ms < ?');
  const series = plan.series.map((p) => {
    const id = db.find(p.dataSymbol, p.stored);
    const [rows, priceSum, qtySum] = id === undefined ? [0, 0, 0] : ((p.stored === 'trades' ? trades : candles).get(id, plan.fromMs, plan.toMs) as number[]);
    return { symbol: p.dataSymbol, stored: p.stored, rows, priceSum, qtySum };
  });
  return { from: spec.from, to: spec.to, series };
}

/** Why two fingerprints differ, in words; undefined when they are the same. */
export function fingerprintDifference(expected: DataFingerprint, actual: DataFingerprint): string | undefined {
  const diffs: string[] = [];
  for (const e of expected.series) {
    const a = actual.series.find((x) => x.symbol === e.symbol);
    if (!a) diffs.push(`${e.symbol}: sem dados aqui`);
    else if (a.stored !== e.stored) diffs.push(`${e.symbol}: aqui se lê ${a.stored}, na origem ${e.stored}`);
    else if (a.rows !== e.rows) diffs.push(`${e.symbol} ${e.stored}: ${a.rows.toLocaleString('pt-BR')} linhas aqui, ${e.rows.toLocaleString('pt-BR')} na origem`);
    else if (a.priceSum !== e.priceSum || a.qtySum !== e.qtySum) diffs.push(`${e.symbol} ${e.stored}: mesmas ${e.rows.toLocaleString('pt-BR')} linhas, preços ou quantidades diferentes`);
  }
  return diffs.length ? `${diffs.join('; ')} (de ${expected.from} a ${expected.to})` : undefined;
}
