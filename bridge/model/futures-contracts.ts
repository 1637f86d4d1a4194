/**
 * Futures contract codes and expiry dates from rules kept as data (data/futures-contracts.json):
 * WIN trades even months and expires on the Wednesday closest to the 15th; WDO trades every month
 * and expires on the first session of its month. An expiry that falls on a day without a session
 * moves to the next session. A contract trades on its expiry day and is expired from the next day.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { BusinessCalendar } from '../calendar/business-calendar.js';
import { isoDate } from '../calendar/holiday-rules.js';
import { addCalendarDays } from '../calendar/iso-date.js';

const expirySchema = z.discriminatedUnion('rule', [
  z.strictObject({ rule: z.literal('wednesday_closest_to_day'), day: z.number().int().min(4).max(25) }),
  z.strictObject({ rule: z.literal('first_session') }),
]);

const rootSchema = z.strictObject({
  root: z.string().regex(/^[A-Z]{3}$/, 'raiz de três letras, ex. WIN'),
  name: z.string().min(1),
  months: z.array(z.number().int().min(1).max(12)).min(1),
  expiry: expirySchema,
  tickHundredths: z.number().int().positive(),
  tickValueCentavos: z.number().int().positive(),
  maxQty: z.number().int().positive(),
  referencePrice: z.number().positive(),
});

const contractsSchema = z.strictObject({
  description: z.string(),
  monthLetters: z.string().regex(/^[A-Z]{12}$/, 'doze letras, janeiro a dezembro'),
  sources: z.array(z.string()).min(1),
  roots: z.array(rootSchema).min(1),
});

export type FuturesRoot = z.infer<typeof rootSchema>;
export type FuturesContractsData = z.infer<typeof contractsSchema>;

export interface FuturesContract {
  root: FuturesRoot;
  symbol: string;
  year: number;
  month: number;
  /** Last trading day, ISO yyyy-mm-dd. */
  expiry: string;
}

const MONTH_ABBR_PT = ['JAN', 'FEV', 'MAR', 'ABR', 'MAI', 'JUN', 'JUL', 'AGO', 'SET', 'OUT', 'NOV', 'DEZ'];

/** Two-digit years are read in the century of 2000: contracts of 2000-2099. */
const CENTURY = 2000;

export function contractName(root: FuturesRoot, year: number, month: number): string {
  return `${root.name} ${MONTH_ABBR_PT[month - 1]}/${String(year % 100).padStart(2, '0')}`;
}

export class FuturesCatalog {
  private readonly roots: Map<string, FuturesRoot>;

  private constructor(private readonly data: FuturesContractsData, private readonly calendar: BusinessCalendar) {
    this.roots = new Map(data.roots.map((r) => [r.root, r]));
  }

  static fromData(raw: unknown, calendar: BusinessCalendar): FuturesCatalog {
    const data = contractsSchema.parse(raw);
    if (new Set(data.monthLetters).size !== 12) throw new Error('futuros: monthLetters repete letras');
    const seen = new Set<string>();
    data.roots.forEach((r, i) => {
      if (seen.has(r.root)) throw new Error(`futuros: roots[${i}].root ${r.root} repetida`);
      seen.add(r.root);
      if (new Set(r.months).size !== r.months.length) throw new Error(`futuros: roots[${i}].months repete meses`);
    });
    return new FuturesCatalog(data, calendar);
  }

  static fromFile(path: string | URL, calendar: BusinessCalendar): FuturesCatalog {
    return FuturesCatalog.fromData(JSON.parse(readFileSync(path, 'utf8')), calendar);
  }

  rootNames(): string[] {
    return [...this.roots.keys()];
  }

  /** The last trading day of a root's contract for a month. */
  expiryOf(root: FuturesRoot, year: number, month: number): string {
    const cal = this.calendar;
    switch (root.expiry.rule) {
      case 'first_session':
        return cal.onOrAfter(isoDate(year, month, 1));
      case 'wednesday_closest_to_day': {
        const target = isoDate(year, month, root.expiry.day);
        const weekday = new Date(`${target}T00:00:00Z`).getUTCDay();
        // Offset in -3..+3 to the nearest Wednesday (3).
        const offset = ((6 - weekday + 7) % 7) - 3;
        return cal.onOrAfter(addCalendarDays(target, offset));
      }
    }
  }

  private contract(root: FuturesRoot, year: number, month: number): FuturesContract {
    const symbol = `${root.root}${this.data.monthLetters[month - 1]}${String(year % 100).padStart(2, '0')}`;
    return { root, symbol, year, month, expiry: this.expiryOf(root, year, month) };
  }

  /** The contract a code names (expired or not), or undefined when no rule makes that code. */
  parse(symbol: string): FuturesContract | undefined {
    const m = /^([A-Z]{3})([A-Z])(\d{2})$/.exec(symbol.toUpperCase());
    if (!m) return undefined;
    const root = this.roots.get(m[1]);
    const month = this.data.monthLetters.indexOf(m[2]) + 1;
    if (!root || month === 0 || !root.months.includes(month)) return undefined;
    return this.contract(root, CENTURY + Number(m[3]), month);
  }

  /** The first `count` contracts of a root not expired on `todayIso` (index 0 is the current one). */
  upcoming(rootName: string, todayIso: string, count: number): FuturesContract[] {
    const root = this.roots.get(rootName);
    if (!root) throw new Error(`futuros: raiz desconhecida ${rootName}`);
    const out: FuturesContract[] = [];
    let year = Number(todayIso.slice(0, 4));
    let month = Number(todayIso.slice(5, 7));
    // A year of months always holds a contract month of every root, so this ends.
    while (out.length < count) {
      if (root.months.includes(month)) {
        const c = this.contract(root, year, month);
        if (c.expiry >= todayIso) out.push(c);
      }
      month += 1;
      if (month > 12) {
        month = 1;
        year += 1;
      }
    }
    return out;
  }
}
