import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { delimitedRecords, LineTooLongError } from '../../bridge/marketdata/import/delimited-records.js';

/** A stream of the given byte chunks, decoded as UTF-8 the way the import reads a file. */
function streamOf(chunks: Buffer[]): PassThrough {
  const s = new PassThrough();
  s.setEncoding('utf8');
  for (const c of chunks) s.write(c);
  s.end();
  return s;
}

async function records(chunks: Buffer[], maxLineChars = 1_000): Promise<string[][]> {
  const out: string[][] = [];
  for await (const batch of delimitedRecords(streamOf(chunks), ';', maxLineChars)) out.push(...batch);
  return out;
}

/** `text` cut every `size` bytes, so lines and characters straddle chunks. */
function cut(text: string, size: number): Buffer[] {
  const b = Buffer.from(text, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

describe('delimited records', () => {
  const text = '\ufeffAtivo;Data\r\nPETR4;02/01/2020\n\nVALE3;Ação "ON"\r\n;\nITUB4;fim';
  const expected = [['Ativo', 'Data'], ['PETR4', '02/01/2020'], [''], ['VALE3', 'Ação "ON"'], ['', ''], ['ITUB4', 'fim']];

  it('gives one record per line (empty lines too, so positions are line numbers), whatever the chunking', async () => {
    for (const size of [1, 2, 3, 5, 7, 64, 4096]) expect(await records(cut(text, size)), `chunks of ${size} bytes`).toEqual(expected);
  });

  it('keeps a CR out of the last field and a quote as text', async () => {
    const r = await records([Buffer.from('A;"b\r\nc;d"\r\n')]);
    expect(r).toEqual([['A', '"b'], ['c', 'd"']]);
  });

  it('refuses a line that grows past the limit instead of holding it in memory', async () => {
    await expect(records(cut('a;b\n' + 'x'.repeat(5_000), 256))).rejects.toBeInstanceOf(LineTooLongError);
  });

  it('reads nothing from an empty stream and no phantom line after a final newline', async () => {
    expect(await records([])).toEqual([]);
    expect(await records([Buffer.from('a;b\n')])).toEqual([['a', 'b']]);
  });
});
