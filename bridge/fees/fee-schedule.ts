/**
 * B3 fees from a versioned table (bridge/fees/data/b3-fees.json).
 *
 * B3 changes its tariffs by circular on a known date, so each version carries `validFrom` and the
 * version in force is chosen by the São Paulo trade date: replaying a journal of old fills gives
 * the fees they were charged, not today's. Everything is integer. `exactFee` gives a trade's fee
 * unrounded, in units of 1e-10 centavo (FEE_SCALE), so that billing (billing.ts) can add a whole
 * day of trades and round once, as B3 does; `feesCentavos` rounds a single trade on its own.
 *
 * Futures follow B3's derivatives tables: a single fee per contract by the investor's ADV tier
 * (tier 1 here) times the product's contract factor, in BRL (WIN) or USD (WDO, converted at the
 * rate the desk configures), less the day-trade reduction of the tier.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { assertIsoDate, saoPauloDate } from '../calendar/iso-date.js';
import { notionalCentavos, type Instrument } from '../model/instrument.js';
import { divRoundHalfAwayFromZero, toSafeNumber } from './rounding.js';

const nonNegativeInt = z.number().int().min(0);

const equityRatesSchema = z.strictObject({
  tradingHundredthsOfBp: nonNegativeInt,
  settlementHundredthsOfBp: nonNegativeInt,
});

const futureTariffSchema = z.strictObject({
  currency: z.enum(['BRL', 'USD']),
  /** First ADV tier's single fee per base contract, in cents of the currency (US$0.97 = 97). */
  tier1SingleFeeCents: z.number().int().positive(),
  /** The product's contract factor in thousandths (WIN 0.2 = 200, WDO 0.25 = 250). */
  contractFactorThousandths: z.number().int().positive(),
  /** First day-trade tier's reduction, in tenths of a percent (16.0% = 160). */
  dayTradeReductionTenthsOfPct: z.number().int().min(0).max(1000),
  note: z.string(),
  source: z.array(z.string().url()).min(1),
});

const versionSchema = z.strictObject({
  validFrom: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use yyyy-mm-dd'),
  name: z.string(),
  note: z.string().optional(),
  source: z.array(z.string()).min(1),
  equities: z.strictObject({ regular: equityRatesSchema, dayTrade: equityRatesSchema }),
  futures: z.record(z.string().regex(/^[A-Z]{3}$/, 'raiz do contrato, ex. WIN'), futureTariffSchema),
});

const feeTableSchema = z.strictObject({
  description: z.string(),
  rounding: z.string(),
  versions: z.array(versionSchema).min(1),
});

export type FeeTableData = z.infer<typeof feeTableSchema>;
export type FeeTableVersion = z.infer<typeof versionSchema>;

/** Exact fees are integers in this many parts of a centavo. */
export const FEE_SCALE = 10_000_000_000n;

/** What a fee depends on besides the instrument. */
export interface FeeContext {
  /** São Paulo trade date (picks the table version). */
  isoDate: string;
  /** Day-trade rates apply. */
  dayTrade: boolean;
  /** BRL per USD for tariffs in dollars (WDO); required only for those. */
  usdBrl?: number;
}

export type FeeInput = {
  instrument: Instrument;
  qty: number;
  priceTicks: number;
  dayTrade?: boolean;
  usdBrl?: number;
} & ({ timeMs: number; isoDate?: never } | { isoDate: string; timeMs?: never });

export interface FeeBreakdown {
  tradingCentavos: number;
  settlementCentavos: number;
  totalCentavos: number;
}

/** What the portfolio needs from a fee table; tests may pass a fixed one. */
export interface FeeCalculator {
  /** The unrounded fee of a trade in FEE_SCALE parts of a centavo. */
  exactFee(instrument: Instrument, qty: number, notionalCentavos: number, ctx: FeeContext): bigint;
}

class FeeError extends Error {}

/** 1 bp = 1e-4 of the notional; the table counts hundredths of a bp. */
const HUNDREDTHS_OF_BP_PER_UNIT = 1_000_000n;
/** The USD rate is taken to 1e-4 (PTAX has four decimals). */
const USD_RATE_SCALE = 10_000;

function positiveInt(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v <= 0) throw new RangeError(`${name} inválido: ${v}`);
}

function roundScaled(exact: bigint): number {
  return toSafeNumber(divRoundHalfAwayFromZero(exact, FEE_SCALE));
}

export class FeeSchedule implements FeeCalculator {
  private constructor(
    private readonly versions: FeeTableVersion[],
    /** Set: a date before the first version is priced by it (a replay of old history), and told here. */
    private readonly beforeFirst?: (isoDate: string, firstValidFrom: string) => void,
  ) {}

  /**
   * The same table for history older than its first version (a backtest of 2018): such a date is
   * priced by the first version instead of refused, and `onEarlier` hears of it so the run can say so.
   * The live bridge keeps the strict table: an order today is never priced by a guess.
   */
  reachingBack(onEarlier: (isoDate: string, firstValidFrom: string) => void): FeeSchedule {
    return new FeeSchedule(this.versions, onEarlier);
  }

