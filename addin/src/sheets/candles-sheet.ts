/** A range of candles as an Excel table on the "BB Dados" sheet: one table per series, dates as Excel dates. */
import type { CandleRow } from '../../../common/marketdata.js';
import { CANDLE_SHEET_FORMATS, CANDLE_SHEET_HEADER, candleSheetRows, candleTableName } from '../core/marketdata.js';
import type { WorkbookPort } from './workbook-port.js';

export const CANDLES_SHEET = 'BB Dados';

/** (Re)writes the series' table with these candles; returns the table name. */
export async function writeCandlesTable(port: WorkbookPort, symbol: string, interval: string, candles: CandleRow[]): Promise<string> {
  const table = candleTableName(symbol, interval);
  await port.ensureTable({ sheet: CANDLES_SHEET, table, header: CANDLE_SHEET_HEADER, activate: true });
  await port.setTableBody(table, candles.length, [{ start: 0, values: candleSheetRows(candles) }], CANDLE_SHEET_FORMATS);
  return table;
}
