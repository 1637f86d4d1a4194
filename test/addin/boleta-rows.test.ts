import { describe, expect, it } from 'vitest';
import {
  columnForField,
  idempotencyKey,
  mapColumns,
  parseBoletaRows,
  parseInteger,
  parseNumber,
  parseSide,
  parseTime,
  type CellValue,
} from '../../addin/src/sheets/boleta-rows.js';
import { parseTsv, toTsv } from '../../addin/src/sheets/tsv.js';
import { ALGOS, HEADER, REF } from './support/reference.js';

const num = (v: CellValue, integer = false) => {
  const r = integer ? parseInteger(v) : parseNumber(v);
  return r.ok ? r.value : `ERR ${r.error}`;
};

describe('numbers in either convention', () => {
  it.each([
    ['36,50', 36.5],
    ['36.50', 36.5],
    ['1.234,56', 1234.56],
    ['1,234.56', 1234.56],
    ['R$ 1.234,56', 1234.56],
    ['  12 ', 12],
    ['1.234.567', 1234567],
    ['1,234,567', 1234567],
    ['-3,5', -3.5],
    ['0,01', 0.01],
    [36.5, 36.5],
  ])('price %s → %s', (input, expected) => {
    expect(num(input as CellValue)).toBe(expected);
  });

  it.each([
    ['1.000', 1000],
    ['1,000', 1000],
    ['12.300', 12300],
    ['500', 500],
    [1000, 1000],
  ])('quantity %s → %s', (input, expected) => {
    expect(num(input as CellValue, true)).toBe(expected);
  });

  it('rejects text, booleans, misplaced separators and fractional quantities with a readable error', () => {
    expect(num('abc')).toMatch(/"abc" não é um número/);
    expect(num(true)).toMatch(/não é um número/);
    expect(num('1.23.4')).toMatch(/separador de milhar/);
    expect(num('1,2,3.4,5')).toMatch(/separadores decimais demais|não é um número/);
    expect(num('1,5', true)).toMatch(/não é um número inteiro/);
    expect(num('12a')).toMatch(/não é um número/);
  });
});

describe('sides and times', () => {
  it.each(['C', 'c', 'Compra', 'COMPRA', 'buy', 'Buy', ' comprar '])('%s is buy', (s) => expect(parseSide(s)).toEqual({ ok: true, value: 'buy' }));
  it.each(['V', 'venda', 'Sell', 'vender'])('%s is sell', (s) => expect(parseSide(s)).toEqual({ ok: true, value: 'sell' }));
  it('rejects anything else', () => expect(parseSide('X')).toMatchObject({ ok: false }));
  it('reads hh:mm, Excel time serials and rejects nonsense', () => {
    expect(parseTime('10:30')).toEqual({ ok: true, value: '10:30' });
    expect(parseTime('9h30')).toEqual({ ok: true, value: '09:30' });
    expect(parseTime(0.4375)).toEqual({ ok: true, value: '10:30' });
    expect(parseTime(46000.75)).toEqual({ ok: true, value: '18:00' });
    expect(parseTime('25:00')).toMatchObject({ ok: false });
  });
});

function rows(...data: CellValue[][]) {
  return parseBoletaRows({ header: HEADER, rows: data, firstSheetRow: 1 }, REF);
}

