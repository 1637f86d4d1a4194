/**
 * Sheet features against the recorded in-memory Excel stand-in (fake-excel.ts), through the real
 * OfficeWorkbook adapter: template, reading ranges/tables, validation, sending, write-back,
 * idempotency, bad input, 5,000 rows, and the live "Enviar para planilha" tables.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BridgeClient } from '../../addin/src/core/bridge-client.js';
import { memorySettings } from '../../addin/src/core/settings.js';
import { BATCH_ID_PROPERTY, batchFromPastedText, BulkError, readBoletas, renewBatchId, sendBatch, validateWithBridge, writeBack } from '../../addin/src/sheets/bulk.js';
import { OfficeWorkbook } from '../../addin/src/sheets/office-workbook.js';
import { SheetSync } from '../../addin/src/sheets/sheet-sync.js';
import { mapColumns } from '../../addin/src/sheets/boleta-rows.js';
import { createBoletaTemplate, LISTS_SHEET, templateHeader } from '../../addin/src/sheets/template.js';
import type { BatchRowResult, BoletaRequest, OrderView } from '../../common/types.js';
import { createFakeExcel, type FakeExcel } from './support/fake-excel.js';
import { SocketFactory } from './support/fake-bridge-socket.js';
import { ALGOS, REF } from './support/reference.js';

let fx: FakeExcel;
let wb: OfficeWorkbook;

beforeEach(() => {
  fx = createFakeExcel();
  (globalThis as Record<string, unknown>).Excel = fx.Excel;
  wb = new OfficeWorkbook();
});
afterEach(() => {
  delete (globalThis as Record<string, unknown>).Excel;
});

/** A bridge stand-in for REST: batch with idempotency keys, validate, and a switch to go down. */
function fakeBridge() {
  const byKey = new Map<string, OrderView>();
  const state = { down: false, posts: 0, lastBody: undefined as unknown, seq: 0 };
  const check = (r: BoletaRequest, i: number): BatchRowResult => {
    if (r.qty > 100_000) return { row: i, ok: false, errors: [{ field: `rows[${i}].qty`, code: 'max_qty', message: 'acima do limite por ordem' }] };
    const existing = r.idempotencyKey ? byKey.get(r.idempotencyKey) : undefined;
    if (existing) return { row: i, ok: true, order: existing, duplicate: true };
    return {
      row: i,
      ok: true,
      order: {
        id: 'preview',
        symbol: r.symbol,
        side: r.side,
        qty: r.qty,
        filledQty: 0,
        avgPrice: 0,
        algo: r.algo,
        status: 'pending_new',
        createdAt: '2026-11-26T13:00:00Z',
        updatedAt: '2026-11-26T13:00:00Z',
      },
    };
  };
  const fetchImpl = (async (url: string, init: RequestInit) => {
    if (state.down) throw new TypeError('fetch failed');
    const path = new URL(url).pathname;
    const body = init.body ? JSON.parse(String(init.body)) : undefined;
    if (path === '/api/orders/batch/validate') {
      return new Response(JSON.stringify({ results: (body.rows as BoletaRequest[]).map(check) }));
    }
    if (path === '/api/orders/batch') {
      state.posts++;
      state.lastBody = body;
      const results = (body.rows as BoletaRequest[]).map((r, i) => {
        const res = check(r, i);
        if (!res.ok || res.duplicate) return res;
        const order: OrderView = { ...res.order, id: `BB-${String(++state.seq).padStart(5, '0')}`, client: r.client, status: 'working', idempotencyKey: r.idempotencyKey };
        byKey.set(r.idempotencyKey!, order);
        return { ...res, order };
      });
      return new Response(JSON.stringify({ results }));
    }
    return new Response('{}', { status: 404 });
  }) as unknown as typeof fetch;
  const client = new BridgeClient({ settings: memorySettings({ url: 'http://127.0.0.1:3000', token: 't' }), fetch: fetchImpl, createWebSocket: new SocketFactory().create });
  return { client, state, byKey };
}

