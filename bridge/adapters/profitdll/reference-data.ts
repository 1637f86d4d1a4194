/**
 * The bridge's instrument table, with ProfitDLL's reference data (lot, tick, multiplier, quantity limits)
 * merged in where the DLL gives valid values. The data is requested once per session, after the first
 * connect; connect() waits for it briefly.
 */
import type { Instrument } from '../../model/instrument.js';
import type { AssetIDRec } from './abi.js';
import type { ProfitDllRequests } from './relay.js';
import type { AdapterContext } from './adapter-context.js';
import { exchangeOf } from './conversions.js';
import { bilingual, bilingualText, nlError } from './errors.js';

const INSTRUMENT_INFO_WAIT_MS = 3_000;

/** What SetAssetListInfoCallbackV2 reports for one ticker. */
interface AssetInfo {
  minQty: number;
  maxQty: number;
  lot: number;
  tick: number;
  multiplier: number;
}

export class InstrumentReference {
  private readonly base = new Map<string, Instrument>();
  private readonly merged = new Map<string, Instrument>();
  /** Filled by the callback, merged by the drain. */
  private readonly received = new Map<string, AssetInfo>();
  private readonly invalidLogged = new Set<string>();
  private readonly pending = new Set<string>();
  private requested = false;
  private waitTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: AdapterContext,
    instruments: Instrument[],
  ) {
    for (const inst of instruments) {
      this.base.set(inst.symbol.toUpperCase(), inst);
      this.merged.set(inst.symbol.toUpperCase(), inst);
    }
  }

  instrument(symbol: string): Instrument | undefined {
    return this.merged.get(symbol.toUpperCase());
  }

  instruments(): Instrument[] {
    return [...this.merged.values()];
  }

  /** Requested reference data that has neither arrived nor been given up. */
  awaitingInfo(): boolean {
    return this.pending.size > 0;
  }

  /** SetAssetListInfoCallbackV2: copy and return. */
  onAssetInfo(asset: AssetIDRec, minQty: number | bigint, maxQty: number | bigint, lot: number | bigint, tick: number, multiplier: number): void {
    if (!asset.pwcTicker) return;
    this.received.set(asset.pwcTicker, { minQty: Number(minQty), maxQty: Number(maxQty), lot: Number(lot), tick, multiplier });
    this.ctx.requestDrain();
  }

  /**
   * RequestTickerInfo for every instrument of the table, once per session. What has not arrived after
   * INSTRUMENT_INFO_WAIT_MS keeps the table's values, and `givenUp` runs.
   */
  request(fns: ProfitDllRequests, givenUp: () => void): void {
    if (this.requested) return;
    this.requested = true;
    for (const inst of this.base.values()) {
      const err = nlError(fns.RequestTickerInfo(inst.symbol, exchangeOf(inst)), 'RequestTickerInfo');
      if (err) this.ctx.log('warn', `${inst.symbol}: ${err.message}`);
      else this.pending.add(inst.symbol);
    }
    this.waitTimer = setTimeout(() => {
      if (this.pending.size) {
        this.ctx.log(
          'warn',
          bilingualText(
            bilingual(
              `Sem dados cadastrais da ProfitDLL para ${[...this.pending].join(', ')}; usando a tabela da ponte`,
              `No reference data from ProfitDLL for ${[...this.pending].join(', ')}; using the bridge's table`,
            ),
          ),
        );
      }
      this.pending.clear();
      givenUp();
    }, INSTRUMENT_INFO_WAIT_MS);
  }

  stopWaiting(): void {
    clearTimeout(this.waitTimer);
  }

  /** Merges what the callback delivered since the last drain. */
  merge(): void {
    for (const [ticker, info] of this.received) {
      const base = this.base.get(ticker);
      this.pending.delete(ticker);
      if (!base) continue;
      const tickHundredths = info.tick * 100;
      const tickValueCentavos = info.tick * info.multiplier * 100;
      const whole = (v: number): boolean => Number.isFinite(v) && v >= 1 && Math.abs(v - Math.round(v)) < 1e-6;
      const valid =
        whole(tickHundredths) &&
        whole(tickValueCentavos) &&
        Number.isSafeInteger(info.lot) && info.lot >= 1 && info.lot <= 1e9 &&
        Number.isSafeInteger(info.minQty) && info.minQty >= 1 &&
        Number.isSafeInteger(info.maxQty) && info.maxQty >= info.minQty;
      if (!valid) {
        if (!this.invalidLogged.has(ticker)) {
          this.invalidLogged.add(ticker);
          this.ctx.log(
            'warn',
            bilingualText(
              bilingual(
                `Dados cadastrais de ${ticker} inválidos na ProfitDLL (lote ${info.lot}, tick ${info.tick}, multiplicador ${info.multiplier}); usando a tabela da ponte`,
                `Invalid ProfitDLL reference data for ${ticker} (lot ${info.lot}, tick ${info.tick}, multiplier ${info.multiplier}); using the bridge's table`,
              ),
            ),
          );
        }
        continue;
      }
      const next: Instrument = {
        ...base,
        tickHundredths: Math.round(tickHundredths),
        tickValueCentavos: Math.round(tickValueCentavos),
        lotSize: info.lot,
        minQty: info.minQty,
        maxQty: info.maxQty,
      };
      const changed = (['tickHundredths', 'tickValueCentavos', 'lotSize', 'minQty', 'maxQty'] as const).filter((k) => next[k] !== base[k]);
      if (changed.length && this.merged.get(ticker) === base) {
        this.ctx.log(
          'info',
          bilingualText(
            bilingual(
              `${ticker}: ProfitDLL corrige ${changed.map((k) => `${k} ${base[k]}→${next[k]}`).join(', ')}`,
              `${ticker}: ProfitDLL overrides ${changed.map((k) => `${k} ${base[k]}→${next[k]}`).join(', ')}`,
            ),
          ),
        );
      }
      this.merged.set(ticker, changed.length ? next : base);
    }
    this.received.clear();
  }
}