  static fromData(raw: unknown): FeeSchedule {
    const data = feeTableSchema.parse(raw);
    data.versions.forEach((v, i) => {
      assertIsoDate(v.validFrom);
      if (i > 0 && v.validFrom <= data.versions[i - 1].validFrom) {
        throw new Error(`tabela de tarifas: versões fora de ordem em ${v.validFrom}`);
      }
    });
    return new FeeSchedule(data.versions);
  }

  static fromFile(path: string | URL): FeeSchedule {
    return FeeSchedule.fromData(JSON.parse(readFileSync(path, 'utf8')));
  }

  /** The last date asked about and its version (see versionOn). */
  private lastDate: string | undefined;
  private lastVersion: FeeTableVersion | undefined;

  /** The version in force on a trade date: the latest whose validFrom is on or before it. */
  versionOn(isoDate: string): FeeTableVersion {
    // Asked twice for every fill, nearly always about the same date as the time before.
    if (isoDate === this.lastDate) return this.lastVersion!;
    const v = this.findVersion(isoDate);
    this.lastDate = isoDate;
    this.lastVersion = v;
    return v;
  }

  private findVersion(isoDate: string): FeeTableVersion {
    assertIsoDate(isoDate);
    let found: FeeTableVersion | undefined;
    for (const v of this.versions) if (v.validFrom <= isoDate) found = v;
    if (!found && this.beforeFirst) {
      this.beforeFirst(isoDate, this.versions[0].validFrom);
      return this.versions[0];
    }
    if (!found) throw new RangeError(`sem tabela de tarifas em vigor em ${isoDate} (a primeira vale de ${this.versions[0].validFrom})`);
    return found;
  }

  /** Equities: (trading, settlement) parts; futures: the per-contract fee is all trading (emolumentos). */
  private exactParts(instrument: Instrument, qty: number, notional: number, ctx: FeeContext): [bigint, bigint] {
    positiveInt('quantidade', qty);
    positiveInt('financeiro', notional);
    const version = this.versionOn(ctx.isoDate);
    switch (instrument.kind) {
      case 'stock':
      case 'fractional': {
        const rates = version.equities[ctx.dayTrade ? 'dayTrade' : 'regular'];
        const perUnit = FEE_SCALE / HUNDREDTHS_OF_BP_PER_UNIT;
        return [
          BigInt(notional) * BigInt(rates.tradingHundredthsOfBp) * perUnit,
          BigInt(notional) * BigInt(rates.settlementHundredthsOfBp) * perUnit,
        ];
      }
      case 'future': {
        const root = instrument.symbol.slice(0, 3);
        const t = version.futures[root];
        if (!t) throw new FeeError(`sem tarifa de futuros para ${root} na tabela de ${version.validFrom}`);
        const reduction = ctx.dayTrade ? BigInt(t.dayTradeReductionTenthsOfPct) : 0n;
        // cents x factor/1000 x (1000 - reduction)/1000 = centavos (BRL) or US cents per contract.
        let perContract = BigInt(t.tier1SingleFeeCents) * BigInt(t.contractFactorThousandths) * (1000n - reduction) * (FEE_SCALE / 1_000_000n);
        if (t.currency === 'USD') {
          const rate = ctx.usdBrl;
          if (rate === undefined || !Number.isFinite(rate) || rate <= 0) {
            throw new FeeError(`tarifa de ${root} é em US$: configure settings.feeUsdBrl (reais por dólar)`);
          }
          perContract = (perContract * BigInt(Math.round(rate * USD_RATE_SCALE))) / BigInt(USD_RATE_SCALE);
        }
        return [BigInt(qty) * perContract, 0n];
      }
      case 'option':
        throw new FeeError(`sem tabela de tarifas para opções (${instrument.symbol})`);
    }
  }

  exactFee(instrument: Instrument, qty: number, notional: number, ctx: FeeContext): bigint {
    const [trading, settlement] = this.exactParts(instrument, qty, notional, ctx);
    return trading + settlement;
  }

  /** The fees of one trade rounded on its own: total once, trading the same way, settlement the remainder. */
  feesCentavos(input: FeeInput): FeeBreakdown {
    const { instrument, qty, priceTicks } = input;
    positiveInt('quantidade', qty);
    positiveInt('preço', priceTicks);
    const ctx: FeeContext = { isoDate: input.isoDate ?? saoPauloDate(input.timeMs!), dayTrade: input.dayTrade ?? false, usdBrl: input.usdBrl };
    const [trading, settlement] = this.exactParts(instrument, qty, notionalCentavos(instrument, qty, priceTicks), ctx);
    const totalCentavos = roundScaled(trading + settlement);
    const tradingCentavos = roundScaled(trading);
    return { tradingCentavos, settlementCentavos: totalCentavos - tradingCentavos, totalCentavos };
  }
}

let committed: FeeSchedule | undefined;

/** The fee table from the committed data, read once. */
export function feeSchedule(): FeeSchedule {
  committed ??= FeeSchedule.fromFile(new URL('./data/b3-fees.json', import.meta.url));
  return committed;
}

/** Fees of one trade per the committed table. */
export function feesCentavos(input: FeeInput): FeeBreakdown {
  return feeSchedule().feesCentavos(input);
}
