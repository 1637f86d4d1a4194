/**
 * Which Profit export a file is, from its content alone (names get renamed): the encoding from the
 * first bytes, then the layout from the first lines — a header (`Ativo;Data;Hora;…`) or, without one,
 * the shape of the first data row. Each variant is described in reference/profitdll.md §14.
 */
import type { FileEncoding, ProfitVariant } from '../../../common/marketdata.js';
import { DOT_DECIMAL, normalizeWord, parseAgent, parseAggressor, parseDate, parseScaled, parseTime, PT_BR, type NumberStyle } from './profit-fields.js';

export class NotProfitFileError extends Error {}

/** Bytes in cp1252 that map to no character: their presence rules cp1252 out. */
const CP1252_UNDEFINED = new Set([0x81, 0x8d, 0x8f, 0x90, 0x9d]);

/** The encoding of a file from its first bytes (a BOM, valid UTF-8, or cp1252 text). */
export function detectEncoding(head: Buffer, fileIsLonger: boolean): FileEncoding {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8-bom';
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) {
    throw new NotProfitFileError('codificação UTF-16 big-endian não suportada: salve o arquivo como UTF-8 ou Windows-1252');
  }
  let bin = 0;
  for (let i = 0; i < head.length; i++) {
    const b = head[i];
    if (b === 0 || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) bin++;
  }
  if (bin > 0) throw new NotProfitFileError('o arquivo não é texto (bytes de controle/binário): não é uma exportação CSV do Profit');
  // A multi-byte character cut at the end of the sample is not an error.
  let end = head.length;
  if (fileIsLonger) {
    let k = end - 1;
    while (k >= 0 && k > end - 4 && (head[k] & 0xc0) === 0x80) k--;
    if (k >= 0 && head[k] >= 0xc0) end = k;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, end));
    return 'utf-8';
  } catch {
    for (let i = 0; i < head.length; i++) {
      if (CP1252_UNDEFINED.has(head[i])) {
        throw new NotProfitFileError(`codificação desconhecida: nem UTF-8 nem Windows-1252 (byte 0x${head[i].toString(16)} na posição ${i})`);
      }
    }
    return 'windows-1252';
  }
}

/** iconv-lite's name for an encoding. */
export function iconvName(e: FileEncoding): string {
  return e === 'windows-1252' ? 'win1252' : e === 'utf-16le' ? 'utf16le' : 'utf8';
}

export interface CandleColumns {
  symbol: number;
  date: number;
  time: number | undefined;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  qty: number;
  trades: number | undefined;
}

export interface TradeColumns {
  symbol: number;
  date: number;
  time: number;
  buyer: number;
  price: number;
  qty: number;
  seller: number;
  aggressor: number;
  tradeNumber: number | undefined;
}

export type Layout =
  | { kind: 'candles'; variant: ProfitVariant; delimiter: string; style: NumberStyle; header: string | undefined; fields: number; cols: CandleColumns }
  | { kind: 'trades'; variant: ProfitVariant; delimiter: string; style: NumberStyle; header: string | undefined; fields: number; cols: TradeColumns };

const CANDLE_HEADER: Record<string, keyof CandleColumns> = {
  ativo: 'symbol',
  data: 'date',
  hora: 'time',
  abertura: 'open',
  maximo: 'high',
  maxima: 'high',
  minimo: 'low',
  minima: 'low',
  fechamento: 'close',
  volume: 'volume',
  quantidade: 'qty',
  negocios: 'trades',
};

const TRADE_HEADER: Record<string, keyof TradeColumns> = {
  ativo: 'symbol',
  data: 'date',
  hora: 'time',
  'agente comprador': 'buyer',
  comprador: 'buyer',
  preco: 'price',
  quantidade: 'qty',
  'agente vendedor': 'seller',
  vendedor: 'seller',
  agressor: 'aggressor',
  agressao: 'aggressor',
  negocio: 'tradeNumber',
  'numero negocio': 'tradeNumber',
  'numero do negocio': 'tradeNumber',
};

