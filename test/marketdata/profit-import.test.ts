/**
 * Profit exports into the market database: every variant of reference/profitdll.md §14 from small
 * files written for these tests (test/marketdata/fixtures), numbers stored equal to the file's to
 * the centavo, idempotent re-import, overlapping files, and every kind of broken line or file.
 */
import { mkdtempSync, openSync, closeSync, ftruncateSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { importProfitFile } from '../../bridge/marketdata/import/profit-import.js';
import { MarketDb } from '../../bridge/marketdata/market-db.js';
import { saoPauloInstantMs } from '../../bridge/marketdata/sp-instant.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fx = (name: string) => path.join(FIX, name);

let dir: string;
let db: MarketDb;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'blackbox-mdb-'));
  db = MarketDb.open(path.join(dir, 'market.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const imp = (name: string, opts = {}) => importProfitFile(db, fx(name), name, opts);
const iso = (ms: number) => new Date(ms).toISOString();

describe('variants', () => {
  it('formatted export with header, cp1252, CRLF, newest first: thousands dots and decimal commas exact', async () => {
    const r = await imp('winfut-5min-formatado-cp1252.csv');
    expect(r).toMatchObject({ variant: 'candles-formatted', encoding: 'windows-1252', rowsRead: 3, stored: 3, duplicates: 0, refused: [], series: ['WINFUT 5m'] });
    const rows = db.candles('WINFUT', '5m', 0, Number.MAX_SAFE_INTEGER, 100);
    expect(rows.map((c) => iso(c.startMs))).toEqual(['2024-12-30T21:10:00.000Z', '2024-12-30T21:15:00.000Z', '2024-12-30T21:20:00.000Z']);
    // WINFUT;30/12/2024;18:20:00;124.080;124.090;123.938;123.983;600.822.115,84;24.228
    expect(rows[2]).toEqual({ startMs: Date.parse('2024-12-30T21:20:00Z'), openH: 12_408_000, highH: 12_409_000, lowH: 12_393_800, closeH: 12_398_300, volumeCentavos: 60_082_211_584, qty: 24_228, trades: null });
    // Continuous series apart from dated contracts.
    expect(db.find('WINZ24', '5m')).toBeUndefined();
  });

  it('headerless intraday (9 fields) and daily (8 fields, UTF-8 with BOM)', async () => {
    const a = await imp('petr4-15min-sem-cabecalho.csv');
    expect(a).toMatchObject({ variant: 'candles-intraday', encoding: 'utf-8', stored: 3, series: ['PETR4 15m'] });
    const c = db.candles('PETR4', '15m', 0, Number.MAX_SAFE_INTEGER, 10)[1];
    // PETR4;30/12/2024;10:15:00;32,60;32,97;32,55;32,90;215181183,90;6552300
    expect(c).toMatchObject({ startMs: saoPauloInstantMs(2024, 12, 30, 10, 15), openH: 3260, highH: 3297, lowH: 3255, closeH: 3290, volumeCentavos: 21_518_118_390, qty: 6_552_300 });
    const d = await imp('vale3-diario-bom.csv');
    expect(d).toMatchObject({ variant: 'candles-daily', encoding: 'utf-8-bom', stored: 3, series: ['VALE3 1d'] });
    const days = db.candles('VALE3', '1d', 0, Number.MAX_SAFE_INTEGER, 10);
    expect(days.map((x) => iso(x.startMs))).toEqual(['2024-12-26T03:00:00.000Z', '2024-12-27T03:00:00.000Z', '2024-12-30T03:00:00.000Z']);
    expect(days[2]).toMatchObject({ closeH: 5437, volumeCentavos: 123_456_789_012, qty: 22_700_100 });
  });

  it('times & trades with header (cp1252, Leilão) and headerless with trade number and milliseconds', async () => {
    const a = await imp('petr4-negocios-cabecalho-cp1252.csv');
    expect(a).toMatchObject({ variant: 'trades-header', encoding: 'windows-1252', rowsRead: 5, stored: 5, duplicates: 0 });
    const t = db.trades('PETR4', 0, Number.MAX_SAFE_INTEGER, 100);
    expect(t).toHaveLength(5); // the two identical trades in the same second are two trades
    expect(t[0]).toMatchObject({ priceH: 3250, qty: 5000, buyerAgent: 3, sellerAgent: 72, aggressor: 3, tradeNumber: null });
    expect(t.filter((x) => x.aggressor === 1)).toHaveLength(2);
    expect(t.at(-1)).toMatchObject({ timeMs: saoPauloInstantMs(2024, 12, 30, 16, 55), qty: 12_000, aggressor: 3 });
    const b = await imp('winz24-negocios-sem-cabecalho.csv');
    expect(b).toMatchObject({ variant: 'trades-headerless', stored: 3 });
    const w = db.trades('WINZ24', 0, Number.MAX_SAFE_INTEGER, 10);
    expect(w.map((x) => [iso(x.timeMs), x.tradeNumber, x.priceH])).toEqual([
      ['2024-12-18T12:00:00.120Z', 1001, 12_350_000],
      ['2024-12-18T12:00:00.120Z', 1002, 12_350_000],
      ['2024-12-18T12:00:01.500Z', 1003, 12_349_500],
    ]);
  });

  it('detects the variant from content whatever the file is called', async () => {
    const renamed = path.join(dir, 'PETR4_B_0_Diário.csv');
    writeFileSync(renamed, 'WINFUT;30/12/2024;18:20:00;124.080;124.090;123.938;123.983;600.822.115,84;24.228\n');
    const r = await importProfitFile(db, renamed, 'x.csv', { interval: '1m' });
    expect(r).toMatchObject({ variant: 'candles-intraday', stored: 1, series: ['WINFUT 1m'] });
  });

  it('converts São Paulo wall time with the offset of that date (DST of 2018 included)', () => {
    expect(iso(saoPauloInstantMs(2018, 1, 15, 10, 0))).toBe('2018-01-15T12:00:00.000Z'); // UTC−2 in summer 2018
    expect(iso(saoPauloInstantMs(2018, 7, 16, 10, 0))).toBe('2018-07-16T13:00:00.000Z');
    expect(iso(saoPauloInstantMs(2024, 12, 30, 10, 0))).toBe('2024-12-30T13:00:00.000Z'); // no DST since 2019
  });
});

describe('idempotence and overlap', () => {
  it('re-importing a file writes nothing; an overlapping file adds only its new rows', async () => {
    await imp('petr4-negocios-cabecalho-cp1252.csv');
    const again = await imp('petr4-negocios-cabecalho-cp1252.csv');
    expect(again).toMatchObject({ rowsRead: 5, stored: 0, duplicates: 5 });
    expect(db.trades('PETR4', 0, Number.MAX_SAFE_INTEGER, 100)).toHaveLength(5);

    await imp('broken-lines.csv'); // 10:00, 11:00, 11:15, 11:30 stored
    const overlap = await imp('petr4-15min-sem-cabecalho.csv'); // 10:00 (same values), 10:15, 10:30
    expect(overlap).toMatchObject({ stored: 2, duplicates: 1 });
    expect(db.series().find((s) => s.interval === '15m')).toMatchObject({ rows: 6, firstMs: saoPauloInstantMs(2024, 12, 30, 10, 0), lastMs: saoPauloInstantMs(2024, 12, 30, 11, 30) });
  });

  it('a corrected candle for a stored instant replaces it (the later export wins)', async () => {
    await imp('vale3-diario-bom.csv');
    const fixed = path.join(dir, 'fix.csv');
    writeFileSync(fixed, 'VALE3;30/12/2024;54,10;54,80;53,90;54,40;1234567890,12;22700100\n');
    expect(await importProfitFile(db, fixed, 'fix.csv')).toMatchObject({ stored: 1, duplicates: 0 });
    expect(db.candles('VALE3', '1d', 0, Number.MAX_SAFE_INTEGER, 10).at(-1)!.closeH).toBe(5440);
  });
});

describe('bad input', () => {
  it('refuses each broken line with its number and reason, stores the rest', async () => {
    const r = await imp('broken-lines.csv');
    expect(r).toMatchObject({ rowsRead: 9, stored: 4, duplicates: 0, series: ['PETR4 15m'] });
    expect(r.refused).toEqual([
      { line: 2, reason: 'esperados 9 campos, encontrados 8' },
      { line: 3, reason: 'Data inexistente: "31/02/2024"' },
      { line: 4, reason: 'Abertura não é um número: "abc"' },
      { line: 5, reason: 'Volume negativo: "-10000000,00"' },
      { line: 9, reason: 'última linha truncada (esperados 9 campos, encontrados 7): o arquivo parece cortado' },
    ]);
  });

  it('names what is wrong with a file that cannot be imported, and stores nothing of it', async () => {
    expect((await imp('empty.csv')).error).toBe('arquivo vazio');
    expect((await imp('only-header.csv')).error).toBe('arquivo sem linhas de dados (só o cabeçalho)');
    expect((await imp('not-profit.csv')).error).toMatch(/^não parece uma exportação do Profit: a primeira linha é "nome,email"/);
    expect((await imp('unknown-encoding.csv')).error).toMatch(/^codificação desconhecida/);
    expect((await imp('binary.csv')).error).toMatch(/não é texto/);
    const mixed = path.join(dir, 'mixed.csv');
    writeFileSync(
      mixed,
      'Ativo;Data;Hora;Abertura;Máximo;Mínimo;Fechamento;Volume;Quantidade\nPETR4;30/12/2024;10:00:00;32,50;32,70;32,45;32,60;1,00;1\n' +
        'Ativo;Data;Hora;Agente Comprador;Preço;Quantidade;Agente Vendedor;Agressor\nPETR4;30/12/2024;10:00:00;3 - XP;32,50;100;8 - UBS;Comprador\n',
    );
    const m = await importProfitFile(db, mixed, 'mixed.csv', { interval: '1m' });
    expect(m.error).toBe('linha 3: cabeçalho de outro formato no meio do arquivo (arquivos misturados); nada foi gravado');
    expect(m.stored).toBe(0);
    expect(db.series()).toEqual([]);
  });

  it('refuses a 2 GB file up front with its size', async () => {
    const big = path.join(dir, 'big.csv');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 2 * 1024 ** 3); // sparse: no disk used
    closeSync(fd);
    const r = await importProfitFile(db, big, 'big.csv');
    expect(r.error).toBe('arquivo de 2,0 GB acima do limite de 1,0 GB: exporte do Profit em períodos menores');
  });

  /** `n` one-minute PETR4 candles from 02/12/2024 on, one a minute around the clock. */
  const candleLines = (n: number) => {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      const t = saoPauloInstantMs(2024, 12, 2) + i * 60_000;
      const d = new Date(t - 3 * 3_600_000);
      const dd = `${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${d.getUTCFullYear()}`;
      const hh = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}:00`;
      lines.push(`PETR4;${dd};${hh};32,50;32,70;32,45;32,60;1000,00;100`);
    }
    return lines;
  };

  it('a cancelled import keeps nothing of the file and says at which line it stopped', async () => {
    const lines = candleLines(50_000);
    const f = path.join(dir, 'long.csv');
    writeFileSync(f, lines.join('\n') + '\n');
    let cancel = false;
    const r = await importProfitFile(db, f, 'long.csv', { onProgress: (p) => (cancel = p.rowsRead >= 20_000), isCancelled: () => cancel });
    expect(r).toMatchObject({ cancelled: true, stored: 0, stoppedAtLine: 20_000 });
    expect(r.error).toBe('importação cancelada na linha 20000: nada deste arquivo foi gravado');
    expect(db.series()).toEqual([]);
    const full = await importProfitFile(db, f, 'long.csv');
    expect(full).toMatchObject({ rowsRead: 50_000, stored: 50_000, refused: [], series: ['PETR4 1m'] });
  });

  // The reader runs ahead of the writer on its own thread: by the time a file fails, tens of
  // thousands of its rows are already inside the writer's transaction and must all go.
  it('a file that fails far in, or a write that fails, keeps nothing, and the next file imports', async () => {
    const f = path.join(dir, 'bad-tail.csv');
    const header = 'Ativo;Data;Hora;Abertura;Máximo;Mínimo;Fechamento;Volume;Quantidade\n';
    writeFileSync(f, header + candleLines(60_000).join('\n') + '\nAtivo;Data;Hora;Agente Comprador;Preço;Quantidade;Agente Vendedor;Agressor\n');
    const r = await importProfitFile(db, f, 'bad-tail.csv');
    expect(r.error).toBe('linha 60002: cabeçalho de outro formato no meio do arquivo (arquivos misturados); nada foi gravado');
    expect(r.stored).toBe(0);
    expect(db.series()).toEqual([]);

    const good = path.join(dir, 'good.csv');
    writeFileSync(good, candleLines(60_000).join('\n') + '\n');
    let batches = 0;
    const put = db.putCandleBatch.bind(db);
    const spy = vi.spyOn(db, 'putCandleBatch').mockImplementation((p) => {
      if (++batches === 500) throw new Error('disk I/O error');
      return put(p);
    });
    const w = await importProfitFile(db, good, 'good.csv');
    expect(w.error).toBe('não consegui gravar: disk I/O error; nada foi gravado');
    expect(w.stored).toBe(0);
    expect(db.series()).toEqual([]);
    spy.mockRestore();

    expect(await importProfitFile(db, good, 'good.csv')).toMatchObject({ rowsRead: 60_000, stored: 60_000, refused: [], series: ['PETR4 1m'] });
    expect(db.candles('PETR4', '1m', 0, Number.MAX_SAFE_INTEGER, 100_000)).toHaveLength(60_000);
  });

  it('two files imported at once into two databases each arrive whole in their own', async () => {
    const a = path.join(dir, 'a.csv');
    const b = path.join(dir, 'b.csv');
    writeFileSync(a, candleLines(30_000).join('\n') + '\n');
    writeFileSync(b, candleLines(20_000).map((l) => l.replace('PETR4', 'VALE3')).join('\n') + '\n');
    const other = MarketDb.open(path.join(dir, 'other.db'));
    try {
      const [ra, rb] = await Promise.all([importProfitFile(db, a, 'a.csv'), importProfitFile(other, b, 'b.csv')]);
      expect(ra).toMatchObject({ stored: 30_000, series: ['PETR4 1m'] });
      expect(rb).toMatchObject({ stored: 20_000, series: ['VALE3 1m'] });
      expect(db.series().map((x) => [x.symbol, x.rows])).toEqual([['PETR4', 30_000]]);
      expect(other.series().map((x) => [x.symbol, x.rows])).toEqual([['VALE3', 20_000]]);
    } finally {
      other.close();
    }
  });
});