const header = templateHeader(ALGOS);

describe('Nova planilha de boletas', () => {
  it('creates the table from the algos, dropdown lists, a hidden list sheet and a batch id', async () => {
    const res = await createBoletaTemplate(wb, REF);
    expect(res).toMatchObject({ sheet: 'Boletas', table: 'BBBoletas' });
    expect(fx.values('Boletas', 'A1:P1')[0]).toEqual(header);
    expect(header).toEqual([
      'Cliente', 'Ativo', 'Lado', 'Quantidade', 'Tipo', 'Preço limite',
      'Lote visível', 'Aleatorizar (%)', 'Início', 'Fim', 'Intervalo (s)', 'Participação máx. (%)', 'Intervalo mín. (ms)',
      'ID da ordem', 'Status', 'Mensagem',
    ]);
    expect(fx.table('BBBoletas')!.rect.rowCount).toBe(51); // header + 50 empty rows
    const rules = fx.sheet('Boletas')!.validations.map((v) => JSON.stringify(v.rule));
    expect(rules.some((r) => r.includes("'BB Listas'!$A$2:$A$4"))).toBe(true); // clients
    expect(rules.some((r) => r.includes('Compra,Venda'))).toBe(true);
    expect(rules.some((r) => r.includes("'BB Listas'!$C$2:$C$6"))).toBe(true); // 5 algos
    expect(fx.sheet(LISTS_SHEET)!.visibility).toBe('Hidden');
    expect(fx.values(LISTS_SHEET, 'A1:C3')).toEqual([
      ['Clientes', 'Ativos', 'Tipos'],
      ['CLI1', 'PETR4', 'Ordem cheia'],
      ['CLI2', 'VALE3', 'Iceberg'],
    ]);
    expect(fx.sheet('Boletas')!.props.get(BATCH_ID_PROPERTY)).toMatch(/^[0-9a-z]{10}$/);
    const again = await createBoletaTemplate(wb, REF);
    expect(again).toMatchObject({ sheet: 'Boletas 2', table: 'BBBoletas2' });
  });
});

describe('template headers and the reader agree', () => {
  it('every template column maps back to its field, also a parameter whose label repeats a core column', () => {
    const algos = [...ALGOS, { type: 'pov' as const, label: 'POV', params: [{ name: 'limitMode', label: 'Preço limite', kind: 'enum' as const, required: false, help: '' }] }];
    const h = templateHeader(algos as typeof ALGOS);
    expect(h).toContain('Preço limite (limitMode)');
    const m = mapColumns(h, algos as typeof ALGOS);
    expect(m.problems).toEqual([]);
    expect(m.core.limitPrice).toBe(h.indexOf('Preço limite'));
    expect(m.params.get('limitMode')).toBe(h.indexOf('Preço limite (limitMode)'));
    expect(mapColumns(templateHeader(ALGOS), ALGOS).problems).toEqual([]);
  });
});

/** Fills the template's first rows with the given cells (left-aligned to the header). */
async function templateWith(rows: unknown[][]) {
  await createBoletaTemplate(wb, REF);
  const padded = rows.map((r) => [...r, ...Array(header.length - r.length).fill(null)]);
  fx.addSheet('Boletas', padded, 'A2');
  fx.select('Boletas', 'C3');
  fx.resetLog();
}

