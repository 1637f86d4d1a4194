/**
 * Field parsers for Profit exports: pt-BR numbers to exact integers (never through a float, so a
 * stored price or volume equals the file to the centavo), dates `DD/MM/AAAA` or `DD/MM/AA`, times
 * `HH:mm[:ss[.mmm]]`. They run once per field of a million-row file, hence char codes, not regexes.
 */

/** The number style of a file: `;`-separated files use `,` decimals and `.` thousands; `,`-separated use `.`. */
export interface NumberStyle {
  decimal: number;
  thousands: number | undefined;
}

export const PT_BR: NumberStyle = { decimal: 44 /* , */, thousands: 46 /* . */ };
export const DOT_DECIMAL: NumberStyle = { decimal: 46, thousands: undefined };

/** Not a number. */
export const NOT_A_NUMBER = Number.NaN;
/** More decimal places than kept (non-zero beyond `places`). */
export const TOO_PRECISE = Number.POSITIVE_INFINITY;

/**
 * `s` scaled by 10^places as an integer: `600.822.115,84` with places 2 → 60082211584.
 * Returns NaN for text or a malformed number, +Infinity when a non-zero digit lies beyond `places`.
 */
export function parseScaled(s: string, style: NumberStyle, places: number): number {
  const n = s.length;
  let i = 0;
  let neg = false;
  if (n > 0 && s.charCodeAt(0) === 45 /* - */) {
    neg = true;
    i = 1;
  }
  let int = 0;
  let intDigits = 0;
  let frac = 0;
  let fracDigits = 0;
  let seenDecimal = false;
  let tooPrecise = false;
  let group = -1; // digits since the last thousands separator; -1 = none seen
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (seenDecimal) {
        if (fracDigits < places) {
          frac = frac * 10 + (c - 48);
          fracDigits++;
        } else if (c !== 48) tooPrecise = true;
      } else {
        int = int * 10 + (c - 48);
        intDigits++;
        if (group >= 0) group++;
      }
    } else if (c === style.decimal && !seenDecimal) {
      if (group >= 0 && group !== 3) return NOT_A_NUMBER;
      seenDecimal = true;
    } else if (c === style.thousands && !seenDecimal && intDigits > 0 && (group < 0 ? intDigits <= 3 : group === 3)) {
      group = 0;
    } else return NOT_A_NUMBER;
  }
  if (intDigits === 0 && fracDigits === 0) return NOT_A_NUMBER;
  if (!seenDecimal && group >= 0 && group !== 3) return NOT_A_NUMBER;
  if (tooPrecise) return TOO_PRECISE;
  for (; fracDigits < places; fracDigits++) frac *= 10;
  let v = int;
  for (let k = 0; k < places; k++) v *= 10;
  v += frac;
  if (!Number.isSafeInteger(v)) return NOT_A_NUMBER;
  return neg ? -v : v;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

function digits(s: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** `DD/MM/AAAA` or `DD/MM/AA` (20AA); undefined when malformed or not a real date (31/02). */
export function parseDate(s: string): LocalDate | undefined {
  if ((s.length !== 10 && s.length !== 8) || s.charCodeAt(2) !== 47 || s.charCodeAt(5) !== 47) return undefined;
  const day = digits(s, 0, 2);
  const month = digits(s, 3, 2);
  let year = digits(s, 6, s.length - 6);
  if (day < 1 || month < 1 || month > 12 || year < 0) return undefined;
  if (s.length === 8) year += 2000;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const max = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
  if (day > max) return undefined;
  return { year, month, day };
}

export interface LocalTime {
  hour: number;
  minute: number;
  second: number;
  ms: number;
}

/** `HH:mm`, `HH:mm:ss` or `HH:mm:ss.mmm` (1–3 fraction digits) as ms since midnight; -1 when malformed. */
export function parseTimeOfDayMs(s: string): number {
  const n = s.length;
  if (n < 5 || s.charCodeAt(2) !== 58) return -1;
  const hour = digits(s, 0, 2);
  const minute = digits(s, 3, 2);
  let second = 0;
  let ms = 0;
  if (n > 5) {
    if (n < 8 || s.charCodeAt(5) !== 58) return -1;
    second = digits(s, 6, 2);
    if (n > 8) {
      if (s.charCodeAt(8) !== 46 || n > 12 || n === 9) return -1;
      ms = digits(s, 9, n - 9);
      for (let k = n - 9; k < 3; k++) ms *= 10;
    }
  }
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0) return -1;
  return ((hour * 60 + minute) * 60 + second) * 1000 + ms;
}

/** `HH:mm`, `HH:mm:ss` or `HH:mm:ss.mmm` as its parts. */
export function parseTime(s: string): LocalTime | undefined {
  const t = parseTimeOfDayMs(s);
  if (t < 0) return undefined;
  return { hour: Math.floor(t / 3_600_000), minute: Math.floor(t / 60_000) % 60, second: Math.floor(t / 1000) % 60, ms: t % 1000 };
}

/** An agent as Profit prints it, `3 - XP`; an empty field is an unknown agent. */
export function parseAgent(s: string): { code: number; name: string } | null | undefined {
  const t = s.trim();
  if (t === '') return null;
  const m = /^(\d{1,9})\s*-\s*(.*)$/.exec(t);
  if (!m) return undefined;
  return { code: Number(m[1]), name: m[2].trim() };
}

/** Aggressor codes as stored: 0 undefined, 1 buyer, 2 seller, 3 auction, 4 RLP. */
export const AGGRESSOR = { undefined: 0, buy: 1, sell: 2, auction: 3, rlp: 4 } as const;

export function parseAggressor(s: string): number | undefined {
  switch (normalizeWord(s)) {
    case 'comprador':
    case 'compra':
      return AGGRESSOR.buy;
    case 'vendedor':
    case 'venda':
      return AGGRESSOR.sell;
    case 'leilao':
      return AGGRESSOR.auction;
    case 'rlp':
      return AGGRESSOR.rlp;
    case 'indefinido':
    case '':
      return AGGRESSOR.undefined;
    default:
      return undefined;
  }
}

/** Lower case, no accents, trimmed: `Máximo` → `maximo`. */
export function normalizeWord(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').trim().toLowerCase();
}
