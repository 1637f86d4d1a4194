/**
 * A recorded market ready to replay: what to read from market.db for a run's symbols and dates,
 * the venue that fills orders against it, and what happens when the replay crosses a São Paulo
 * midnight (day orders end, a continuous future moves to its next contract and positions roll).
 * A backtest and the bridge started on recorded history (`--broker replay`) both open one.
 */
import type { BacktestSpec } from '../../common/backtest.js';
import type { TradingKernel } from '../kernel.js';
import { instrumentKind, type MarketDb } from '../marketdata/market-db.js';
import { saoPauloDayRangeMs } from '../marketdata/sp-instant.js';
import { continuousRoot, type InstrumentRegistry, tradedContract } from '../model/instrument.js';
import { saoPauloDate } from '../calendar/iso-date.js';
import { type FeedSeriesPlan, MarketFeed, planFeed } from './feed.js';
import { ReplayVenue } from './replay-venue.js';
import type { SimClock } from './replay-driver.js';

export type ReplaySpec = Pick<BacktestSpec, 'symbols' | 'from' | 'to' | 'interval' | 'source' | 'fill'>;

export interface ReplayMarket {
  fromMs: number;
  toMs: number;
  venue: ReplayVenue;
  plan: FeedSeriesPlan[];
  /** Strategies get the venue's bars (a replay of candles) or bars built from prints. */
  barsFrom: 'venue' | 'prints';
  /** A fresh reader of the recorded events, oldest first. */
  feed(): MarketFeed;
  /** The quote board follows the symbols the series trade as. */
  track(kernel: TradingKernel): void;
  /** The replay crossed midnight into `next`. */
  dayChanged(kernel: TradingKernel, clients: readonly string[], next: string, warn: (m: string) => void): void;
}

export function openReplayMarket(
  db: MarketDb,
  spec: ReplaySpec,
  instruments: InstrumentRegistry,
  clock: SimClock,
): { ok: true; market: ReplayMarket } | { ok: false; message: string } {
  const fromMs = saoPauloDayRangeMs(spec.from).fromMs;
  const toMs = saoPauloDayRangeMs(spec.to).toMs;
  // A stored stock the universe does not list trades on B3's standard terms; futures come from the rules.
  for (const s of spec.symbols) {
    if (instruments.get(s) || continuousRoot(s)) continue;
    if (instrumentKind(s) === 'stock') instruments.addStock(s, 1);
  }
  const tradeSymbol = (s: string, ms: number) => tradedContract(s, saoPauloDate(ms));
  const plan = planFeed(db, spec.symbols, spec.interval, spec.source, fromMs, toMs, (s) => instruments.get(tradeSymbol(s, fromMs))?.tickHundredths);
  if (!plan.ok) return { ok: false, message: plan.message };
  const venue = new ReplayVenue({ clock: clock.now, instrument: (s) => instruments.get(s), fill: spec.fill });
  for (const p of plan.series) venue.setSeries(p.dataSymbol, tradeSymbol(p.dataSymbol, fromMs));
  const intraday = spec.interval !== '1d';
  return {
    ok: true,
    market: {
      fromMs,
      toMs,
      venue,
      plan: plan.series,
      barsFrom: plan.series.every((p) => p.source === 'bars') ? 'venue' : 'prints',
      feed: () => new MarketFeed(db, plan.series, fromMs, toMs),
      track(kernel) {
        for (const p of plan.series) kernel.quotes.track(instruments.require(venue.tradeSymbolOf(p.dataSymbol)!));
      },
      dayChanged(kernel, clients, next, warn) {
        // B3 day orders end with the session; a daily-bar replay keeps its orders for the next bar.
        if (intraday) venue.expireWorking('ordem do dia expirada no fim do pregão');
        for (const p of plan.series) {
          if (!continuousRoot(p.dataSymbol)) continue;
          const traded = tradedContract(p.dataSymbol, next);
          const old = venue.tradeSymbolOf(p.dataSymbol)!;
          if (old === traded) continue;
          venue.setSeries(p.dataSymbol, traded);
          kernel.quotes.track(instruments.require(traded));
          rollPositions(kernel, clients, old, traded, warn);
        }
      },
    },
  };
}

/**
 * A continuous future rolled to its next contract: every client's position in the expiring one is
 * closed and opened again in the new one, both through the OMS (fees, settlement), at market.
 */
function rollPositions(kernel: TradingKernel, clients: readonly string[], from: string, to: string, warn: (m: string) => void): void {
  for (const client of clients) {
    const qty = kernel.portfolio.position(client, from)?.qty ?? 0;
    if (qty === 0) continue;
    const side = qty > 0 ? 'sell' : 'buy';
    const other = qty > 0 ? 'buy' : 'sell';
    void kernel.oms
      .submitMany(
        [
          { client, symbol: from, side, qty: Math.abs(qty), algo: { type: 'full' }, idempotencyKey: `roll:${client}:${from}` },
          { client, symbol: to, side: other, qty: Math.abs(qty), algo: { type: 'full' }, idempotencyKey: `roll:${client}:${to}:${from}` },
        ],
        'system:rolagem',
        false,
      )
      .then((rows) => {
        for (const r of rows) if (!r.ok) warn(`rolagem de ${from} para ${to} (${client}) recusada: ${r.errors.map((e) => e.message).join('; ')}`);
      });
  }
}