describe('Enviar boletas', () => {
  it('reads the whole table from a cell inside it, validates, sends once and writes id/status/message beside each row', async () => {
    await templateWith([
      ['CLI1', 'PETR4', 'C', '1.000', 'Ordem cheia', '36,50'],
      ['CLI2', 'VALE3', 'V', 500, 'TWAP', '61,80', null, null, '10:00', '16:30'],
      [],
      ['CLI9', 'PETR4', 'C', '100', '', '36,50'],
      ['CLI1', 'PETR4', 'C', '200.000', 'Ordem cheia', '36,50'],
      ['CLI3', 'PETR4', 'compra', 'mil', '', '36,50'],
    ]);
    const { client, state } = fakeBridge();
    let batch = await readBoletas(wb, REF);
    expect(batch.table).toBe('BBBoletas');
    expect(batch.dataRect).toEqual({ top: 1, left: 0, rowCount: 50, colCount: header.length });
    batch = await validateWithBridge(client, batch, REF);
    const st = batch.rows.slice(0, 6).map((r) => r.state);
    expect(st).toEqual(['valid', 'valid', 'empty', 'invalid', 'invalid', 'invalid']);
    expect(batch.rows[4]!.errors[0]!.message).toBe('Quantidade: acima do limite por ordem'); // from the bridge, named by column
    expect(batch.rows.slice(6).every((r) => r.state === 'empty')).toBe(true);

    const { batch: done, summary } = await sendBatch(client, batch, REF, { allOrNothing: false });
    expect(state.posts).toBe(1);
    expect((state.lastBody as { rows: BoletaRequest[] }).rows).toHaveLength(2); // only the valid rows
    expect(summary).toMatchObject({ sent: 2, duplicates: 0 });
    fx.resetLog();
    await writeBack(wb, done);
    const writes = fx.book.writes.filter((w) => w.op === 'values');
    expect(writes).toHaveLength(1); // one block for all rows
    expect(writes[0]!.address).toBe('Boletas!N2:P51');
    const out = fx.values('Boletas', 'N2:P7');
    expect(out[0]).toEqual(['BB-00001', 'Em execução', '']);
    expect(out[1]).toEqual(['BB-00002', 'Em execução', '']);
    expect(out[2]).toEqual(['', '', '']);
    expect(out[3]).toEqual(['', 'Erro', 'Cliente: cliente desconhecido "CLI9"']);
    expect(out[4]![1]).toBe('Erro');
    expect(out[5]![2]).toBe('Quantidade: "mil" não é um número');
  });

  it('a double click re-sends the same keys: the bridge returns the existing orders, nothing is sent twice', async () => {
    await templateWith([
      ['CLI1', 'PETR4', 'C', '100', '', 'MERCADO'],
      ['CLI2', 'PETR4', 'C', '200', '', 'MERCADO'],
    ]);
    const { client, byKey } = fakeBridge();
    const first = await readBoletas(wb, REF);
    const second = await readBoletas(wb, REF); // same sheet, same batch id, same content
    const keys = (b: typeof first) => b.rows.filter((r) => r.key).map((r) => r.key);
    expect(keys(second)).toEqual(keys(first));
    const a = await sendBatch(client, first, REF, { allOrNothing: false });
    const b = await sendBatch(client, second, REF, { allOrNothing: false });
    expect(byKey.size).toBe(2);
    expect(a.summary.sent).toBe(2);
    expect(b.summary).toMatchObject({ sent: 0, duplicates: 2 });
    await writeBack(wb, b.batch);
    expect(fx.values('Boletas', 'N2:P2')[0]).toEqual(['BB-00001', 'Em execução', 'Já enviada antes (mesma chave): nenhuma ordem nova.']);
    // After write-back the rows carry their id: the next read marks them as already sent.
    const third = await readBoletas(wb, REF);
    expect(third.rows.slice(0, 2).map((r) => r.state)).toEqual(['sent', 'sent']);
    // A new batch gives new keys (an intentional re-send).
    await renewBatchId(wb, 'Boletas');
    fx.addSheet('Boletas', [[''], ['']], 'N2');
    const fourth = await readBoletas(wb, REF);
    expect(keys(fourth)[0]).not.toBe(keys(first)[0]);
  });

  it('all-or-nothing sends nothing while a row has an error', async () => {
    await templateWith([
      ['CLI1', 'PETR4', 'C', '100', '', 36.5],
      ['CLI1', 'PETR4', 'C', 'abc', '', 36.5],
    ]);
    const { client, state } = fakeBridge();
    const batch = await readBoletas(wb, REF);
    const { batch: done, summary } = await sendBatch(client, batch, REF, { allOrNothing: true });
    expect(state.posts).toBe(0);
    expect(summary.notSent).toBe(1);
    await writeBack(wb, done);
    expect(fx.values('Boletas', 'O2:P2')[0]![0]).toBe('Não enviada');
  });

  it('a bridge that is down leaves rows "Sem confirmação"; retrying later sends each once', async () => {
    await templateWith([['CLI1', 'PETR4', 'C', '100', '', 36.5]]);
    const { client, state, byKey } = fakeBridge();
    state.down = true;
    const batch = await readBoletas(wb, REF);
    const r1 = await sendBatch(client, batch, REF, { allOrNothing: false });
    expect(r1.summary.uncertain).toBe(1);
    await writeBack(wb, r1.batch);
    expect(fx.values('Boletas', 'O2:P2')[0]![0]).toBe('Sem confirmação');
    expect(String(fx.values('Boletas', 'P2')[0]![0])).toContain('Reenviar é seguro');
    state.down = false;
    const r2 = await sendBatch(client, await readBoletas(wb, REF), REF, { allOrNothing: false });
    const r3 = await sendBatch(client, await readBoletas(wb, REF), REF, { allOrNothing: false });
    expect(r2.summary.sent + r3.summary.sent).toBe(1);
    expect(byKey.size).toBe(1);
  });

  it('reads a plain range whose header sits above the selection, writes results after the last column', async () => {
    fx.addSheet('Minhas', [
      ['Carteira de hoje'],
      [],
      ['Cliente', 'Ativo', 'C/V', 'Qtd', 'Preço'],
      ['CLI1', 'PETR4', 'C', 100, 36.5],
      ['CLI2', 'PETR4', 'V', '1,000', '36,40'],
      ['CLI3', 'VALE3', 'C', 300, '61,80'],
    ]);
    fx.select('Minhas', 'A5:E6');
    const { client } = fakeBridge();
    const batch = await readBoletas(wb, REF);
    expect(batch.headerRow).toBe(2);
    expect(batch.rows.map((r) => [r.sheetRow, r.state])).toEqual([
      [4, 'valid'],
      [5, 'valid'],
    ]);
    const { batch: done } = await sendBatch(client, batch, REF, { allOrNothing: false });
    await writeBack(wb, done);
    expect(fx.values('Minhas', 'F3:H3')[0]).toEqual(['ID da ordem', 'Status', 'Mensagem']);
    expect(fx.values('Minhas', 'F5:G6')).toEqual([
      ['BB-00001', 'Em execução'],
      ['BB-00002', 'Em execução'],
    ]);
    expect(fx.values('Minhas', 'F4')[0]![0]).toBe(''); // row 4 was not selected: untouched
  });

  it('whole-column selections are clipped to the used range; a single stray cell or no header is explained', async () => {
    fx.addSheet('Col', [
      ['Cliente', 'Ativo', 'Lado', 'Quantidade'],
      ['CLI1', 'PETR4', 'C', 100],
    ]);
    fx.book.selection = { sheet: 'Col', rect: { top: 0, left: 0, rowCount: 1_048_576, colCount: 4 } };
    const b = await readBoletas(wb, REF);
    expect(b.dataRect.rowCount).toBe(1);
    fx.select('Col', 'B2');
    await expect(readBoletas(wb, REF)).rejects.toThrow(/Selecione as linhas/);
    fx.addSheet('Sem', [
      ['x', 'y'],
      ['CLI1', 'PETR4'],
    ]);
    fx.select('Sem', 'A2:B2');
    await expect(readBoletas(wb, REF)).rejects.toBeInstanceOf(BulkError);
  });

  it('merged cells in a row give that row an error; other rows still go', async () => {
    await templateWith([
      ['CLI1', 'PETR4', 'C', '100', '', 36.5],
      ['CLI1', 'PETR4', 'C', '100', '', 36.5],
    ]);
    fx.merge('Boletas', 'A3:B3');
    const batch = await readBoletas(wb, REF);
    expect(batch.rows[0]!.state).toBe('valid');
    expect(batch.rows[1]!.state).toBe('invalid');
    expect(batch.rows[1]!.errors[0]!.message).toContain('células mescladas');
  });

  it('handles 5,000 rows in one batch with chunked writes, and refuses 5,001 with a clear message', async () => {
    const rows: unknown[][] = [['Cliente', 'Ativo', 'Lado', 'Quantidade', 'Tipo', 'Preço limite']];
    for (let i = 0; i < 5000; i++) rows.push([`CLI${(i % 3) + 1}`, i % 2 ? 'PETR4' : 'VALE3', i % 2 ? 'C' : 'V', (1 + (i % 9)) * 100, 'Ordem cheia', i === 4321 ? 'abc' : '36,50']);
    fx.addSheet('Grande', rows);
    fx.select('Grande', 'A1:F5001');
    const { client, state } = fakeBridge();
    const t0 = Date.now();
    const batch = await readBoletas(wb, REF);
    expect(batch.rows).toHaveLength(5000);
    expect(batch.rows.filter((r) => r.state === 'invalid').map((r) => r.sheetRow + 1)).toEqual([4323]);
    // The pattern repeats every 18 rows: identical rows go only once confirmed.
    const { batch: done, summary } = await sendBatch(client, batch, REF, { allOrNothing: false, confirmDuplicates: true });
    expect(state.posts).toBe(1);
    expect(summary.sent).toBe(4999);
    fx.resetLog();
    await writeBack(wb, done);
    const writes = fx.book.writes.filter((w) => w.op === 'values');
    expect(writes.every((w) => w.rows <= 2000)).toBe(true);
    expect(writes.reduce((a, w) => a + w.rows, 0)).toBe(5000 + 1); // + the result header
    expect(fx.values('Grande', 'G4323:I4323')[0]![1]).toBe('Erro');
    expect(Date.now() - t0).toBeLessThan(5000);

    fx.addSheet('Grande', [['CLI1', 'PETR4', 'C', 100, 'Ordem cheia', '1']], 'A5002');
    fx.select('Grande', 'A1:F5002');
    await expect(readBoletas(wb, REF)).rejects.toThrow(/no máximo 5\.000/);
  });
});

