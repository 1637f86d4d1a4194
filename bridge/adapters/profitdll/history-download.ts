/**
 * Trade history downloads (GetHistoryTrades), one B3 day per request and one download at a time: see
 * ProfitDllBroker.downloadHistory.
 */
import type { BrokerTrade } from '../../execution/broker-port.js';
import type { Instrument } from '../../model/instrument.js';
import type { AssetIDRec } from './abi.js';
import type { ProfitDllRequests } from './relay.js';
import type { AdapterContext } from './adapter-context.js';
import { adapterError, notConnected, unknownInstrument } from './adapter-errors.js';
import { aggressorOf, exchangeOf, toTicks, tradeTimeMs } from './conversions.js';
import { NL, nlError } from './errors.js';
import { formatHistoryDate, splitByB3Day } from './time.js';

const DEFAULT_HISTORY_IDLE_MS = 60_000;

interface RawTrade {
  price: number;
  qty: number;
  tradeType: number;
  timeMs: number;
}

interface ActiveDownload {
  ticker: string;
  raw: RawTrade[];
  progress: number;
  reported: number;
  lastActivityMs: number;
  report: (progress: number) => void;
  resolve: (raw: RawTrade[]) => void;
  reject: (e: Error) => void;
}

export class HistoryDownloads {
  private active: ActiveDownload | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: AdapterContext) {}

  /** Queued behind the download in progress, if any. */
  download(symbol: string, fromMs: number, toMs: number, onProgress?: (percent: number) => void): Promise<BrokerTrade[]> {
    const run = this.chain.then(() => this.run(symbol, fromMs, toMs, onProgress));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** TProgressCallback: copy and return. */
  onProgress(asset: AssetIDRec, percent: number): void {
    const dl = this.active;
    if (!dl || asset.pwcTicker !== dl.ticker) return;
    dl.progress = Math.max(dl.progress, percent);
    dl.lastActivityMs = Date.now();
    this.ctx.requestDrain();
  }

  /** SetHistoryTradeCallbackV2 on the direct path: TranslateTrade (an accessor, so inside the callback), copy and return. */
  onHistoryTrade(pTrade: unknown): void {
    if (!this.active) return;
    const t = this.ctx.session.tradeReader!;
    const err = nlError(t.read(pTrade), 'TranslateTrade');
    if (err) throw err;
    this.onHistoryTradeRead(t.price, t.quantity, t.tradeType, tradeTimeMs(t) ?? 0);
  }

  /** A history trade already translated (by the relay on the DLL's thread, or just above). */
  onHistoryTradeRead(price: number, qty: number, tradeType: number, timeMs: number): void {
    const dl = this.active;
    if (!dl) return;
    dl.raw.push({ price, qty, tradeType, timeMs });
    dl.lastActivityMs = Date.now();
  }

  /** Called by the drain: reports progress; the DLL signals the end of a load with progress 100 (§10.3). */
  advance(): void {
    const dl = this.active;
    if (!dl) return;
    if (dl.progress > dl.reported) {
      dl.reported = dl.progress;
      dl.report(dl.progress);
    }
    if (dl.progress >= 100) {
      this.active = undefined;
      dl.resolve(dl.raw);
    }
  }

  /** Called periodically: fails a download the DLL stopped answering. */
  expireIdle(): void {
    const dl = this.active;
    const idleMs = this.ctx.opts.historyIdleTimeoutMs ?? DEFAULT_HISTORY_IDLE_MS;
    if (dl && Date.now() - dl.lastActivityMs > idleMs) {
      this.active = undefined;
      dl.reject(
        adapterError(
          'HISTORY_TIMEOUT',
          `Histórico sem resposta da ProfitDLL há ${idleMs} ms`,
          `No history data from ProfitDLL for ${idleMs} ms`,
        ),
      );
    }
  }

  abort(): void {
    const dl = this.active;
    this.active = undefined;
    dl?.reject(adapterError('SESSION_CLOSED', 'Sessão ProfitDLL encerrada', 'ProfitDLL session closed'));
  }

  private async run(
    symbol: string,
    fromMs: number,
    toMs: number,
    onProgress: ((percent: number) => void) | undefined,
  ): Promise<BrokerTrade[]> {
    const inst = this.ctx.instrument(symbol);
    if (!inst) throw unknownInstrument(symbol);
    const fns = this.ctx.sendable();
    if (!fns) throw notConnected();
    if (!(Number.isFinite(fromMs) && Number.isFinite(toMs) && fromMs <= toMs)) {
      throw adapterError('INVALID_RANGE', `Intervalo de histórico inválido: ${fromMs}–${toMs}`, `Invalid history range: ${fromMs}–${toMs}`);
    }
    // Without a subscription the DLL may never deliver history trades (§10.3, community report).
    const err = nlError(fns.SubscribeTicker(inst.symbol, exchangeOf(inst)), 'SubscribeTicker');
    if (err) throw err;
    const days = splitByB3Day(fromMs, toMs);
    const out: BrokerTrade[] = [];
    for (let i = 0; i < days.length; i++) {
      const raw = await this.downloadDay(fns, inst, days[i], (p) => onProgress?.(Math.floor((i * 100 + p) / days.length)));
      for (const r of raw) {
        if (r.timeMs < fromMs || r.timeMs > toMs) continue;
        const aggressor = aggressorOf(r.tradeType);
        out.push({ symbol: inst.symbol, qty: r.qty, priceTicks: toTicks(inst, r.price), timeMs: r.timeMs, ...(aggressor ? { aggressor } : {}) });
      }
    }
    return out;
  }

  private downloadDay(
    fns: ProfitDllRequests,
    inst: Instrument,
    day: { fromMs: number; toMs: number },
    report: (progress: number) => void,
  ): Promise<RawTrade[]> {
    return new Promise((resolve, reject) => {
      this.active = { ticker: inst.symbol, raw: [], progress: 0, reported: 0, lastActivityMs: Date.now(), report, resolve, reject };
      const rc = fns.GetHistoryTrades(inst.symbol, exchangeOf(inst), formatHistoryDate(day.fromMs), formatHistoryDate(day.toMs));
      const err = rc === NL.NL_WAITING_SERVER ? undefined : nlError(rc, 'GetHistoryTrades');
      if (err) {
        this.active = undefined;
        reject(err);
      }
    });
  }
}
