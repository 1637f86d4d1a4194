/**
 * Reads one Profit export into parsed rows: bytes → iconv-lite (the file's encoding) → papaparse
 * (records with their line numbers) → field parsers → batches of numbers (row-batch.ts), handed to
 * `emit`, which waits while the writer is behind. Nothing here touches the database: this half runs on
 * a thread of its own (reader-worker.ts) while the writer thread stores the batch before.
 *
 * The result says how the file ended: read to the end (rows, refused lines with line number and
 * reason, agents) or an `error` that means nothing of the file may be kept.
 */
import iconv from 'iconv-lite';
import { createReadStream } from 'node:fs';
import type { Transform } from 'node:stream';
import { open, stat } from 'node:fs/promises';
import type { CandleInterval, FileEncoding, ImportFileReport, RefusedLine } from '../../../common/marketdata.js';
import { saoPauloFixedDayStartMs, saoPauloInstantMs } from '../sp-instant.js';
import { BatchBuilder, type RowBatch } from './row-batch.js';
import { delimitedRecords, LineTooLongError } from './delimited-records.js';
import { detectEncoding, detectLayout, iconvName, NotProfitFileError, type CandleColumns, type Layout, type TradeColumns } from './profit-detect.js';
import { normalizeWord, parseAgent, parseAggressor, parseDate, parseScaled, parseTimeOfDayMs, TOO_PRECISE, type LocalDate, type NumberStyle } from './profit-fields.js';

/** 1 GiB: about 14 million candle rows; a bigger export is better split by period in Profit. */
export const DEFAULT_MAX_FILE_BYTES = 1024 ** 3;
const HEAD_BYTES = 64 * 1024;
export const MAX_LINE_CHARS = 64 * 1024;
export const IMPORT_CHUNK_BYTES = 256 * 1024;
const MAX_REFUSED_LISTED = 1_000;
/** Rows held back until the candle interval is known (the time step between rows says it). */
const INTERVAL_SAMPLE_ROWS = 2_000;
const PROGRESS_EVERY_ROWS = 20_000;
const PRICE_PLACES = 2;

export interface ImportProgress {
  bytesRead: number;
  totalBytes: number;
  rowsRead: number;
}

export interface ReadOptions {
  maxBytes?: number;
  /** Candle interval when the file cannot tell (one candle per day with a time column). */
  interval?: CandleInterval;
}

export interface ReadOut {
  /** Resolves when the writer has room for another batch. */
  emit(batch: RowBatch): Promise<void>;
  /** Once the file is recognized, before any row. */
  detected(variant: NonNullable<ImportFileReport['variant']>, encoding: FileEncoding, totalBytes: number): void;
  /** Every PROGRESS_EVERY_ROWS rows; `line` is the last line read (where a cancel stops). */
  progress(p: ImportProgress, line: number): void;
}

/** The file's report without what only the writer knows (stored, duplicates, series). */
export interface ReadResult {
  report: ImportFileReport;
  /** Broker codes and names seen in a trade file. */
  agents: Array<[number, string]>;
  /** The last line read. */
  lastLine: number;
}

const INTERVAL_BY_MINUTES = new Map<number, CandleInterval>([
  [1, '1m'], [2, '2m'], [5, '5m'], [10, '10m'], [15, '15m'], [30, '30m'], [60, '60m'],
]);

const SYMBOL = /^[A-Z0-9][A-Z0-9$@_.]{0,19}$/;
const DATE_SHAPE = /^\d\d\/\d\d\/(\d\d|\d{4})$/;

class Refusal extends Error {}

/** A first field that could be `Ativo` (any case, after blanks): the cheap test before normalizing a row's word. */
function mayBeHeader(first: string): boolean {
  const c = first.charCodeAt(0);
  return c === 65 || c === 97 || c <= 32;
}

