/** "Enviar para planilha" of the Base de dados tab: a range of candles as an Excel table with Excel dates. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OfficeWorkbook } from '../../addin/src/sheets/office-workbook.js';
import { CANDLES_SHEET, writeCandlesTable } from '../../addin/src/sheets/candles-sheet.js';
import { createFakeExcel, type FakeExcel } from './support/fake-excel.js';

let fx: FakeExcel;
beforeEach(() => {
  fx = createFakeExcel();
  (globalThis as Record<string, unknown>).Excel = fx.Excel;
});
afterEach(() => {
  delete (globalThis as Record<string, unknown>).Excel;
});

describe('candles to a sheet', () => {
  it('writes one table per series with Excel date serials in São Paulo time, and rewrites it on a new range', async () => {
    const wb = new OfficeWorkbook();
    const candles = [
      { t: '2024-12-30T21:15:00.000Z', open: 124100, high: 124120, low: 124050, close: 124080, volume: 1234567, qty: 10001, trades: 0 },
      { t: '2024-12-30T21:20:00.000Z', open: 124080, high: 124090, low: 123938, close: 123983, volume: 600822115.84, qty: 24228, trades: 0 },
    ];
    const table = await writeCandlesTable(wb, 'WINFUT', '5m', candles);
    expect(table).toBe('BBDados_WINFUT_5m');
    expect(fx.table(table)).toMatchObject({ sheet: CANDLES_SHEET });
    const rows = fx.values(CANDLES_SHEET, 'A1:H3');
    expect(rows[0]).toEqual(['Data', 'Abertura', 'Máxima', 'Mínima', 'Fechamento', 'Volume (R$)', 'Quantidade', 'Negócios']);
    expect(rows[2]!.slice(1)).toEqual([124080, 124090, 123938, 123983, 600822115.84, 24228, 0]);
    // 2024-12-30 18:20 on the São Paulo clock.
    expect(rows[2]![0]).toBeCloseTo(45656 + (18 * 60 + 20) / 1440, 9);
    await writeCandlesTable(wb, 'WINFUT', '5m', candles.slice(1));
    expect(fx.table(table)!.rect.rowCount).toBe(2); // header + one row
  });
});
