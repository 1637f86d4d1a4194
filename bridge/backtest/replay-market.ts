/**
 * A recorded market ready to replay: what to read from market.db for a run's symbols and dates,
 * the venue that fills orders against it, and what happens when the replay crosses a São Paulo
 * midnight (day orders end, a continuous future moves to its next contract and positions roll).
 * A backtest and the bridge started on recorded history (`--replay`) both open one.
 */
import type { BacktestSpec } from '../../common/backtest.js';
import type { TradingKernel } from '../kernel.js';
import { instrumentKind, type MarketDb } from '../marketdata/market-db.js';
import { saoPauloDayRangeMs } from '../marketdata/sp-instant.js';
import { continuousRoot, type InstrumentRegistry, tradedContract } from '../model/instrument.js';
import { saoPauloDate } from '../calendar/iso-date.js';
import { type FeedSeriesPlan, MarketFeed, planFeed } from './feed.js';
import { type FeedReadOptions, type FeedReadStats, feedSources } from './feed-sources.js';
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
  /** A reader of the recorded events, oldest first (from the columnar cache, a reader thread or market.db); close it after. */
  openFeed(opts?: FeedReadOptions): Promise<{ feed: MarketFeed; stats: FeedReadStats }>;
  /**
   * Ties the replay to the kernel it feeds: the quote board follows the series' symbols, and the
   * positions of `clients` in a continuous future roll when its next contract first has a price.
   */
  attach(kernel: TradingKernel, clients: () => readonly string[], warn: (m: string) => void): void;
  /** The replay crossed midnight into `next` (whose first instant is `nextStartMs`). */
  dayChanged(next: string, nextStartMs: number): void;
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
  const continuous = plan.series.some((p) => continuousRoot(p.dataSymbol));
  // A roll waits for the new contract's first print or book of the day, so the orders' protection,
  // collar and arrival price are the new contract's, not its catalog reference.
  const rolls: Array<{ from: string; to: string }> = [];
  let onRoll: ((from: string, to: string) => void) | undefined;
  let kernelOf: TradingKernel | undefined;
  // Start of the day whose bar was replayed last (daily bars): what was sent before it has had its bar.
  let lastDayStartMs: number | undefined;
  return {
    ok: true,
    market: {
      fromMs,
      toMs,
      venue,
      plan: plan.series,
      barsFrom: plan.series.every((p) => p.source === 'bars') ? 'venue' : 'prints',
      async openFeed(opts) {
        const sources = feedSources(db, plan.series, fromMs, toMs, opts);
        await sources.ready;
        return { feed: new MarketFeed(db, plan.series, fromMs, toMs, { open: sources.open }), stats: sources.stats };
      },
      attach(kernel, clients, warn) {
        kernelOf = kernel;
        for (const p of plan.series) kernel.quotes.track(instruments.require(venue.tradeSymbolOf(p.dataSymbol)!));
        if (!continuous) return;
        onRoll = (from, to) => rollPositions(kernel, clients(), from, to, warn);
        const whenPriced = (symbol: string) => {
          for (let i = 0; i < rolls.length; i++) {
            if (rolls[i].to !== symbol) continue;
            const { from, to } = rolls.splice(i, 1)[0];
            onRoll?.(from, to);
            return;
          }
        };
        kernel.tap({ trade: (t) => whenPriced(t.symbol), book: (b) => whenPriced(b.symbol) });
      },
      dayChanged(next, nextStartMs) {
        // B3 day orders end with the session. On daily bars an order is sent when its day's bar has
        // closed, so it works through the next bar (the next session) and expires after that one.
        if (intraday) venue.expireWorking('ordem do dia expirada no fim do pregão', nextStartMs);
        else if (lastDayStartMs !== undefined) venue.expireWorking('ordem do dia expirada no fim do pregão seguinte', lastDayStartMs + 1);
        lastDayStartMs = nextStartMs;
        if (!continuous) return;
        for (const p of plan.series) {
          if (!continuousRoot(p.dataSymbol)) continue;
          const traded = tradedContract(p.dataSymbol, next);
          const old = venue.tradeSymbolOf(p.dataSymbol)!;
          if (old === traded) continue;
          venue.setSeries(p.dataSymbol, traded);
          kernelOf?.quotes.track(instruments.require(traded));
          rolls.push({ from: old, to: traded });
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