function fmtBytes(n: number): string {
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1).replace('.', ',')} GB` : `${Math.round(n / 1024 ** 2)} MB`;
}

async function readHead(file: string, size: number): Promise<{ head: Buffer; lastBytes: Buffer }> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(Math.min(size, HEAD_BYTES));
    await fh.read(head, 0, head.length, 0);
    const lastBytes = Buffer.alloc(Math.min(size, 2));
    await fh.read(lastBytes, 0, lastBytes.length, size - lastBytes.length);
    return { head, lastBytes };
  } finally {
    await fh.close();
  }
}

function endsWithNewline(last: Buffer, enc: FileEncoding): boolean {
  if (enc === 'utf-16le') return last.length === 2 && last[0] === 0x0a && last[1] === 0;
  return last.length > 0 && last[last.length - 1] === 0x0a;
}

/** Parses fields of a row; every failure is a Refusal naming the column. */
interface DateEntry {
  date: LocalDate;
  iso: string;
  /** São Paulo midnight in epoch ms when the day's offset holds all day (every day since 2019). */
  dayStartMs: number | undefined;
}

class RowReader {
  private readonly dates = new Map<string, DateEntry>();
  // A file is one symbol, or a few in runs: the last one read is checked once, not per row.
  private lastSymbolRaw = '';
  private lastSymbol = '';
  constructor(private readonly style: NumberStyle) {}

  symbol(s: string): string {
    if (s === this.lastSymbolRaw) return this.lastSymbol;
    const v = s.trim().toUpperCase();
    if (!SYMBOL.test(v)) throw new Refusal(`Ativo inválido: "${s}"`);
    this.lastSymbolRaw = s;
    this.lastSymbol = v;
    return v;
  }

  date(s: string): DateEntry {
    let hit = this.dates.get(s);
    if (hit) return hit;
    const date = parseDate(s.trim());
    if (!date) throw new Refusal(DATE_SHAPE.test(s.trim()) ? `Data inexistente: "${s}"` : `Data inválida: "${s}" (esperado DD/MM/AAAA)`);
    const iso = `${date.year}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
    hit = { date, iso, dayStartMs: saoPauloFixedDayStartMs(date.year, date.month, date.day) };
    if (this.dates.size > 10_000) this.dates.clear();
    this.dates.set(s, hit);
    return hit;
  }

  instant(e: DateEntry, time: string | undefined): number {
    const d = e.date;
    if (time === undefined) return e.dayStartMs ?? saoPauloInstantMs(d.year, d.month, d.day);
    const t = parseTimeOfDayMs(time.trim());
    if (t < 0) throw new Refusal(`Hora inválida: "${time}" (esperado HH:mm:ss)`);
    if (e.dayStartMs !== undefined) return e.dayStartMs + t;
    return saoPauloInstantMs(d.year, d.month, d.day, Math.floor(t / 3_600_000), Math.floor(t / 60_000) % 60, Math.floor(t / 1000) % 60, t % 1000);
  }

  price(s: string, name: string): number {
    const v = parseScaled(s, this.style, PRICE_PLACES);
    if (v === TOO_PRECISE) throw new Refusal(`${name} com mais de ${PRICE_PLACES} casas decimais: "${s}"`);
    if (Number.isNaN(v)) throw new Refusal(`${name} não é um número: "${s}"`);
    if (v <= 0) throw new Refusal(`${name} deve ser positivo: "${s}"`);
    return v;
  }

  amount(s: string, name: string, places: number): number {
    const v = parseScaled(s, this.style, places);
    if (v === TOO_PRECISE) throw new Refusal(places === 0 ? `${name} não é inteira: "${s}"` : `${name} com mais de ${places} casas decimais: "${s}"`);
    if (Number.isNaN(v)) throw new Refusal(`${name} não é um número: "${s}"`);
    if (v < 0) throw new Refusal(`${name} negativo: "${s}"`);
    return v;
  }
}

interface PendingCandle {
  line: number;
  symbol: string;
  iso: string;
  startMs: number;
  timeKey: string | undefined;
  values: [number, number, number, number, number, number, number | null];
}

function detectInterval(rows: PendingCandle[]): CandleInterval | string {
  const counts = new Map<number, number>();
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1];
    const b = rows[i];
    if (a.symbol !== b.symbol || a.iso !== b.iso) continue;
    const minutes = Math.abs(b.startMs - a.startMs) / 60_000;
    if (minutes > 0) counts.set(minutes, (counts.get(minutes) ?? 0) + 1);
  }
  if (counts.size === 0) {
    if (rows.every((r) => r.timeKey === undefined || /^00:00(:00)?$/.test(r.timeKey.trim()))) return '1d';
    return 'não consegui identificar o intervalo das velas (nenhum dia com duas velas): informe o intervalo';
  }
  const [minutes] = [...counts.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0];
  return INTERVAL_BY_MINUTES.get(minutes) ?? `intervalo de ${minutes} min entre velas não suportado (1, 2, 5, 10, 15, 30 ou 60 min)`;
}