describe('a sheet boleta goes out as the sheet says (issue 7 §1)', () => {
  it('a price column with a unit is read, and an empty or "" price cell is an error written beside the row, never a market order', async () => {
    fx.addSheet('Minhas', [
      ['Cliente', 'Ativo', 'Lado', 'Quantidade', 'Preço limite (R$)', 'Obs'],
      ['CLI1', 'PETR4', 'C', 100, 36.5, 'ok'],
      ['CLI1', 'VALE3', 'C', 100, '', 'fórmula que devolveu ""'],
      ['CLI2', 'VALE3', 'C', 100, null, ''],
      ['CLI2', 'PETR4', 'V', 100, 'MERCADO', ''],
    ]);
    fx.select('Minhas', 'A1:F5');
    const { client, state } = fakeBridge();
    const batch = await readBoletas(wb, REF);
    expect(batch.parse.fatal).toBeUndefined();
    expect(batch.parse.columns.ignored).toEqual([5]);
    expect(batch.rows.map((r) => r.state)).toEqual(['valid', 'invalid', 'invalid', 'valid']);
    const { batch: done } = await sendBatch(client, batch, REF, { allOrNothing: false });
    const sent = (state.lastBody as { rows: BoletaRequest[] }).rows;
    expect(sent.map((r) => [r.symbol, r.side, r.limitPrice])).toEqual([
      ['PETR4', 'buy', 36.5],
      ['PETR4', 'sell', undefined],
    ]);
    await writeBack(wb, done);
    expect(fx.values('Minhas', 'G3:I3')[0]).toEqual(['', 'Erro', 'Preço limite (R$): vazio: escreva o preço, ou MERCADO para uma ordem a mercado']);
  });

  it('a column it cannot map stops the read with its name, and nothing is sent', async () => {
    fx.addSheet('Stop', [
      ['Cliente', 'Ativo', 'Lado', 'Quantidade', 'Preço', 'Stop'],
      ['CLI1', 'PETR4', 'C', 100, 36.5, 35],
    ]);
    fx.select('Stop', 'A1:F2');
    const { client, state } = fakeBridge();
    const batch = await readBoletas(wb, REF);
    expect(batch.parse.fatal).toContain('Coluna "Stop" não reconhecida');
    const { summary } = await sendBatch(client, batch, REF, { allOrNothing: false });
    expect(state.posts).toBe(0);
    expect(summary.message).toBe('Nenhuma linha válida para enviar.');
  });

  it('identical rows are sent only after an explicit confirmation', async () => {
    await templateWith([
      ['CLI1', 'PETR4', 'C', '100', '', 36.5],
      ['CLI2', 'PETR4', 'C', '100', '', 36.5],
      ['CLI1', 'PETR4', 'C', '100', '', 36.5],
    ]);
    const { client, state } = fakeBridge();
    const batch = await readBoletas(wb, REF);
    expect(batch.rows.slice(0, 3).map((r) => r.duplicateOf)).toEqual([[3], undefined, [1]]);
    const refused = await sendBatch(client, batch, REF, { allOrNothing: false });
    expect(state.posts).toBe(0);
    expect(refused.summary.message).toContain('as linhas 2, 4 são iguais');
    await writeBack(wb, refused.batch);
    expect(fx.values('Boletas', 'O2:O4').map((r) => r[0])).toEqual(['Não enviada', 'Não enviada', 'Não enviada']);
    const confirmed = await sendBatch(client, batch, REF, { allOrNothing: false, confirmDuplicates: true });
    expect(state.posts).toBe(1);
    expect(confirmed.summary.sent).toBe(3);
  });
});

