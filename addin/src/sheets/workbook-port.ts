/**
 * The narrow slice of the workbook the add-in needs. `OfficeWorkbook` implements it with the Excel
 * JavaScript API; tests run the same sheet code against a recorded in-memory Excel stand-in.
 * Coordinates are zero-based sheet rows/columns.
 */
import type { Rect } from './a1.js';

export type CellValue = string | number | boolean;

export interface TableInfo extends Rect {
  name: string;
  sheet: string;
  /** Rect includes the header row (top) and the body rows below it. */
}

export interface SelectionInfo extends Rect {
  sheet: string;
  /** The table the selection lies in, when it does. */
  table?: TableInfo;
}

export interface TableSpec {
  sheet: string;
  table: string;
  header: string[];
  /** Body rows to create along with a new table (at least 1). */
  initialRows?: number;
  activate?: boolean;
  style?: string;
  /** Where a new table's header goes (zero-based sheet row and column; default A1). */
  top?: number;
  left?: number;
}

export interface BodyBlock {
  /** Body row offset (0 = first row under the header). */
  start: number;
  values: CellValue[][];
}

export interface WorkbookPort {
  getSelection(): Promise<SelectionInfo>;
  /** The used area of a sheet, or undefined when the sheet is empty. */
  getUsedRect(sheet: string): Promise<Rect | undefined>;
  readValues(sheet: string, rect: Rect): Promise<CellValue[][]>;
  /** Merged areas intersecting rect (sheet coordinates). */
  readMergedAreas(sheet: string, rect: Rect): Promise<Rect[]>;
  /** Writes a block; `null` leaves a cell unchanged. */
  writeValues(sheet: string, top: number, left: number, values: (CellValue | null)[][]): Promise<void>;
  sheetExists(name: string): Promise<boolean>;
  tableExists(name: string): Promise<boolean>;
  /** Creates the sheet and the table when missing; (re)writes the header. */
  ensureTable(spec: TableSpec): Promise<TableInfo>;
  /** Resizes the table body to rowCount rows (min 1), writes the blocks, applies number formats per column. */
  setTableBody(table: string, rowCount: number, blocks: BodyBlock[], numberFormats?: string[]): Promise<void>;
  /** In-cell dropdown list; `source` is a list of values or a range formula such as "='BB Listas'!$A$1:$A$9". */
  setListValidation(sheet: string, rect: Rect, source: string[] | { formula: string }): Promise<void>;
  setNumberFormat(sheet: string, rect: Rect, format: string): Promise<void>;
  setSheetHidden(sheet: string, hidden: boolean): Promise<void>;
  getSheetProperty(sheet: string, key: string): Promise<string | undefined>;
  setSheetProperty(sheet: string, key: string, value: string): Promise<void>;
  activate(sheet: string): Promise<void>;
}
