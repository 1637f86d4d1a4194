/**
 * WorkbookPort on the Excel JavaScript API. Every method is one Excel.run with as few
 * context.sync() calls as the API allows; large blocks are split (5 MB request limit on the web).
 */
import { parseAddress, type Rect } from './a1.js';
import type { BodyBlock, CellValue, SelectionInfo, TableInfo, TableSpec, WorkbookPort } from './workbook-port.js';

/** Rows per write/read request; with ~15 columns this stays far below the 5 MB payload limit. */
const ROWS_PER_REQUEST = 2_000;

function supports(version: string): boolean {
  const office = (globalThis as { Office?: typeof Office }).Office;
  const req = office?.context?.requirements;
  if (!req || typeof req.isSetSupported !== 'function') return true; // stand-ins and recent hosts
  return req.isSetSupported('ExcelApi', version);
}

function rectOf(r: { rowIndex: number; columnIndex: number; rowCount: number; columnCount: number }): Rect {
  return { top: r.rowIndex, left: r.columnIndex, rowCount: r.rowCount, colCount: r.columnCount };
}

const RECT_PROPS = 'rowIndex,columnIndex,rowCount,columnCount';

export class OfficeWorkbook implements WorkbookPort {
  private readonly memoryProps = new Map<string, string>();

  async getSelection(): Promise<SelectionInfo> {
    return Excel.run(async (ctx) => {
      const r = ctx.workbook.getSelectedRange();
      r.load(RECT_PROPS);
      r.worksheet.load('name');
      const tables = r.getTables(false);
      tables.load('items/name');
      try {
        await ctx.sync();
      } catch (err) {
        throw new Error(`Não consegui ler a seleção (selecione uma única área retangular): ${(err as Error).message}`);
      }
      const info: SelectionInfo = { sheet: r.worksheet.name, ...rectOf(r) };
      const t = tables.items[0];
      if (t) {
        const tr = t.getRange();
        tr.load(RECT_PROPS);
        await ctx.sync();
        info.table = { name: t.name, sheet: info.sheet, ...rectOf(tr) };
      }
      return info;
    });
  }

  async getUsedRect(sheet: string): Promise<Rect | undefined> {
    return Excel.run(async (ctx) => {
      const used = ctx.workbook.worksheets.getItem(sheet).getUsedRangeOrNullObject(true);
      used.load(RECT_PROPS);
      await ctx.sync();
      return used.isNullObject ? undefined : rectOf(used);
    });
  }

  async readValues(sheet: string, rect: Rect): Promise<CellValue[][]> {
    if (rect.rowCount <= 0 || rect.colCount <= 0) return [];
    return Excel.run(async (ctx) => {
      const ws = ctx.workbook.worksheets.getItem(sheet);
      const parts: Excel.Range[] = [];
      for (let i = 0; i < rect.rowCount; i += ROWS_PER_REQUEST * 5) {
        const n = Math.min(ROWS_PER_REQUEST * 5, rect.rowCount - i);
        const r = ws.getRangeByIndexes(rect.top + i, rect.left, n, rect.colCount);
        r.load('values');
        parts.push(r);
        await ctx.sync();
      }
      const out: CellValue[][] = [];
      for (const p of parts) for (const row of p.values) out.push(row as CellValue[]);
      return out;
    });
  }