describe('parseBoletaRows', () => {
  it('maps headers forgivingly (case, accents, aliases) and ignores unknown columns', () => {
    const m = mapColumns(['cliente', 'ATIVO', 'C/V', 'Qtd', 'algo', 'Preco', 'Notas', 'Lote visivel'], ALGOS);
    expect(m.core).toEqual({ client: 0, symbol: 1, side: 2, qty: 3, algo: 4, limitPrice: 5 });
    expect(m.params.get('displayQty')).toBe(7);
  });

  it('builds requests from valid rows (pt-BR and en-US numbers, defaults applied)', () => {
    const r = rows(
      ['CLI1', 'petr4', 'C', '1.000', 'Ordem cheia', '36,50'],
      ['Fundo Alfa', 'VALE3', 'venda', 200, 'TWAP', '61.80', '', '', '10:00', 0.6875],
      ['CLI2', 'PETR4', 'buy', '10.000', 'Iceberg', '', '1.000', '10%'],
    );
    expect(r.fatal).toBeUndefined();
    expect(r.rows.map((x) => x.state)).toEqual(['valid', 'valid', 'valid']);
    expect(r.rows[0]!.request).toEqual({ client: 'CLI1', symbol: 'PETR4', side: 'buy', qty: 1000, limitPrice: 36.5, algo: { type: 'full' } });
    expect(r.rows[1]!.request).toEqual({
      client: 'CLI1',
      symbol: 'VALE3',
      side: 'sell',
      qty: 200,
      limitPrice: 61.8,
      algo: { type: 'twap', startTime: '10:00', endTime: '16:30', sliceSeconds: 60 },
    });
    expect(r.rows[2]!.request!.algo).toEqual({ type: 'iceberg', displayQty: 1000, randomizePct: 10 });
  });

  it('skips empty rows anywhere and gives every bad row its own error naming the column', () => {
    const r = rows(
      ['CLI1', 'PETR4', 'C', '100', '', ''],
      ['', '', '', '', '', ''],
      ['NINGUEM', 'PETR4', 'C', '100'],
      ['CLI1', 'XXXX3', 'C', '100'],
      ['CLI1', 'PETR4', 'C', 'cem'],
      ['CLI1', 'PETR4', 'C', '150'],
      ['CLI1', 'PETR4', 'X', '100', 'Ordem cheia', '36,555'],
      ['CLI1', 'PETR4', 'C', '100', 'Bazuca'],
      ['CLI1', 'PETR4', 'C', '100', 'TWAP', '', '', '', '10:00'],
      ['CLI1', 'PETR4', 'C', '100', 'Cobrir até X'],
      [null, null, null, null],
      ['CLI1', 'PETR4F', 'V', '37', '', '36,50'],
    );
    const st = r.rows.map((x) => x.state);
    expect(st).toEqual(['valid', 'empty', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'empty', 'valid']);
    const msg = (i: number) => r.rows[i]!.errors.map((e) => e.message).join(' | ');
    expect(r.rows[2]!.errors[0]).toEqual({ column: 'Cliente', message: 'Cliente: cliente desconhecido "NINGUEM"' });
    expect(msg(3)).toContain('Ativo: ativo desconhecido "XXXX3"');
    expect(msg(4)).toContain('Quantidade: "cem" não é um número');
    expect(msg(5)).toContain('Quantidade: deve ser múltipla do lote de 100 (use PETR4F para o fracionário)');
    expect(msg(6)).toContain('Lado: "X" não é um lado válido');
    expect(msg(6)).toContain('Preço limite: 36,5550 fora do tick de 0,01');
    expect(msg(7)).toContain('Tipo: "Bazuca" não é um tipo aceito');
    expect(msg(8)).toContain('Fim: obrigatório para TWAP');
    expect(msg(9)).toContain('Preço limite: obrigatório para Cobrir até X');
    expect(r.rows[0]!.sheetRow).toBe(1);
    expect(r.rows[11]!.sheetRow).toBe(12);
  });

  it('checks parameter ranges', () => {
    const r = rows(['CLI1', 'PETR4', 'C', '1000', 'Iceberg', '', '0'], ['CLI1', 'PETR4', 'C', '1000', 'TWAP', '', '', '', '10:00', '11:00', '2']);
    expect(r.rows[0]!.errors[0]!.message).toBe('Lote visível: 0 fora do intervalo (no mínimo 1)');
    expect(r.rows[1]!.errors[0]!.message).toBe('Intervalo (s): 2 fora do intervalo (entre 5 e 3600)');
  });

  it('reads blocks for many clients in the Cliente cell', () => {
    const r = rows(['CLI1:300; CLI2:200', 'PETR4', 'C', '500'], ['CLI1:60%; Carteira Beta:40%', 'PETR4', 'C', '1000'], ['CLI1:300; CLI2:20%', 'PETR4', 'C', '500']);
    expect(r.rows[0]!.request!.allocations).toEqual([
      { client: 'CLI1', qty: 300 },
      { client: 'CLI2', qty: 200 },
    ]);
    expect(r.rows[0]!.request!.client).toBeUndefined();
    expect(r.rows[1]!.request!.allocations).toEqual([
      { client: 'CLI1', weight: 60 },
      { client: 'CLI2', weight: 40 },
    ]);
    expect(r.rows[2]!.errors[0]!.message).toContain('mistura');
  });

  it('flags merged cells and rows already sent, and never builds a request for them', () => {
    const r = parseBoletaRows(
      {
        header: HEADER,
        rows: [
          ['CLI1', 'PETR4', 'C', '100'],
          ['CLI1', 'PETR4', 'C', '100', '', '', '', '', '', '', '', '', '', 'BB1-000042', 'Em execução'],
        ],
        firstSheetRow: 5,
        firstSheetCol: 2,
        merged: [{ top: 5, left: 2, rowCount: 1, colCount: 2 }],
      },
      REF,
    );
    expect(r.rows[0]!.state).toBe('invalid');
    expect(r.rows[0]!.errors[0]!.message).toContain('células mescladas');
    expect(r.rows[1]!.state).toBe('sent');
    expect(r.rows[1]!.existingOrderId).toBe('BB1-000042');
    expect(r.rows[1]!.request).toBeUndefined();
  });

  it('reports missing core columns once, as fatal', () => {
    const r = parseBoletaRows({ header: ['Ativo', 'Quantidade'], rows: [['PETR4', '100']], firstSheetRow: 1 }, REF);
    expect(r.fatal).toContain('Cliente');
    expect(r.rows[0]!.state).toBe('invalid');
  });

  it('maps bridge field paths back to column names', () => {
    const m = mapColumns(HEADER, ALGOS);
    expect(columnForField('rows[3].qty', m, ALGOS)).toBe('Quantidade');
    expect(columnForField('rows[0].allocations[1].client', m, ALGOS)).toBe('Cliente');
    expect(columnForField('algo.displayQty', m, ALGOS)).toBe('Lote visível');
    expect(columnForField('limitPrice', m, ALGOS)).toBe('Preço limite');
    expect(columnForField('rows[2]', m, ALGOS)).toBe('');
  });
});

