/**
 * Quote fields named as in Profit's RTD server (rtdtrading.rtdserver), so =BLACKBOX.COTACAO("PETR4";"ULT")
 * reads like =RTD("rtdtrading.rtdserver";;"PETR4_B_0";"ULT").
 */
import type { QuoteView } from '../../../common/types.js';
import { fmtDate, fmtTime } from './format.js';

export interface QuoteField {
  code: string;
  label: string;
  get(q: QuoteView): number | string | undefined;
}

function num(n: number | undefined): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

const FIELDS: QuoteField[] = [
  { code: 'ULT', label: 'Último preço', get: (q) => num(q.last) },
  { code: 'ABE', label: 'Abertura', get: (q) => num(q.open) },
  { code: 'MAX', label: 'Máxima', get: (q) => num(q.high) },
  { code: 'MIN', label: 'Mínima', get: (q) => num(q.low) },
  { code: 'FEC', label: 'Fechamento anterior', get: (q) => num(q.prevClose) },
  { code: 'VAR', label: 'Variação (%)', get: (q) => num(q.changePct) },
  {
    code: 'VARPTS',
    label: 'Variação (pontos)',
    get: (q) => (num(q.last) !== undefined && num(q.prevClose) !== undefined ? round(q.last! - q.prevClose!, 6) : undefined),
  },
  {
    code: 'MED',
    label: 'Preço médio do dia',
    get: (q) => (q.volumeQty > 0 && num(q.volumeBrl) !== undefined ? round(q.volumeBrl / q.volumeQty, 4) : undefined),
  },
  { code: 'NEG', label: 'Número de negócios', get: (q) => num(q.trades) },
  { code: 'QTT', label: 'Quantidade negociada', get: (q) => num(q.volumeQty) },
  { code: 'VOL', label: 'Volume financeiro (R$)', get: (q) => num(q.volumeBrl) },
  { code: 'OCP', label: 'Melhor oferta de compra', get: (q) => num(q.bid) },
  { code: 'OVD', label: 'Melhor oferta de venda', get: (q) => num(q.ask) },
  { code: 'VOC', label: 'Quantidade na melhor compra', get: (q) => num(q.bidQty) },
  { code: 'VOV', label: 'Quantidade na melhor venda', get: (q) => num(q.askQty) },
  { code: 'HOR', label: 'Hora da última atualização', get: (q) => (q.time ? fmtTime(q.time) : undefined) },
  { code: 'DAT', label: 'Data da última atualização', get: (q) => (q.time ? fmtDate(q.time) : undefined) },
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

export function findQuoteField(text: string): QuoteField | undefined {
  const key = String(text ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .trim()
    .toUpperCase();
  return BY_CODE.get(ALIASES[key] ?? key);
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