  async readMergedAreas(sheet: string, rect: Rect): Promise<Rect[]> {
    if (!supports('1.13')) return [];
    return Excel.run(async (ctx) => {
      const areas = ctx.workbook.worksheets
        .getItem(sheet)
        .getRangeByIndexes(rect.top, rect.left, rect.rowCount, rect.colCount)
        .getMergedAreasOrNullObject();
      areas.load('address');
      await ctx.sync();
      if (areas.isNullObject || !areas.address) return [];
      return areas.address
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean)
        .map((a) => parseAddress(a).rect);
    });
  }

  async writeValues(sheet: string, top: number, left: number, values: (CellValue | null)[][]): Promise<void> {
    if (values.length === 0 || values[0]!.length === 0) return;
    await Excel.run(async (ctx) => {
      const ws = ctx.workbook.worksheets.getItem(sheet);
      for (let i = 0; i < values.length; i += ROWS_PER_REQUEST) {
        const chunk = values.slice(i, i + ROWS_PER_REQUEST);
        ws.getRangeByIndexes(top + i, left, chunk.length, chunk[0]!.length).values = chunk as unknown[][];
        await ctx.sync();
      }
    });
  }

  async sheetExists(name: string): Promise<boolean> {
    return Excel.run(async (ctx) => {
      const ws = ctx.workbook.worksheets.getItemOrNullObject(name);
      await ctx.sync();
      return !ws.isNullObject;
    });
  }

  async tableExists(name: string): Promise<boolean> {
    return Excel.run(async (ctx) => {
      const t = ctx.workbook.tables.getItemOrNullObject(name);
      await ctx.sync();
      return !t.isNullObject;
    });
  }

  async ensureTable(spec: TableSpec): Promise<TableInfo> {
    return Excel.run(async (ctx) => {
      let table = ctx.workbook.tables.getItemOrNullObject(spec.table);
      await ctx.sync();
      const width = spec.header.length;
      if (table.isNullObject) {
        let ws = ctx.workbook.worksheets.getItemOrNullObject(spec.sheet);
        await ctx.sync();
        if (ws.isNullObject) ws = ctx.workbook.worksheets.add(spec.sheet);
        const rows = Math.max(1, spec.initialRows ?? 1);
        const top = spec.top ?? 0;
        const left = spec.left ?? 0;
        ws.getRangeByIndexes(top, left, 1, width).values = [spec.header];
        table = ws.tables.add(ws.getRangeByIndexes(top, left, rows + 1, width), true);
        table.name = spec.table;
        table.style = spec.style ?? 'TableStyleMedium2';
        await ctx.sync();
      } else {
        const tr = table.getRange();
        tr.load(RECT_PROPS);
        await ctx.sync();
        if (tr.columnCount !== width && supports('1.13')) {
          table.resize(table.worksheet.getRangeByIndexes(tr.rowIndex, tr.columnIndex, tr.rowCount, width));
        }
        table.getHeaderRowRange().values = [spec.header];
        await ctx.sync();
      }
      if (spec.activate) table.worksheet.activate();
      const range = table.getRange();
      range.load(RECT_PROPS);
      table.worksheet.load('name');
      await ctx.sync();
      try {
        table.worksheet.getRangeByIndexes(range.rowIndex, range.columnIndex, 1, width).format.autofitColumns();
        await ctx.sync();
      } catch {
        /* cosmetic */
      }
      return { name: spec.table, sheet: table.worksheet.name, ...rectOf(range) };
    });
  }

  async setTableBody(name: string, rowCount: number, blocks: BodyBlock[], numberFormats?: string[]): Promise<void> {
    await Excel.run(async (ctx) => {
      const table = ctx.workbook.tables.getItem(name);
      const ws = table.worksheet;
      const tr = table.getRange();
      tr.load(RECT_PROPS);
      await ctx.sync();
      const cols = tr.columnCount;
      const top = tr.rowIndex;
      const left = tr.columnIndex;
      const have = tr.rowCount - 1;
      const want = Math.max(1, rowCount);
      if (want !== have) {
        if (supports('1.13')) {
          table.resize(ws.getRangeByIndexes(top, left, want + 1, cols));
          if (want < have) ws.getRangeByIndexes(top + 1 + want, left, have - want, cols).clear('Contents');
        } else if (want > have) {
          const blank = Array.from({ length: want - have }, () => Array<string>(cols).fill(''));
          table.rows.add(undefined, blank);
        } else {
          ws.getRangeByIndexes(top + 1 + want, left, have - want, cols).delete('Up');
        }
        await ctx.sync();
      }
      if (rowCount === 0) ws.getRangeByIndexes(top + 1, left, 1, cols).values = [Array<string>(cols).fill('')];
      let pendingCells = 0;
      for (const b of blocks) {
        for (let i = 0; i < b.values.length; i += ROWS_PER_REQUEST) {
          const chunk = b.values.slice(i, i + ROWS_PER_REQUEST);
          if (chunk.length === 0) continue;
          const r = ws.getRangeByIndexes(top + 1 + b.start + i, left, chunk.length, cols);
          r.values = chunk;
          if (numberFormats && numberFormats.length === cols) r.numberFormat = chunk.map(() => numberFormats);
          pendingCells += chunk.length * cols;
          if (pendingCells >= ROWS_PER_REQUEST * cols) {
            await ctx.sync();
            pendingCells = 0;
          }
        }
      }
      await ctx.sync();
    });
  }

  async setListValidation(sheet: string, rect: Rect, source: string[] | { formula: string }): Promise<void> {
    await Excel.run(async (ctx) => {
      const r = ctx.workbook.worksheets.getItem(sheet).getRangeByIndexes(rect.top, rect.left, rect.rowCount, rect.colCount);
      r.dataValidation.clear();
      r.dataValidation.rule = {
        list: { inCellDropDown: true, source: Array.isArray(source) ? source.join(',') : source.formula },
      };
      // The dropdown guides; the add-in validates every row anyway (and accepts C/V, buy/sell...).
      r.dataValidation.errorAlert = { showAlert: false, style: 'Information', title: 'BlackBox', message: '' };
      await ctx.sync();
    });
  }

  async setNumberFormat(sheet: string, rect: Rect, format: string): Promise<void> {
    await Excel.run(async (ctx) => {
      const r = ctx.workbook.worksheets.getItem(sheet).getRangeByIndexes(rect.top, rect.left, rect.rowCount, rect.colCount);
      r.numberFormat = Array.from({ length: rect.rowCount }, () => Array<string>(rect.colCount).fill(format));
      await ctx.sync();
    });
  }

  async setSheetHidden(sheet: string, hidden: boolean): Promise<void> {
    await Excel.run(async (ctx) => {
      ctx.workbook.worksheets.getItem(sheet).visibility = hidden ? 'Hidden' : 'Visible';
      await ctx.sync();
    });
  }

  async getSheetProperty(sheet: string, key: string): Promise<string | undefined> {
    if (!supports('1.12')) return this.memoryProps.get(`${sheet}\u0000${key}`);
    return Excel.run(async (ctx) => {
      const p = ctx.workbook.worksheets.getItem(sheet).customProperties.getItemOrNullObject(key);
      p.load('value');
      await ctx.sync();
      return p.isNullObject ? undefined : String(p.value);
    });
  }

  async setSheetProperty(sheet: string, key: string, value: string): Promise<void> {
    if (!supports('1.12')) {
      this.memoryProps.set(`${sheet}\u0000${key}`, value);
      return;
    }
    await Excel.run(async (ctx) => {
      ctx.workbook.worksheets.getItem(sheet).customProperties.add(key, value);
      await ctx.sync();
    });
  }

  async activate(sheet: string): Promise<void> {
    await Excel.run(async (ctx) => {
      ctx.workbook.worksheets.getItem(sheet).activate();
      await ctx.sync();
    });
  }
}