describe('idempotency keys', () => {
  const req = { client: 'CLI1', symbol: 'PETR4', side: 'buy' as const, qty: 100, algo: { type: 'full' as const } };
  it('are stable for the same sheet batch, row and content', () => {
    expect(idempotencyKey('abc', 4, req)).toBe(idempotencyKey('abc', 4, { ...req, algo: { type: 'full' } }));
    expect(idempotencyKey('abc', 4, req)).toMatch(/^bb-abc-r5-[0-9a-f]{8}$/);
  });
  it('change with the row, the content or a new batch', () => {
    const k = idempotencyKey('abc', 4, req);
    expect(idempotencyKey('abc', 5, req)).not.toBe(k);
    expect(idempotencyKey('abc', 4, { ...req, qty: 200 })).not.toBe(k);
    expect(idempotencyKey('abd', 4, req)).not.toBe(k);
  });
});

describe('pasted TSV', () => {
  it('round-trips cells with tabs, quotes and newlines', () => {
    const data = [
      ['Cliente', 'Ativo', 'Obs'],
      ['CLI1', 'PETR4', 'linha 1\nlinha 2'],
      ['CLI2', 'VALE3', 'diz "oi"\tali'],
    ];
    expect(parseTsv(toTsv(data))).toEqual(data);
    expect(parseTsv('a\tb\r\nc\td\r\n')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });
});