function delimiterOf(line: string): string {
  const counts = [';', ',', '\t'].map((d) => [d, line.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  if (counts[0][1] === 0) throw new NotProfitFileError(`a primeira linha não tem separador ; , ou tabulação: "${preview(line)}"`);
  return counts[0][0];
}

function preview(line: string): string {
  return line.length > 80 ? `${line.slice(0, 80)}…` : line;
}

function headerLayout(line: string, delimiter: string): Layout | undefined {
  const names = line.split(delimiter).map(normalizeWord);
  if (names[0] !== 'ativo' || names[1] !== 'data') return undefined;
  const style = delimiter === ';' ? PT_BR : DOT_DECIMAL;
  const isTrades = names.some((n) => n === 'preco' || n.startsWith('agente'));
  const map = (isTrades ? TRADE_HEADER : CANDLE_HEADER) as Record<string, string>;
  const cols: Record<string, number> = {};
  names.forEach((n, i) => {
    const k = map[n];
    if (k === undefined) throw new NotProfitFileError(`cabeçalho com coluna desconhecida "${line.split(delimiter)[i]}" (coluna ${i + 1})`);
    if (cols[k] !== undefined) throw new NotProfitFileError(`cabeçalho com a coluna "${line.split(delimiter)[i]}" repetida`);
    cols[k] = i;
  });
  const required = isTrades
    ? ['symbol', 'date', 'time', 'buyer', 'price', 'qty', 'seller', 'aggressor']
    : ['symbol', 'date', 'open', 'high', 'low', 'close', 'volume', 'qty'];
  const missing = required.filter((k) => cols[k] === undefined);
  if (missing.length) throw new NotProfitFileError(`cabeçalho sem as colunas: ${missing.join(', ')}`);
  if (isTrades) return { kind: 'trades', variant: 'trades-header', delimiter, style, header: line, fields: names.length, cols: cols as unknown as TradeColumns };
  return { kind: 'candles', variant: 'candles-formatted', delimiter, style, header: line, fields: names.length, cols: cols as unknown as CandleColumns };
}

const isNumber = (s: string, style: NumberStyle) => Number.isFinite(parseScaled(s, style, 6));

function headerlessLayout(line: string, delimiter: string): Layout | undefined {
  const f = line.split(delimiter);
  const style = delimiter === ';' ? PT_BR : DOT_DECIMAL;
  if (!parseDate(f[1] ?? '')) return undefined;
  const timeAt2 = parseTime(f[2] ?? '') !== undefined;
  const agent = (s: string | undefined) => s !== undefined && !!parseAgent(s);
  const aggressorWord = (s: string | undefined) => s !== undefined && s.trim() !== '' && parseAggressor(s) !== undefined;
  if (timeAt2 && f.length === 8 && agent(f[3]) && agent(f[6]) && aggressorWord(f[7])) {
    return { kind: 'trades', variant: 'trades-headerless', delimiter, style, header: undefined, fields: 8, cols: { symbol: 0, date: 1, time: 2, buyer: 3, price: 4, qty: 5, seller: 6, aggressor: 7, tradeNumber: undefined } };
  }
  if (timeAt2 && f.length === 9 && agent(f[4]) && agent(f[7]) && aggressorWord(f[8])) {
    return { kind: 'trades', variant: 'trades-headerless', delimiter, style, header: undefined, fields: 9, cols: { symbol: 0, date: 1, time: 2, tradeNumber: 3, buyer: 4, price: 5, qty: 6, seller: 7, aggressor: 8 } };
  }
  if (timeAt2 && f.length === 9 && f.slice(3).every((x) => isNumber(x, style))) {
    return { kind: 'candles', variant: 'candles-intraday', delimiter, style, header: undefined, fields: 9, cols: { symbol: 0, date: 1, time: 2, open: 3, high: 4, low: 5, close: 6, volume: 7, qty: 8, trades: undefined } };
  }
  if (!timeAt2 && f.length === 8 && f.slice(2).every((x) => isNumber(x, style))) {
    return { kind: 'candles', variant: 'candles-daily', delimiter, style, header: undefined, fields: 8, cols: { symbol: 0, date: 1, time: undefined, open: 2, high: 3, low: 4, close: 5, volume: 6, qty: 7, trades: undefined } };
  }
  return undefined;
}

/**
 * The layout of a file from its first non-empty lines. A header decides at once; without one the
 * first line that parses as a known row shape decides (a broken first row does not hide the rest).
 */
export function detectLayout(lines: string[]): Layout {
  const nonEmpty = lines.filter((l) => l.trim() !== '');
  if (nonEmpty.length === 0) throw new NotProfitFileError('arquivo vazio: nenhuma linha com dados');
  const first = nonEmpty[0];
  const delimiter = delimiterOf(first);
  const byHeader = headerLayout(first, delimiter);
  if (byHeader) return byHeader;
  for (const line of nonEmpty.slice(0, 20)) {
    const l = headerlessLayout(line, delimiterOf(line));
    if (l) return l;
  }
  throw new NotProfitFileError(
    `não parece uma exportação do Profit: a primeira linha é "${preview(first)}" ` +
      '(esperado o cabeçalho Ativo;Data;Hora;Abertura;… ou linhas como PETR4;30/12/2024;17:00:00;32,83;…)',
  );
}
