/**
 * B3 fees per fill from a versioned table (bridge/fees/data/b3-fees.json).
 *
 * B3 changes its tariffs by circular on a known date, so each version carries `validFrom` and the
 * version in force is chosen by the fill's São Paulo trade date: replaying a journal of old fills
 * gives the fees they were charged, not today's. Everything is integer: rates in hundredths of a
 * basis point or hundredths of a centavo, one rounding to the centavo per fill (see `rounding`
 * in the data file and rounding.ts).
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

const futureRatesSchema = z.strictObject({
  tradingPerContractHundredthsOfCentavo: nonNegativeInt,
  settlementPerContractHundredthsOfCentavo: nonNegativeInt,
});

const versionSchema = z.strictObject({
  validFrom: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use yyyy-mm-dd'),
  name: z.string(),
  note: z.string().optional(),
  source: z.array(z.string()).min(1),
  equities: z.strictObject({ regular: equityRatesSchema, dayTrade: equityRatesSchema }),
  futures: z.record(
    z.string().regex(/^[A-Z]{3}$/, 'raiz do contrato, ex. WIN'),
    z.strictObject({
      approximate: z.boolean(),
      note: z.string(),
      regular: futureRatesSchema,
      dayTrade: futureRatesSchema,
    }),
  ),
});

const feeTableSchema = z.strictObject({
  description: z.string(),
  rounding: z.string(),
  versions: z.array(versionSchema).min(1),
});

export type FeeTableData = z.infer<typeof feeTableSchema>;
export type FeeTableVersion = z.infer<typeof versionSchema>;

export type FeeInput = {
  instrument: Instrument;
  qty: number;
  priceTicks: number;
  /** Day-trade rates apply (the fill closes a position opened the same session). */
  dayTrade?: boolean;
} & ({ timeMs: number; isoDate?: never } | { isoDate: string; timeMs?: never });

export interface FeeBreakdown {
  tradingCentavos: number;
  settlementCentavos: number;
  totalCentavos: number;
}

/** What the portfolio needs from a fee table; tests may pass a fixed one. */
export interface FeeCalculator {
  feesCentavos(input: FeeInput): FeeBreakdown;
}

/** 1 bp = 1e-4 of the notional; the table counts hundredths of a bp. */
const HUNDREDTHS_OF_BP_PER_UNIT = 1_000_000n;
const HUNDREDTHS_OF_CENTAVO_PER_CENTAVO = 100n;

/** Total rounded once; trading rounded the same way; settlement takes the remainder so parts add up. */
function split(scaledTrading: bigint, scaledSettlement: bigint, scale: bigint): FeeBreakdown {
  const totalCentavos = toSafeNumber(divRoundHalfAwayFromZero(scaledTrading + scaledSettlement, scale));
  const tradingCentavos = toSafeNumber(divRoundHalfAwayFromZero(scaledTrading, scale));
  return { tradingCentavos, settlementCentavos: totalCentavos - tradingCentavos, totalCentavos };
}

export class FeeSchedule implements FeeCalculator {
  private constructor(private readonly versions: FeeTableVersion[]) {}

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

  /** The version in force on a trade date: the latest whose validFrom is on or before it. */
  versionOn(isoDate: string): FeeTableVersion {
    assertIsoDate(isoDate);
    let found: FeeTableVersion | undefined;
    for (const v of this.versions) if (v.validFrom <= isoDate) found = v;
    if (!found) throw new RangeError(`sem tabela de tarifas em vigor em ${isoDate} (a primeira vale de ${this.versions[0].validFrom})`);
    return found;
  }

  feesCentavos(input: FeeInput): FeeBreakdown {
    const { instrument, qty, priceTicks } = input;
    if (!Number.isSafeInteger(qty) || qty <= 0) throw new RangeError(`quantidade inválida: ${qty}`);
    if (!Number.isSafeInteger(priceTicks) || priceTicks <= 0) throw new RangeError(`preço inválido: ${priceTicks}`);
    const version = this.versionOn(input.isoDate ?? saoPauloDate(input.timeMs!));
    const kind = input.dayTrade ? 'dayTrade' : 'regular';
    switch (instrument.kind) {
      case 'stock':
      case 'fractional': {
        const rates = version.equities[kind];
        const notional = BigInt(notionalCentavos(instrument, qty, priceTicks));
        return split(
          notional * BigInt(rates.tradingHundredthsOfBp),
          notional * BigInt(rates.settlementHundredthsOfBp),
          HUNDREDTHS_OF_BP_PER_UNIT,
        );
      }
      case 'future': {
        const root = instrument.symbol.slice(0, 3);
        const table = version.futures[root];
        if (!table) throw new Error(`sem tarifa de futuros para ${root} na tabela de ${version.validFrom}`);
        const rates = table[kind];
        return split(
          BigInt(qty) * BigInt(rates.tradingPerContractHundredthsOfCentavo),
          BigInt(qty) * BigInt(rates.settlementPerContractHundredthsOfCentavo),
          HUNDREDTHS_OF_CENTAVO_PER_CENTAVO,
        );
      }
      case 'option':
        throw new Error(`sem tabela de tarifas para opções (${instrument.symbol})`);
    }
  }
}

let committed: FeeSchedule | undefined;

/** The fee table from the committed data, read once. */
export function feeSchedule(): FeeSchedule {
  committed ??= FeeSchedule.fromFile(new URL('./data/b3-fees.json', import.meta.url));
  return committed;
}

/** Fees of one fill per the committed table. */
export function feesCentavos(input: FeeInput): FeeBreakdown {
  return feeSchedule().feesCentavos(input);
}