describe('browser mode: pasted rows', () => {
  it('parses rows copied from a spreadsheet, with stable keys per paste session', async () => {
    const text = 'Cliente\tAtivo\tLado\tQuantidade\tPreço limite\r\nCLI1\tPETR4\tC\t1.000\t36,50\r\n\t\t\t\t\r\nCLI2\tVALE3\tvenda\tdez\t\r\n';
    const a = batchFromPastedText(text, REF, 'sess1');
    const b = batchFromPastedText(text, REF, 'sess1');
    expect(a.rows.map((r) => r.state)).toEqual(['valid', 'empty', 'invalid']);
    expect(a.rows[0]!.key).toBe(b.rows[0]!.key);
    expect(a.rows[2]!.errors[0]!.message).toBe('Quantidade: "dez" não é um número');
    const { client, state } = fakeBridge();
    await sendBatch(client, a, REF, { allOrNothing: false });
    await sendBatch(client, b, REF, { allOrNothing: false });
    expect(state.seq).toBe(1); // pasted twice, sent once
    expect(() => batchFromPastedText('PETR4\t100', REF, 's')).toThrow(/cabeçalho/);
  });
});

describe('Enviar para planilha (live tables)', () => {
  let f: SocketFactory;
  let client: BridgeClient;
  beforeEach(() => {
    vi.useFakeTimers();
    f = new SocketFactory();
    client = new BridgeClient({ settings: memorySettings({ url: 'http://127.0.0.1:3000', token: 't' }), createWebSocket: f.create, random: () => 0 });
  });
  afterEach(() => {
    client.stop();
    vi.useRealTimers();
  });

  const order = (id: string, filled = 0, created = '2026-11-26T13:00:00.000Z'): OrderView => ({
    id,
    client: 'CLI1',
    symbol: 'PETR4',
    side: 'buy',
    qty: 1000,
    filledQty: filled,
    avgPrice: filled ? 36.5 : 0,
    algo: { type: 'full' },
    status: filled >= 1000 ? 'filled' : 'working',
    createdAt: created,
    updatedAt: created,
  });

  it('creates the table, then writes only the changed rows, at most once per interval', async () => {
    const sync = new SheetSync(wb, client, 'orders', { minIntervalMs: 1000 });
    await sync.start();
    const s = f.connect();
    s.push({ op: 'snapshot', channel: 'orders', seq: 1, data: Array.from({ length: 300 }, (_, i) => order(`O${String(i).padStart(3, '0')}`, 0, `2026-11-26T13:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000Z`)) });
    await vi.advanceTimersByTimeAsync(10);
    await sync.flush();
    expect(fx.table('BBOrdens')!.rect.rowCount).toBe(301);
    expect(fx.cell('BB Ordens', 'A2')).toBe('O000');
    fx.resetLog();
    // 100 fills on one order within half a second: coalesced into one small write.
    for (let k = 1; k <= 100; k++) {
      s.push({ op: 'delta', channel: 'orders', seq: 1 + k, data: order('O150', k * 10, '2026-11-26T13:02:30.000Z') });
      await vi.advanceTimersByTimeAsync(5);
    }
    await vi.advanceTimersByTimeAsync(1500);
    await sync.flush();
    const valueWrites = fx.book.writes.filter((w) => w.op === 'values' && w.sheet === 'BB Ordens' && w.cols > 1);
    expect(valueWrites.length).toBeLessThanOrEqual(2);
    expect(valueWrites.every((w) => w.rows === 1)).toBe(true);
    expect(fx.values('BB Ordens', 'A152:G152')[0]![6]).toBe(1000);
    expect(String(fx.values('BB Ordens', 'N1')[0]![0])).toMatch(/^Ao vivo/);
  });

  it('shrinks the table when rows go away and marks values as frozen when disconnected', async () => {
    const sync = new SheetSync(wb, client, 'balances', { minIntervalMs: 200 });
    await sync.start();
    const s = f.connect();
    const bal = (c: string) => ({ client: c, d0: 100, d1: 100, d2: 100, dates: ['2026-11-26', '2026-11-27', '2026-11-30'] });
    s.push({ op: 'snapshot', channel: 'balances', seq: 1, data: [bal('A'), bal('B'), bal('C')] });
    await vi.advanceTimersByTimeAsync(300);
    await sync.flush();
    expect(fx.table('BBSaldo')!.rect.rowCount).toBe(4);
    s.push({ op: 'delta', channel: 'balances', seq: 2, data: [bal('A')] });
    await vi.advanceTimersByTimeAsync(300);
    await sync.flush();
    expect(fx.table('BBSaldo')!.rect.rowCount).toBe(2);
    expect(fx.values('BB Saldo', 'A3:A4')).toEqual([[''], ['']]);
    s.drop();
    await vi.advanceTimersByTimeAsync(300);
    await sync.flush();
    expect(String(fx.values('BB Saldo', 'J1')[0]![0])).toMatch(/^DESCONECTADO/);
    expect(sync.current.state).toBe('stale');
    sync.stop();
  });

  it('stops (with a message) if the user deletes the table', async () => {
    const sync = new SheetSync(wb, client, 'positions', { minIntervalMs: 100 });
    await sync.start();
    const s = f.connect();
    fx.book.tables = fx.book.tables.filter((t) => t.name !== 'BBPosicoes');
    s.push({ op: 'snapshot', channel: 'positions', seq: 1, data: { consolidated: [], byClient: [{ client: 'A', symbol: 'PETR4', qty: 100, avgPrice: 36, last: 36.5, realizedPnl: 0, unrealizedPnl: 50 }] } });
    await vi.advanceTimersByTimeAsync(200);
    await sync.flush();
    expect(sync.current.state).toBe('error');
    expect(sync.current.message).toContain('parou');
  });
});