const FNV_PRIME = 16_777_619;
function hashTrade(a: number, b: number, c: number, d: number, e: number): number {
  let h = 2_166_136_261;
  for (const v of [a, b, c, d, e]) {
    h = Math.imul(h ^ (v & 0xffff), FNV_PRIME);
    h = Math.imul(h ^ Math.floor(v / 65_536), FNV_PRIME);
  }
  return h >>> 0;
}
const ORDINALS_PER_KEY = 2 ** 20;

const C1_CONTROLS = /[\u0080-\u009f]/;
/** Text read as latin-1 from a cp1252 file: the 0x80–0x9F characters (€, ‘, ”, …) put right. */
function fixCp1252(s: string): string {
  return C1_CONTROLS.test(s) ? iconv.decode(Buffer.from(s, 'latin1'), 'win1252') : s;
}

export async function readProfitFile(file: string, label: string, opts: ReadOptions, out: ReadOut): Promise<ReadResult> {
  const report: ImportFileReport = { file: label, rowsRead: 0, stored: 0, duplicates: 0, refused: [] };
  const agents = new Map<number, string>();
  let lastRecordLine = 0;
  const fail = (error: string): ReadResult => ({ report: { ...report, stored: 0, duplicates: 0, error }, agents: [], lastLine: lastRecordLine });
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) return fail('não é um arquivo');
    size = st.size;
  } catch (e) {
    return fail(`não consegui abrir o arquivo: ${(e as Error).message}`);
  }
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (size === 0) return fail('arquivo vazio');
  if (size > maxBytes) return fail(`arquivo de ${fmtBytes(size)} acima do limite de ${fmtBytes(maxBytes)}: exporte do Profit em períodos menores`);

  let layout: Layout;
  let encoding: FileEncoding;
  let lastBytes: Buffer;
  try {
    const h = await readHead(file, size);
    lastBytes = h.lastBytes;
    encoding = detectEncoding(h.head, size > h.head.length);
    const text = iconv.decode(h.head, iconvName(encoding));
    const lines = text.split(/\r?\n/);
    if (size > h.head.length) lines.pop();
    layout = detectLayout(lines);
  } catch (e) {
    if (e instanceof NotProfitFileError) return fail(e.message);
    return fail(`não consegui ler o arquivo: ${(e as Error).message}`);
  }
  report.encoding = encoding;
  report.variant = layout.variant;
  out.detected(layout.variant, encoding, size);

  const refusals: RefusedLine[] = report.refused;
  let refusedNotListed = 0;
  let lastRefusalWasCount = false;
  const refuse = (line: number, reason: string) => {
    if (refusals.length < MAX_REFUSED_LISTED) refusals.push({ line, reason });
    else refusedNotListed++;
  };

  let textFix = (s: string) => s;
  const reader = new RowReader(layout.style);
  const batch = new BatchBuilder();
  // A full batch waits here until the writer has room: the reader stays at most a bounded number of batches ahead.
  const send = async () => {
    if (batch.rows) await out.emit(batch.take(layout.kind === 'candles' ? interval! : 'trades'));
  };

  // ---- candles
  let interval: CandleInterval | undefined = layout.variant === 'candles-daily' ? '1d' : opts.interval;
  const pending: PendingCandle[] = [];
  const storeCandle = (symbol: string, iso: string, startMs: number, o: number, h: number, l: number, c: number, vol: number, qty: number, trades: number | null) => {
    let k = batch.push(symbol, iso);
    const v = batch.values;
    v[k++] = startMs;
    v[k++] = o;
    v[k++] = h;
    v[k++] = l;
    v[k++] = c;
    v[k++] = vol;
    v[k++] = qty;
    v[k] = trades ?? Number.NaN;
  };
  const flushPending = async () => {
    if (interval === undefined) {
      const r = detectInterval(pending);
      if (r.length > 3) throw new NotProfitFileError(r);
      interval = r as CandleInterval;
    }
    for (const p of pending) {
      storeCandle(p.symbol, p.iso, p.startMs, ...p.values);
      if (batch.full) await send();
    }
    pending.length = 0;
  };
  const candleNames = (cols: CandleColumns) => {
    const h = layout.header?.split(layout.delimiter);
    const n = (i: number, d: string) => h?.[i]?.trim() || d;
    return { open: n(cols.open, 'Abertura'), high: n(cols.high, 'Máximo'), low: n(cols.low, 'Mínimo'), close: n(cols.close, 'Fechamento'), volume: n(cols.volume, 'Volume'), qty: n(cols.qty, 'Quantidade') };
  };
  const onCandle = (f: string[], line: number, cols: CandleColumns, names: ReturnType<typeof candleNames>) => {
    const symbol = reader.symbol(f[cols.symbol]);
    const day = reader.date(f[cols.date]);
    const timeKey = cols.time === undefined ? undefined : f[cols.time];
    const startMs = reader.instant(day, interval === '1d' ? undefined : timeKey);
    const o = reader.price(f[cols.open], names.open);
    const h = reader.price(f[cols.high], names.high);
    const l = reader.price(f[cols.low], names.low);
    const c = reader.price(f[cols.close], names.close);
    const vol = reader.amount(f[cols.volume], names.volume, 2);
    const qty = reader.amount(f[cols.qty], names.qty, 0);
    const trades = cols.trades === undefined ? null : reader.amount(f[cols.trades], 'Negócios', 0);
    if (h < l) throw new Refusal(`${names.high} menor que ${names.low}`);
    if (o < l || o > h) throw new Refusal(`${names.open} fora do intervalo ${names.low}–${names.high}`);
    if (c < l || c > h) throw new Refusal(`${names.close} fora do intervalo ${names.low}–${names.high}`);
    if (interval !== undefined) storeCandle(symbol, day.iso, startMs, o, h, l, c, vol, qty, trades);
    else pending.push({ line, symbol, iso: day.iso, startMs, timeKey, values: [o, h, l, c, vol, qty, trades] });
  };

  // ---- trades
  let ordinalMs = Number.NaN;
  const ordinals = new Map<string, number>();
  const onTrade = (f: string[], cols: TradeColumns) => {
    const symbol = reader.symbol(f[cols.symbol]);
    const day = reader.date(f[cols.date]);
    const timeMs = reader.instant(day, f[cols.time]);
    const priceH = reader.price(f[cols.price], 'Preço');
    const qty = reader.amount(f[cols.qty], 'Quantidade', 0);
    if (qty === 0) throw new Refusal('Quantidade zero');
    const buyer = parseAgent(f[cols.buyer]);
    if (buyer === undefined) throw new Refusal(`Agente Comprador inválido: "${f[cols.buyer]}" (esperado "código - nome")`);
    const seller = parseAgent(f[cols.seller]);
    if (seller === undefined) throw new Refusal(`Agente Vendedor inválido: "${f[cols.seller]}" (esperado "código - nome")`);
    const aggressor = parseAggressor(f[cols.aggressor]);
    if (aggressor === undefined) throw new Refusal(`Agressor desconhecido: "${f[cols.aggressor]}" (Comprador, Vendedor, Leilão, RLP ou Indefinido)`);
    let tradeNumber: number | null = null;
    if (cols.tradeNumber !== undefined) tradeNumber = reader.amount(f[cols.tradeNumber], 'Número do negócio', 0);
    if (buyer && agents.size < 10_000) agents.set(buyer.code, textFix(buyer.name));
    if (seller && agents.size < 10_000) agents.set(seller.code, textFix(seller.name));
    let seq: number;
    if (tradeNumber !== null) seq = tradeNumber;
    else {
      // Identical trades within one millisecond are told apart by their order; files are sorted by
      // time (either way), so only the current millisecond's counters are kept. A trade series is
      // one per symbol, so the symbol stands for the series.
      if (timeMs !== ordinalMs) {
        ordinals.clear();
        ordinalMs = timeMs;
      }
      const h = hashTrade(priceH, qty, buyer?.code ?? -1, seller?.code ?? -1, aggressor);
      const key = `${symbol}:${h}`;
      const ord = ordinals.get(key) ?? 0;
      if (ord >= ORDINALS_PER_KEY) throw new Refusal('mais de um milhão de negócios idênticos no mesmo instante');
      ordinals.set(key, ord + 1);
      seq = -(h * ORDINALS_PER_KEY + ord + 1);
    }
    let k = batch.push(symbol, day.iso);
    const v = batch.values;
    v[k++] = timeMs;
    v[k++] = seq;
    v[k++] = priceH;
    v[k++] = qty;
    v[k++] = buyer?.code ?? Number.NaN;
    v[k++] = seller?.code ?? Number.NaN;
    v[k++] = aggressor;
    v[k] = tradeNumber ?? Number.NaN;
  };

  const headerKey = layout.header ? layout.header.split(layout.delimiter).map(normalizeWord).join('|') : undefined;
  const names = layout.kind === 'candles' ? candleNames(layout.cols) : undefined;
  const source = createReadStream(file, { highWaterMark: IMPORT_CHUNK_BYTES });
  // Node decodes UTF-8 and latin-1 itself (chunk boundaries inside a character included), far faster
  // than a decoding stream in front; cp1252 differs from latin-1 only in 0x80–0x9F, which appear in
  // agent names at most (fixed there). UTF-16 goes through iconv-lite.
  const decoder = encoding === 'utf-16le' ? (iconv.decodeStream(iconvName(encoding)) as Transform) : undefined;
  if (decoder) {
    source.on('error', (e) => decoder.destroy(e));
    source.pipe(decoder);
  } else source.setEncoding(encoding === 'windows-1252' ? 'latin1' : 'utf8');
  if (encoding === 'windows-1252') textFix = fixCp1252;
  let lastProgressRows = 0;

  try {
    for await (const records of delimitedRecords(decoder ?? source, layout.delimiter, MAX_LINE_CHARS)) {
      for (let r = 0; r < records.length; r++) {
        const f = records[r];
        const line = ++lastRecordLine;
        if (f.length === 1 && f[0].trim() === '') continue;
        if (headerKey !== undefined && mayBeHeader(f[0]) && normalizeWord(f[0]) === 'ativo') {
          // The file's own header, or the same header again where two exports were joined.
          if (f.map(normalizeWord).join('|') === headerKey) continue;
          throw new NotProfitFileError(`linha ${line}: cabeçalho de outro formato no meio do arquivo (arquivos misturados); nada foi gravado`);
        }
        report.rowsRead++;
        lastRefusalWasCount = false;
        if (f.length !== layout.fields) {
          lastRefusalWasCount = true;
          refuse(line, `esperados ${layout.fields} campos, encontrados ${f.length}`);
        } else {
          try {
            if (layout.kind === 'candles') onCandle(f, line, layout.cols, names!);
            else onTrade(f, layout.cols);
          } catch (e) {
            if (!(e instanceof Refusal)) throw e;
            refuse(line, e.message);
          }
        }
        if (pending.length >= INTERVAL_SAMPLE_ROWS) await flushPending();
        else if (batch.full) await send();
        if (report.rowsRead - lastProgressRows >= PROGRESS_EVERY_ROWS) {
          lastProgressRows = report.rowsRead;
          out.progress({ bytesRead: source.bytesRead, totalBytes: size, rowsRead: report.rowsRead }, line);
        }
      }
    }
    if (pending.length) await flushPending();
    await send();
    if (report.rowsRead === 0) return fail('arquivo sem linhas de dados (só o cabeçalho)');
    // A last line cut short (a copy interrupted, a download that stopped) is named as such.
    const last = refusals.at(-1);
    if (lastRefusalWasCount && last && last.line === lastRecordLine && !endsWithNewline(lastBytes, encoding)) {
      last.reason = `última linha truncada (${last.reason}): o arquivo parece cortado`;
    }
  } catch (e) {
    source.destroy();
    decoder?.destroy();
    const err = e as Error;
    const where = lastRecordLine ? ` (perto da linha ${lastRecordLine + 1})` : '';
    if (err instanceof NotProfitFileError) return fail(err.message);
    if (err instanceof LineTooLongError) return fail(`linha com mais de ${MAX_LINE_CHARS} caracteres${where}: não é uma exportação do Profit; nada foi gravado`);
    if (err instanceof Refusal) return fail(`${err.message}${where}; nada foi gravado`);
    return fail(`leitura interrompida${where}: ${err.message}; nada foi gravado`);
  }
  if (refusedNotListed) report.refusedNotListed = refusedNotListed;
  return { report, agents: [...agents], lastLine: lastRecordLine };
}
