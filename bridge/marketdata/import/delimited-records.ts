/**
 * Records of a delimited text stream, a chunk at a time: papaparse splits each chunk's complete lines
 * (in its fast mode: Profit exports never quote a field, so a `"` in a name is text, not a quote), and
 * the unfinished last line waits for the next chunk. Every line, empty ones too, is one record, so a
 * record's position is its line number. Memory: one chunk plus at most one line of `maxLineChars`.
 *
 * csv-parse walked every byte through its option checks at ~4 µs a row, above the whole budget of
 * an import (300,000 rows/s); papaparse's split costs a fraction of that.
 */
import Papa from 'papaparse';
import type { Readable } from 'node:stream';

export class LineTooLongError extends Error {
  constructor(readonly maxLineChars: number) {
    super(`linha com mais de ${maxLineChars} caracteres`);
  }
}

/**
 * Yields the records of `source` (a stream of strings: call setEncoding, or pipe a decoder) in
 * batches, one batch per chunk read. A leading BOM is dropped; a CR before the LF is not part of the
 * last field (CRLF, LF and mixed files alike).
 */
export async function* delimitedRecords(source: Readable, delimiter: string, maxLineChars: number): AsyncGenerator<string[][]> {
  const config: Papa.ParseConfig = { delimiter, newline: '\n', fastMode: true };
  let partial = '';
  let first = true;
  const split = (text: string): string[][] => {
    if (text === '') return [['']]; // one empty line (papaparse reads '' as no line at all)
    const rows = Papa.parse<string[]>(text, config).data;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      const last = r[r.length - 1];
      if (last.charCodeAt(last.length - 1) === 13) r[r.length - 1] = last.slice(0, -1);
    }
    return rows;
  };
  for await (const chunk of source) {
    let text = partial + (chunk as string);
    if (first) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const cut = text.lastIndexOf('\n');
    if (cut < 0) {
      partial = text;
      if (partial.length > maxLineChars) throw new LineTooLongError(maxLineChars);
      continue;
    }
    partial = text.slice(cut + 1);
    if (partial.length > maxLineChars) throw new LineTooLongError(maxLineChars);
    yield split(text.slice(0, cut));
  }
  if (partial !== '') yield split(partial);
}
