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
import { notionalCentavos, rowPreview, sideTotalText, totalsByClient } from '../../addin/src/sheets/boleta-preview.js';
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

  it('builds requests from valid rows (pt-BR numbers, MERCADO, defaults applied)', () => {
    const r = rows(
      ['CLI1', 'petr4', 'C', '1.000', 'Ordem cheia', '36,50'],
      ['Fundo Alfa', 'VALE3', 'venda', 200, 'TWAP', '61,80', '', '', '10:00', 0.6875],
      ['CLI2', 'PETR4', 'buy', '10.000', 'Iceberg', 'MERCADO', '1.000', '10%'],
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
      ['CLI1', 'PETR4', 'C', '100', '', 'Mercado'],
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
    expect(msg(6)).toContain('Preço limite: 36,555 fora do tick de 0,01');
    expect(msg(7)).toContain('Tipo: "Bazuca" não é um tipo aceito');
    expect(msg(8)).toContain('Fim: obrigatório para TWAP');
    expect(msg(9)).toContain('Preço limite: obrigatório para Cobrir até X');
    expect(r.rows[0]!.sheetRow).toBe(1);
    expect(r.rows[11]!.sheetRow).toBe(12);
  });

  it('checks parameter ranges', () => {
    const r = rows(['CLI1', 'PETR4', 'C', '1000', 'Iceberg', 'MERCADO', '0'], ['CLI1', 'PETR4', 'C', '1000', 'TWAP', 'MERCADO', '', '', '10:00', '11:00', '2']);
    expect(r.rows[0]!.errors[0]!.message).toBe('Lote visível: 0 fora do intervalo (no mínimo 1)');
    expect(r.rows[1]!.errors[0]!.message).toBe('Intervalo (s): 2 fora do intervalo (entre 5 e 3.600)');
  });

  it('reads blocks for many clients in the Cliente cell', () => {
    const r = rows(['CLI1:300; CLI2:200', 'PETR4', 'C', '500', '', 36.5], ['CLI1:60%; Carteira Beta:40%', 'PETR4', 'C', '1000', '', 36.5], ['CLI1:300; CLI2:20%', 'PETR4', 'C', '500', '', 36.5]);
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

describe('a sheet boleta goes out as the sheet says, or not at all', () => {
  const parse = (header: CellValue[], data: CellValue[][], firstSheetRow = 1) => parseBoletaRows({ header, rows: data, firstSheetRow }, REF);
  const messages = (r: ReturnType<typeof parse>, i: number) => r.rows[i]!.errors.map((e) => e.message).join(' | ');

  it('matches headers without accents, case, punctuation or units in parentheses: "Preço limite (R$)" is the price', () => {
    const r = parse(['CLIENTE', 'Ativo.', 'Lado', 'Qtd.', 'Preço limite (R$)', 'Intervalo (s)'], [['CLI1', 'PETR4', 'C', 100, '36,50']]);
    expect(r.fatal).toBeUndefined();
    expect(r.columns.core.limitPrice).toBe(4);
    expect(r.columns.params.get('sliceSeconds')).toBe(5);
    expect(r.rows[0]!.request).toMatchObject({ limitPrice: 36.5 });
    // Units keep two parameters apart when the whole header matches one of them.
    expect(mapColumns(['Intervalo mín. (ms)', 'Intervalo (s)'], ALGOS).params).toEqual(new Map([['minRepriceMs', 0], ['sliceSeconds', 1]]));
  });

  it('a column nobody can map is an error naming it; comment columns are shown as ignored', () => {
    const r = parse(['Cliente', 'Ativo', 'Lado', 'Quantidade', 'Preço', 'Stop (R$)', 'Obs', 'Observação', 'Comentários', 'Notas'], [['CLI1', 'PETR4', 'C', 100, 36.5, 35, 'x', 'y', 'z', 'w']]);
    expect(r.fatal).toContain('Coluna "Stop (R$)" não reconhecida');
    expect(r.rows[0]!.state).toBe('invalid');
    expect(r.columns.ignored.map((i) => r.columns.names[i])).toEqual(['Obs', 'Observação', 'Comentários', 'Notas']);
    const ok = parse(['Cliente', 'Ativo', 'Lado', 'Quantidade', 'Preço', 'Obs'], [['CLI1', 'PETR4', 'C', 100, 36.5, 'para o fundo'], [null, null, null, null, null, 'só uma nota']]);
    expect(ok.fatal).toBeUndefined();
    expect(ok.rows.map((x) => x.state)).toEqual(['valid', 'empty']);
  });

  it('two columns for one field, or values under a blank header, are errors naming them', () => {
    expect(parse(['Cliente', 'Ativo', 'Lado', 'Quantidade', 'Preço', 'Preço limite (R$)'], [['CLI1', 'PETR4', 'C', 100, 36.5, 36.6]]).fatal).toContain(
      'As colunas "Preço" e "Preço limite (R$)" dizem a mesma coisa',
    );
    const r = parse(['Cliente', 'Ativo', 'Lado', 'Quantidade', 'Preço', ''], [['CLI1', 'PETR4', 'C', 100, 36.5], ['CLI1', 'PETR4', 'C', 100, 36.5, 36.6]]);
    expect(r.fatal).toContain('A coluna F não tem cabeçalho mas tem valores (F3)');
  });

  it('an empty price cell, or a formula returning "", is an error naming the column; market needs the word MERCADO', () => {
    const h = ['Cliente', 'Ativo', 'Lado', 'Quantidade', 'Tipo', 'Preço limite (R$)'];
    const r = parse(h, [
      ['CLI1', 'PETR4', 'C', 100, 'Ordem cheia', ''], // a formula that returned ""
      ['CLI1', 'PETR4', 'C', 100, 'Ordem cheia', null],
      ['CLI1', 'PETR4', 'C', 100, 'Ordem cheia', 'MERCADO'],
      ['CLI1', 'PETR4', 'C', 100, 'mercado', null],
      ['CLI1', 'PETR4', 'C', 100, 'TWAP', 'a mercado'],
      ['CLI1', 'PETR4', 'C', 100, 'Mercado', 36.5],
      ['CLI1', 'PETR4', 'C', 100, 'Cobrir até X', 'MERCADO'],
    ]);
    expect(r.rows.map((x) => x.state)).toEqual(['invalid', 'invalid', 'valid', 'valid', 'invalid', 'invalid', 'invalid']);
    expect(r.rows[0]!.errors[0]).toEqual({ column: 'Preço limite (R$)', message: 'Preço limite (R$): vazio: escreva o preço, ou MERCADO para uma ordem a mercado' });
    expect(r.rows[0]!.sheetRow).toBe(1);
    expect(r.rows[2]!.request).toEqual({ client: 'CLI1', symbol: 'PETR4', side: 'buy', qty: 100, algo: { type: 'full' } });
    expect(r.rows[2]!.display.limitPrice).toBe('MERCADO');
    expect(r.rows[3]!.request!.limitPrice).toBeUndefined();
    expect(messages(r, 4)).toContain('Início: obrigatório para TWAP'); // market TWAP is fine, its times are not optional
    expect(messages(r, 5)).toContain('MERCADO no Tipo e preço 36.5');
    expect(messages(r, 6)).toContain('Cobrir até X exige preço limite, não MERCADO');
    // Without a price column, only an explicit MERCADO in Tipo makes an order.
    const noPrice = parse(['Cliente', 'Ativo', 'Lado', 'Quantidade', 'Tipo'], [['CLI1', 'PETR4', 'C', 100, 'Ordem cheia'], ['CLI1', 'PETR4', 'C', 100, 'MERCADO']]);
    expect(messages(noPrice, 0)).toContain('Preço limite: falta a coluna Preço limite');
    expect(noPrice.rows[1]!.state).toBe('valid');
  });

  const winHeader = ['Cliente', 'Ativo', 'Lado', 'Quantidade', 'Preço'];
  it('decides the number format per column: "155.000" is 155 000 when the column says pt-BR, never 155', () => {
    const r = parse(winHeader, [
      ['CLI1', 'WINZ26', 'C', '1', '155.000'],
      ['CLI1', 'WINZ26', 'C', '1', '154.995,00'],
    ]);
    expect(r.rows.map((x) => x.request?.limitPrice)).toEqual([155_000, 154_995]);
    const en = parse(winHeader, [
      ['CLI1', 'PETR4', 'C', '100', '36.500'],
      ['CLI1', 'PETR4', 'C', '1,000', '1,036.50'],
    ]);
    expect(en.rows.map((x) => x.request?.limitPrice)).toEqual([36.5, 1036.5]);
    expect(en.rows[1]!.request!.qty).toBe(1000);
  });

  it('a column that cannot tell, or mixes formats, is an error naming the cells', () => {
    const r = parse(winHeader, [
      ['CLI1', 'WINZ26', 'C', 1, '155.000'],
      ['CLI1', 'WINZ26', 'C', 1, 155_000], // a number cell says nothing about text formats
      ['CLI1', 'WINZ26', 'V', 1, '154.500'],
    ]);
    expect(r.rows.map((x) => x.state)).toEqual(['invalid', 'valid', 'invalid']);
    expect(messages(r, 0)).toBe('Preço: "155.000" pode ser 155.000 ou 155,00 e nada na coluna diz qual (E2, E4); digite o número sem separador de milhar ou com os decimais (155.000,00)');
    const mixed = parse(winHeader, [
      ['CLI1', 'PETR4', 'C', 100, '36,50'],
      ['CLI2', 'VALE3', 'C', 100, '61.80'],
    ]);
    expect(mixed.rows.map((x) => x.state)).toEqual(['invalid', 'invalid']);
    expect(messages(mixed, 1)).toContain('E2 "36,50" com vírgula decimal (1.234,56) e E3 "61.80" com ponto decimal (1,234.56)');
  });

  it('applies the bridge tick rule: float noise is the tick (and is sent as the tick), 36.60000000001 and 36.605 are refused', () => {
    const r = parse(winHeader, [
      ['CLI1', 'PETR4', 'C', 100, 36.5 + 0.1 + 1e-15],
      ['CLI1', 'PETR4', 'C', 100, 36.60000000001],
      ['CLI1', 'PETR4', 'C', 100, 36.605],
      ['CLI1', 'WINZ26', 'C', 1, 155_002],
    ]);
    expect(r.rows.map((x) => x.state)).toEqual(['valid', 'invalid', 'invalid', 'invalid']);
    expect(r.rows[0]!.request!.limitPrice).toBe(36.6);
    expect(messages(r, 1)).toBe('Preço: 36,60000000001 fora do tick de 0,01');
    expect(messages(r, 2)).toBe('Preço: 36,605 fora do tick de 0,01');
    expect(messages(r, 3)).toBe('Preço: 155002 fora do tick de 5,00');
  });

  it('marks identical rows (client, symbol, side, quantity, price) as possible duplicates of each other', () => {
    const r = parse(['Cliente', 'Ativo', 'Lado', 'Quantidade', 'Tipo', 'Preço'], [
      ['CLI1', 'PETR4', 'C', 100, 'Ordem cheia', 36.5],
      ['CLI1', 'PETR4', 'C', 100, 'Ordem cheia', 36.51],
      ['Fundo Alfa', 'petr4', 'Compra', '100', '', '36,50'], // the same order written differently
      ['CLI1', 'PETR4', 'V', 100, 'Ordem cheia', 36.5],
      ['CLI1', 'PETR4', 'C', 100, '', 'MERCADO'],
      ['CLI1', 'PETR4', 'C', 100, 'mercado', null],
    ]);
    expect(r.rows.map((x) => x.state)).toEqual(['valid', 'valid', 'valid', 'valid', 'valid', 'valid']);
    expect(r.rows.map((x) => x.duplicateOf)).toEqual([[3], undefined, [1], undefined, [6], [5]]);
  });

  it('a value in a parameter column the row\'s type does not read is an error, not silently dropped', () => {
    const r = rows(['CLI1', 'PETR4', 'C', '1000', 'Ordem cheia', '36,50', '100']);
    expect(r.rows[0]!.errors[0]!.message).toBe('Lote visível: não vale para Ordem cheia; apague o valor ou troque o Tipo');
  });
});

describe('the preview: what will be sent, with notional in R$ and totals per client and side', () => {
  const insts = new Map(REF.instruments.map((i) => [i.symbol, i]));
  const parse = (data: CellValue[][]) => parseBoletaRows({ header: HEADER, rows: data, firstSheetRow: 1 }, REF);

  it('uses the point value: 2 WIN at 155.000 is R$ 62.000, 1 WDO at 5.420,5 is R$ 54.205, 1.000 PETR4 at 36,50 is R$ 36.500', () => {
    expect(notionalCentavos(insts.get('WINZ26')!, 2, 155_000)).toBe(6_200_000);
    expect(notionalCentavos(insts.get('WDOZ26')!, 1, 5420.5)).toBe(5_420_500);
    const r = parse([
      ['CLI1', 'PETR4', 'C', '1.000', 'Ordem cheia', '36,50'],
      ['CLI2', 'WINZ26', 'V', 2, 'TWAP', 'MERCADO', '', '', '10:00', '11:30'],
    ]);
    expect(rowPreview(r.rows[0]!, insts)).toEqual({
      clients: 'CLI1',
      order: 'Compra 1.000 PETR4 a 36,50',
      price: '36,50',
      ticket: 'Ordem cheia',
      notional: 'R$ 36.500,00'.replace(' ', '\u00a0'),
      notionalCentavos: 3_650_000,
    });
    expect(rowPreview(r.rows[1]!, insts)).toMatchObject({
      order: 'Venda 2 WINZ26 a MERCADO',
      ticket: 'TWAP · Início 10:00 · Fim 11:30 · Intervalo (s) 60',
      notional: 'a mercado',
    });
  });

  it('adds up per client and side, splitting blocks by their allocations', () => {
    const r = parse([
      ['CLI1', 'PETR4', 'C', '1.000', '', '36,50'],
      ['CLI1:300; CLI2:200', 'PETR4', 'C', '500', '', '36,00'],
      ['CLI1', 'WINZ26', 'V', 2, '', '155.000,00'],
      ['CLI2', 'PETR4', 'V', 100, '', 'MERCADO'],
      ['CLI1:60%; CLI2:40%', 'VALE3', 'C', 1000, '', '61,80'],
      ['CLI3', 'PETR4', 'C', 'abc', '', '36,50'], // invalid: not in the totals
    ]);
    const t = totalsByClient(r.rows, insts);
    expect(t.map((x) => x.client)).toEqual(['CLI1', 'CLI2']);
    expect(t[0]).toEqual({
      client: 'CLI1',
      buy: { orders: 3, notionalCentavos: 3_650_000 + 1_080_000 + 3_708_000, market: 0, approx: true },
      sell: { orders: 1, notionalCentavos: 6_200_000, market: 0, approx: false },
    });
    expect(t[1]!.sell).toEqual({ orders: 1, notionalCentavos: 0, market: 1, approx: false });
    expect(sideTotalText(t[1]!.sell)).toBe('1 a mercado');
    expect(sideTotalText(t[0]!.sell)).toBe('R$\u00a062.000,00 em 1 ordem');
  });
});

describe('the one-ticket form (same parser)', () => {
  it('reads a blank price as market only when asked to (its field says "Vazio = a mercado"), never for a type that needs a limit', () => {
    const row = (algo: string) => [['CLI1', 'PETR4', 'C', '100', algo, '']];
    const form = { ...REF, blankPriceIsMarket: true };
    expect(parseBoletaRows({ header: HEADER, rows: row('Ordem cheia'), firstSheetRow: 0 }, form).rows[0]!.request).toEqual({
      client: 'CLI1', symbol: 'PETR4', side: 'buy', qty: 100, algo: { type: 'full' },
    });
    expect(parseBoletaRows({ header: HEADER, rows: row('Cobrir até X'), firstSheetRow: 0 }, form).rows[0]!.errors[0]!.message).toBe('Preço limite: obrigatório para Cobrir até X');
    expect(parseBoletaRows({ header: HEADER, rows: row('Ordem cheia'), firstSheetRow: 0 }, REF).rows[0]!.state).toBe('invalid');
  });
});
