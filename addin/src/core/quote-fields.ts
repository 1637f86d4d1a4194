/**
 * Quote fields named as in Profit's RTD server (rtdtrading.rtdserver), so =BLACKBOX.COTACAO("PETR4";"ULT")
 * reads like =RTD("rtdtrading.rtdserver";;"PETR4_B_0";"ULT"). Every field is a number a sheet can
 * compute with: prices rounded to the instrument's decimals, HOR and DAT as Excel time and date
 * serials in B3 time (format the cell as hh:mm:ss or dd/mm/aaaa).
 */
import type { QuoteView } from '../../../common/types.js';
import { excelDateSerial, excelTimeSerial, priceDecimals, roundTo } from './format.js';

export interface QuoteField {
  code: string;
  label: string;
  /** The field's value; `tickSize` (when known) sets the decimals of price fields. */
  get(q: QuoteView, tickSize?: number): number | undefined;
}

function px(n: number | undefined, tickSize: number | undefined): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) ? roundTo(n, priceDecimals(tickSize)) : undefined;
}

function num(n: number | undefined): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

const FIELDS: QuoteField[] = [
  { code: 'ULT', label: 'Último preço', get: (q, t) => px(q.last, t) },
  { code: 'ABE', label: 'Abertura', get: (q, t) => px(q.open, t) },
  { code: 'MAX', label: 'Máxima', get: (q, t) => px(q.high, t) },
  { code: 'MIN', label: 'Mínima', get: (q, t) => px(q.low, t) },
  { code: 'FEC', label: 'Fechamento anterior', get: (q, t) => px(q.prevClose, t) },
  { code: 'VAR', label: 'Variação (%)', get: (q) => (num(q.changePct) === undefined ? undefined : roundTo(q.changePct!, 2)) },
  {
    code: 'VARPTS',
    label: 'Variação (pontos)',
    get: (q, t) => (num(q.last) !== undefined && num(q.prevClose) !== undefined ? px(q.last! - q.prevClose!, t) : undefined),
  },
  {
    code: 'MED',
    label: 'Preço médio do dia',
    // an average: two decimals more than the tick's
    get: (q, t) => (q.volumeQty > 0 && num(q.volumeBrl) !== undefined ? roundTo(q.volumeBrl / q.volumeQty, priceDecimals(t) + 2) : undefined),
  },
  { code: 'NEG', label: 'Número de negócios', get: (q) => num(q.trades) },
  { code: 'QTT', label: 'Quantidade negociada', get: (q) => num(q.volumeQty) },
  { code: 'VOL', label: 'Volume financeiro (R$)', get: (q) => (num(q.volumeBrl) === undefined ? undefined : roundTo(q.volumeBrl, 2)) },
  { code: 'OCP', label: 'Melhor oferta de compra', get: (q, t) => px(q.bid, t) },
  { code: 'OVD', label: 'Melhor oferta de venda', get: (q, t) => px(q.ask, t) },
  { code: 'VOC', label: 'Quantidade na melhor compra', get: (q) => num(q.bidQty) },
  { code: 'VOV', label: 'Quantidade na melhor venda', get: (q) => num(q.askQty) },
  { code: 'HOR', label: 'Hora da última atualização', get: (q) => excelTimeSerial(q.time) },
  { code: 'DAT', label: 'Data da última atualização', get: (q) => excelDateSerial(q.time) },
];

const ALIASES: Record<string, string> = {
  ULTIMO: 'ULT',
  LAST: 'ULT',
  ABERTURA: 'ABE',
  OPEN: 'ABE',
  HIGH: 'MAX',
  LOW: 'MIN',
  FECHAMENTO: 'FEC',
  CLOSE: 'FEC',
  BID: 'OCP',
  ASK: 'OVD',
  VOLUME: 'VOL',
  NEGOCIOS: 'NEG',
  TRADES: 'NEG',
};

const BY_CODE = new Map(FIELDS.map((f) => [f.code, f]));

export const QUOTE_FIELD_CODES: readonly string[] = FIELDS.map((f) => f.code);

/** Code and label of every field, in order (the COTACAO campo list is checked against it). */
export const QUOTE_FIELDS: ReadonlyArray<{ code: string; label: string }> = FIELDS.map(({ code, label }) => ({ code, label }));

export function findQuoteField(text: string): QuoteField | undefined {
  const key = String(text ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .trim()
    .toUpperCase();
  return BY_CODE.get(ALIASES[key] ?? key);
}
