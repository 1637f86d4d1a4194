/**
 * pt-BR presentation helpers: numbers "1.234,56", dates "dd/mm/aaaa" in America/Sao_Paulo,
 * and the Portuguese labels of wire enums. Pure functions, shared by pane, functions and sheets.
 */
import type { OrderStatus, Side } from '../../../common/types.js';

const TZ = 'America/Sao_Paulo';

const numberFormats = new Map<string, Intl.NumberFormat>();
function nf(minDigits: number, maxDigits: number, extra?: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${minDigits}:${maxDigits}:${JSON.stringify(extra ?? {})}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat('pt-BR', { minimumFractionDigits: minDigits, maximumFractionDigits: maxDigits, ...extra });
    numberFormats.set(key, f);
  }
  return f;
}

function finite(n: number | null | undefined): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

/** Integer quantity: 12.300 */
export function fmtQty(n: number | null | undefined): string {
  return finite(n) ? nf(0, 0).format(n) : '—';
}

/** Price with 2 decimals (or more when the value needs them): 36,50 */
export function fmtPrice(n: number | null | undefined, decimals = 2): string {
  return finite(n) ? nf(decimals, Math.max(decimals, 4)).format(n) : '—';
}

/** Decimal number with fixed decimals: 1.234,56 */
export function fmtNumber(n: number | null | undefined, decimals = 2): string {
  return finite(n) ? nf(decimals, decimals).format(n) : '—';
}

/** Money in BRL: R$ 1.234,56 (negative: -R$ 1.234,56) */
export function fmtMoney(n: number | null | undefined): string {
  return finite(n) ? nf(2, 2, { style: 'currency', currency: 'BRL' }).format(n) : '—';
}

/** Percent from a percent number (12.5 → "12,50%"). */
export function fmtPct(n: number | null | undefined, decimals = 2): string {
  return finite(n) ? `${nf(decimals, decimals).format(n)}%` : '—';
}

/** Signed percent for changes: +1,23% / -0,50% */
export function fmtChangePct(n: number | null | undefined): string {
  if (!finite(n)) return '—';
  const s = nf(2, 2).format(Math.abs(n));
  return `${n > 0 ? '+' : n < 0 ? '-' : ''}${s}%`;
}

/** Basis points: 12,3 bps */
export function fmtBps(n: number | null | undefined): string {
  return finite(n) ? `${nf(1, 1).format(n)} bps` : '—';
}

const dateParts = new Intl.DateTimeFormat('pt-BR', {
  timeZone: TZ,
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

function parts(iso: string | number | Date): Record<string, string> | undefined {
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return undefined;
  const out: Record<string, string> = {};
  for (const p of dateParts.formatToParts(d)) out[p.type] = p.value;
  return out;
}

/** ISO date-only strings (yyyy-mm-dd) are calendar dates: no time-zone shift. */
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** dd/mm/aaaa */
export function fmtDate(iso: string | undefined | null): string {
  if (!iso) return '—';
  const m = DATE_ONLY.exec(iso);
  if (m) return `${m[3]}/${m[2]}/${m[1]}`;
  const p = parts(iso);
  return p ? `${p.day}/${p.month}/${p.year}` : '—';
}

/** dd/mm/aaaa hh:mm:ss */
export function fmtDateTime(iso: string | undefined | null): string {
  if (!iso) return '—';
  const p = parts(iso);
  return p ? `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}:${p.second}` : '—';
}

/** hh:mm:ss */
export function fmtTime(iso: string | undefined | null): string {
  if (!iso) return '—';
  const p = parts(iso);
  return p ? `${p.hour}:${p.minute}:${p.second}` : '—';
}

// ------------------------------------------------------------------ values for Excel cells

const MS_PER_DAY = 86_400_000;
/** Day 0 of Excel's 1900 date system as Excel counts it (serial 1 = 01/01/1900, with the 1900 leap-year quirk). */
const EXCEL_EPOCH_UTC = Date.UTC(1899, 11, 30);

/**
 * An ISO instant as an Excel date serial in B3 time (days since 30/12/1899; the fraction is the
 * time of day, to the second), so a sheet can sort, subtract and chart it. A date-only string
 * ("2026-12-28") is that calendar day, with no time-zone shift. Undefined when not a date.
 */
export function excelSerial(iso: string | undefined | null): number | undefined {
  if (!iso) return undefined;
  const m = DATE_ONLY.exec(iso);
  if (m) return (Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) - EXCEL_EPOCH_UTC) / MS_PER_DAY;
  const p = parts(iso);
  if (!p) return undefined;
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return (wall - EXCEL_EPOCH_UTC) / MS_PER_DAY;
}

/** The B3 calendar day of an instant as an Excel date serial (an integer). */
export function excelDateSerial(iso: string | undefined | null): number | undefined {
  const v = excelSerial(iso);
  return v === undefined ? undefined : Math.floor(v);
}

/** The B3 time of day of an instant as an Excel time serial (a fraction of a day). */
export function excelTimeSerial(iso: string | undefined | null): number | undefined {
  const v = excelSerial(iso);
  return v === undefined ? undefined : v - Math.floor(v);
}

/** Decimals a price of this tick is written with: R$ 0,01 → 2, WDO 0,5 → 1, WIN 5 → 0. */
export function priceDecimals(tickSize: number | undefined): number {
  if (!(typeof tickSize === 'number' && tickSize > 0)) return 2;
  for (let d = 0; d <= 6; d++) if (Math.abs(Math.round(tickSize * 10 ** d) - tickSize * 10 ** d) < 1e-9) return d;
  return 6;
}

/** A number rounded to `decimals` (half away from zero), for cells that should not show float noise. */
export function roundTo(n: number, decimals: number): number {
  const f = 10 ** decimals;
  return (Math.sign(n) * Math.round(Math.abs(n) * f * (1 + Number.EPSILON))) / f;
}

export const STATUS_LABELS: Record<OrderStatus, string> = {
  pending_new: 'Pendente',
  working: 'Em execução',
  partially_filled: 'Parcial',
  filled: 'Executada',
  pending_cancel: 'Cancelando',
  canceled: 'Cancelada',
  rejected: 'Rejeitada',
  expired: 'Expirada',
  paused: 'Pausada',
};

export function statusLabel(s: string): string {
  return (STATUS_LABELS as Record<string, string>)[s] ?? s;
}

/** Statuses in which an order can still trade or be acted on. */
export const OPEN_STATUSES: ReadonlySet<string> = new Set(['pending_new', 'working', 'partially_filled', 'pending_cancel', 'paused']);

export function isOpenStatus(s: string): boolean {
  return OPEN_STATUSES.has(s);
}

export const SIDE_LABELS: Record<Side, string> = { buy: 'Compra', sell: 'Venda' };

export function sideLabel(s: string): string {
  return (SIDE_LABELS as Record<string, string>)[s] ?? s;
}

/** Lower-case, accents removed, trimmed: for forgiving comparisons of user text. */
export function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .trim()
    .toLowerCase();
}

/** "30/12/2024" → "2024-12-30"; undefined for anything that is not a real calendar day. */
export function parseDateBr(text: string): string | undefined {
  const m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(text);
  if (!m) return undefined;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const probe = new Date(Date.UTC(y, mo - 1, d));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d) return undefined;
  return `${m[3]}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}
