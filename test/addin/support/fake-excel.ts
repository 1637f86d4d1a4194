/**
 * An in-memory stand-in for the slice of the Excel JavaScript API the add-in uses, recording every
 * write. Self-contained (no imports) so the end-to-end tests can transpile it and inject it into
 * the browser page as `window.Excel`.
 *
 * Faithful where mistakes hide: properties must be load()ed and context.sync()ed before they are
 * read; values written must match the range's shape; null in a written array leaves the cell as
 * is; *OrNullObject getters only tell isNullObject after a sync; table bodies never have 0 rows.
 */

export type FakeCell = string | number | boolean;

export interface FakeRect {
  top: number;
  left: number;
  rowCount: number;
  colCount: number;
}

export interface FakeWrite {
  op: 'values' | 'numberFormat' | 'clear' | 'validation' | 'sheet.add' | 'table.add' | 'table.resize' | 'visibility' | 'property';
  sheet: string;
  address: string;
  rows: number;
  cols: number;
  values?: unknown[][];
  detail?: unknown;
}

interface SheetState {
  id: string;
  name: string;
  cells: Map<string, FakeCell>;
  formats: Map<string, string>;
  merged: FakeRect[];
  validations: Array<{ rect: FakeRect; rule: unknown; errorAlert?: unknown }>;
  props: Map<string, string>;
  visibility: string;
}

interface TableState {
  name: string;
  sheet: SheetState;
  rect: FakeRect; // header row included
  style?: string;
}

function letters(index: number): string {
  let n = index + 1;
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

function colIndex(l: string): number {
  let n = 0;
  for (const ch of l.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

function quote(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(name) ? name : `'${name.replace(/'/g, "''")}'`;
}

function addressOf(sheet: string, r: FakeRect): string {
  const a = `${letters(r.left)}${r.top + 1}`;
  const b = `${letters(r.left + r.colCount - 1)}${r.top + r.rowCount}`;
  return `${quote(sheet)}!${a === b ? a : `${a}:${b}`}`;
}

function parseRect(address: string): FakeRect {
  const body = address.includes('!') ? address.slice(address.lastIndexOf('!') + 1) : address;
  const [a, b = a] = body.replace(/\$/g, '').split(':');
  const pa = /^([A-Za-z]+)(\d+)$/.exec(a!);
  const pb = /^([A-Za-z]+)(\d+)$/.exec(b!);
  if (!pa || !pb) throw new Error(`fake-excel: unsupported address ${address}`);
  const top = Math.min(Number(pa[2]) - 1, Number(pb[2]) - 1);
  const left = Math.min(colIndex(pa[1]!), colIndex(pb[1]!));
  return {
    top,
    left,
    rowCount: Math.abs(Number(pb[2]) - Number(pa[2])) + 1,
    colCount: Math.abs(colIndex(pb[1]!) - colIndex(pa[1]!)) + 1,
  };
}

function intersects(a: FakeRect, b: FakeRect): boolean {
  return a.top < b.top + b.rowCount && b.top < a.top + a.rowCount && a.left < b.left + b.colCount && b.left < a.left + a.colCount;
}

const key = (r: number, c: number) => `${r},${c}`;

export function createFakeExcel() {
  const book = {
    sheets: [] as SheetState[],
    tables: [] as TableState[],
    selection: { sheet: '', rect: { top: 0, left: 0, rowCount: 1, colCount: 1 } as FakeRect },
    active: '',
    writes: [] as FakeWrite[],
    runs: 0,
    syncs: 0,
    /** Simulated failure of the next sync (e.g. the user is editing a cell). */
    failNextSync: undefined as string | undefined,
  };
  let nextId = 1;

  const findSheet = (name: string) => book.sheets.find((s) => s.name === name);
  const findTable = (name: string) => book.tables.find((t) => t.name.toLowerCase() === name.toLowerCase());

  function addSheet(name: string): SheetState {
    if (findSheet(name)) throw new Error(`ItemAlreadyExists: sheet ${name}`);
    const s: SheetState = {
      id: `{sheet-${nextId++}}`,
      name,
      cells: new Map(),
      formats: new Map(),
      merged: [],
      validations: [],
      props: new Map(),
      visibility: 'Visible',
    };
    book.sheets.push(s);
    if (!book.active) book.active = name;
    if (!book.selection.sheet) book.selection.sheet = name;
    return s;
  }

  function read(sheet: SheetState, r: FakeRect): FakeCell[][] {
    const out: FakeCell[][] = [];
    for (let i = 0; i < r.rowCount; i++) {
      const row: FakeCell[] = [];
      for (let j = 0; j < r.colCount; j++) {
        const rr = r.top + i;
        const cc = r.left + j;
        const m = sheet.merged.find((x) => rr >= x.top && rr < x.top + x.rowCount && cc >= x.left && cc < x.left + x.colCount);
        if (m && (rr !== m.top || cc !== m.left)) row.push('');
        else row.push(sheet.cells.get(key(rr, cc)) ?? '');
      }
      out.push(row);
    }
    return out;
  }

  function checkShape(r: FakeRect, values: unknown): asserts values is unknown[][] {
    if (!Array.isArray(values) || values.length !== r.rowCount || values.some((row) => !Array.isArray(row) || row.length !== r.colCount)) {
      throw new Error(
        `InvalidArgument: The number of rows or columns in the input array doesn't match the size or dimensions of the range (${r.rowCount}x${r.colCount}).`,
      );
    }
  }

  function write(sheet: SheetState, r: FakeRect, values: unknown[][]): void {
    for (let i = 0; i < r.rowCount; i++) {
      for (let j = 0; j < r.colCount; j++) {
        const v = values[i]![j];
        if (v === null || v === undefined) continue;
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new Error(`InvalidArgument: cell value ${String(v)}`);
        if (v === '') sheet.cells.delete(key(r.top + i, r.left + j));
        else sheet.cells.set(key(r.top + i, r.left + j), v);
      }
    }
  }

  class Ctx {
    readonly workbook: Workbook;
    private pending: Array<() => void> = [];
    syncCount = 0;
    constructor() {
      this.workbook = new Workbook(this);
    }
    onSync(fn: () => void) {
      this.pending.push(fn);
    }
    async sync(): Promise<void> {
      book.syncs++;
      if (book.failNextSync) {
        const msg = book.failNextSync;
        book.failNextSync = undefined;
        this.pending = [];
        throw new Error(msg);
      }
      this.syncCount++;
      const p = this.pending;
      this.pending = [];
      for (const f of p) f();
      await Promise.resolve();
    }
    trackedObjects = { add() {}, remove() {} };
  }

  class Loadable {
    protected loaded = new Set<string>();
    constructor(protected ctx: Ctx) {}
    load(props?: string | string[] | Record<string, unknown>): this {
      const list = typeof props === 'string' ? props.split(',') : Array.isArray(props) ? props : props ? Object.keys(props) : ['*'];
      const names = list.map((p) => p.trim()).filter(Boolean);
      this.ctx.onSync(() => names.forEach((n) => this.loaded.add(n)));
      return this;
    }
    protected need(prop: string): void {
      if (!this.loaded.has(prop) && !this.loaded.has('*')) {
        throw new Error(`PropertyNotLoaded: The property '${prop}' is not available. Before reading the property's value, call the load method on the containing object and call "context.sync()" on the associated request context.`);
      }
    }
    untrack() {
      return this;
    }
  }

  class NullableMixin extends Loadable {
    private synced = false;
    constructor(ctx: Ctx, private readonly isNullFn: () => boolean) {
      super(ctx);
      ctx.onSync(() => (this.synced = true));
    }
    get isNullObject(): boolean {
      if (!this.synced) throw new Error('PropertyNotLoaded: isNullObject is known only after context.sync()');
      return this.isNullFn();
    }
  }

  class Workbook {
    readonly worksheets: WorksheetCollection;
    readonly tables: TableCollection;
    readonly application = { suspendApiCalculationUntilNextSync() {}, suspendScreenUpdatingUntilNextSync() {} };
    constructor(private ctx: Ctx) {
      this.worksheets = new WorksheetCollection(ctx);
      this.tables = new TableCollection(ctx);
    }
    getSelectedRange(): Range {
      const sheet = findSheet(book.selection.sheet);
      if (!sheet) throw new Error('InvalidSelection');
      return new Range(this.ctx, sheet, book.selection.rect);
    }
  }

  class WorksheetCollection {
    constructor(private ctx: Ctx) {}
    getItem(name: string): Worksheet {
      const s = findSheet(name);
      if (!s) throw new Error(`ItemNotFound: worksheet ${name}`);
      return new Worksheet(this.ctx, () => findSheet(name) ?? s);
    }
    getItemOrNullObject(name: string): Worksheet {
      return new Worksheet(this.ctx, () => findSheet(name), true);
    }
    getActiveWorksheet(): Worksheet {
      return this.getItem(book.active);
    }
    add(name: string): Worksheet {
      const s = addSheet(name);
      book.writes.push({ op: 'sheet.add', sheet: name, address: '', rows: 0, cols: 0 });
      return new Worksheet(this.ctx, () => s);
    }
  }

  class Worksheet extends NullableMixin {
    readonly tables: { add: (range: Range | string, hasHeaders: boolean) => Table };
    readonly customProperties: {
      getItemOrNullObject: (k: string) => { value: string; isNullObject: boolean; load: (p?: string) => unknown };
      add: (k: string, v: string) => void;
    };
    constructor(ctx: Ctx, private readonly get: () => SheetState | undefined, nullable = false) {
      super(ctx, () => !get());
      if (!nullable && !get()) throw new Error('ItemNotFound');
      const self = this;
      this.tables = {
        add(range, hasHeaders) {
          const sheet = self.state();
          const rect = typeof range === 'string' ? parseRect(range) : range.rect;
          if (!hasHeaders) throw new Error('fake-excel: hasHeaders=false not supported');
          if (rect.rowCount < 2) throw new Error('InvalidArgument: a table needs a header and at least one row');
          if (book.tables.some((t) => t.sheet === sheet && intersects(t.rect, rect))) throw new Error('InvalidOperation: tables overlap');
          let n = 1;
          while (findTable(`Table${n}`)) n++;
          const t: TableState = { name: `Table${n}`, sheet, rect: { ...rect } };
          book.tables.push(t);
          book.writes.push({ op: 'table.add', sheet: sheet.name, address: addressOf(sheet.name, rect), rows: rect.rowCount, cols: rect.colCount });
          return new Table(ctx, () => t);
        },
      };
      this.customProperties = {
        getItemOrNullObject(k) {
          const sheet = self.state();
          const o = new NullableMixin(ctx, () => !sheet.props.has(k)) as NullableMixin & { value: string };
          Object.defineProperty(o, 'value', { get: () => sheet.props.get(k) ?? '' });
          return o as unknown as { value: string; isNullObject: boolean; load: (p?: string) => unknown };
        },
        add(k, v) {
          const sheet = self.state();
          sheet.props.set(k, v);
          book.writes.push({ op: 'property', sheet: sheet.name, address: '', rows: 0, cols: 0, detail: { [k]: v } });
        },
      };
    }
    state(): SheetState {
      const s = this.get();
      if (!s) throw new Error('ItemNotFound: worksheet');
      return s;
    }
    get name(): string {
      this.need('name');
      return this.state().name;
    }
    get id(): string {
      this.need('id');
      return this.state().id;
    }
    set visibility(v: string) {
      this.state().visibility = v;
      book.writes.push({ op: 'visibility', sheet: this.state().name, address: '', rows: 0, cols: 0, detail: v });
    }
    get visibility(): string {
      this.need('visibility');
      return this.state().visibility;
    }
    activate(): void {
      book.active = this.state().name;
    }
    getRange(address: string): Range {
      return new Range(this.ctx, this.state(), parseRect(address));
    }
    getRangeByIndexes(top: number, left: number, rowCount: number, colCount: number): Range {
      if (rowCount < 1 || colCount < 1) throw new Error('InvalidArgument: empty range');
      return new Range(this.ctx, this.state(), { top, left, rowCount, colCount });
    }
    getUsedRangeOrNullObject(_valuesOnly?: boolean): Range & { isNullObject: boolean } {
      const s = this.state();
      let top = Infinity;
      let left = Infinity;
      let bottom = -1;
      let right = -1;
      for (const k of s.cells.keys()) {
        const [r, c] = k.split(',').map(Number) as [number, number];
        top = Math.min(top, r);
        left = Math.min(left, c);
        bottom = Math.max(bottom, r);
        right = Math.max(right, c);
      }
      const empty = bottom < 0;
      const rect = empty ? { top: 0, left: 0, rowCount: 1, colCount: 1 } : { top, left, rowCount: bottom - top + 1, colCount: right - left + 1 };
      const r = new Range(this.ctx, s, rect) as Range & { isNullObject: boolean };
      let synced = false;
      this.ctx.onSync(() => (synced = true));
      Object.defineProperty(r, 'isNullObject', {
        get: () => {
          if (!synced) throw new Error('PropertyNotLoaded: isNullObject');
          return empty;
        },
      });
      return r;
    }
  }

  class Range extends Loadable {
    constructor(ctx: Ctx, readonly sheetState: SheetState, readonly rect: FakeRect) {
      super(ctx);
    }
    get values(): FakeCell[][] {
      this.need('values');
      return read(this.sheetState, this.rect);
    }
    set values(v: FakeCell[][]) {
      checkShape(this.rect, v);
      write(this.sheetState, this.rect, v as unknown[][]);
      book.writes.push({
        op: 'values',
        sheet: this.sheetState.name,
        address: addressOf(this.sheetState.name, this.rect),
        rows: this.rect.rowCount,
        cols: this.rect.colCount,
        values: v.map((r) => [...r]),
      });
    }
    get numberFormat(): string[][] {
      this.need('numberFormat');
      return Array.from({ length: this.rect.rowCount }, (_, i) =>
        Array.from({ length: this.rect.colCount }, (_, j) => this.sheetState.formats.get(key(this.rect.top + i, this.rect.left + j)) ?? 'General'),
      );
    }
    set numberFormat(v: string[][]) {
      checkShape(this.rect, v);
      for (let i = 0; i < this.rect.rowCount; i++) {
        for (let j = 0; j < this.rect.colCount; j++) {
          const f = v[i]![j];
          if (f !== null && f !== undefined) this.sheetState.formats.set(key(this.rect.top + i, this.rect.left + j), f);
        }
      }
      book.writes.push({ op: 'numberFormat', sheet: this.sheetState.name, address: addressOf(this.sheetState.name, this.rect), rows: this.rect.rowCount, cols: this.rect.colCount });
    }
    get rowIndex() {
      this.need('rowIndex');
      return this.rect.top;
    }
    get columnIndex() {
      this.need('columnIndex');
      return this.rect.left;
    }
    get rowCount() {
      this.need('rowCount');
      return this.rect.rowCount;
    }
    get columnCount() {
      this.need('columnCount');
      return this.rect.colCount;
    }
    get address() {
      this.need('address');
      return addressOf(this.sheetState.name, this.rect);
    }
    private ws?: Worksheet;
    /** Navigation properties return the same proxy every time (as in office.js). */
    get worksheet(): Worksheet {
      const s = this.sheetState;
      return (this.ws ??= new Worksheet(this.ctx, () => s));
    }
    readonly format = { autofitColumns() {}, autofitRows() {}, font: {} as Record<string, unknown>, fill: {} as Record<string, unknown> };
    get dataValidation() {
      const self = this;
      return {
        clear() {
          self.sheetState.validations = self.sheetState.validations.filter((v) => !intersects(v.rect, self.rect));
        },
        set rule(rule: unknown) {
          self.sheetState.validations.push({ rect: { ...self.rect }, rule });
          book.writes.push({ op: 'validation', sheet: self.sheetState.name, address: addressOf(self.sheetState.name, self.rect), rows: self.rect.rowCount, cols: self.rect.colCount, detail: rule });
        },
        set errorAlert(alert: unknown) {
          const last = self.sheetState.validations[self.sheetState.validations.length - 1];
          if (last) last.errorAlert = alert;
        },
      };
    }
    clear(_applyTo?: string): void {
      for (let i = 0; i < this.rect.rowCount; i++) for (let j = 0; j < this.rect.colCount; j++) this.sheetState.cells.delete(key(this.rect.top + i, this.rect.left + j));
      book.writes.push({ op: 'clear', sheet: this.sheetState.name, address: addressOf(this.sheetState.name, this.rect), rows: this.rect.rowCount, cols: this.rect.colCount });
    }
    getTables(fullyContained = false) {
      const found = book.tables.filter(
        (t) =>
          t.sheet === this.sheetState &&
          (fullyContained
            ? this.rect.top >= t.rect.top && this.rect.left >= t.rect.left && this.rect.top + this.rect.rowCount <= t.rect.top + t.rect.rowCount && this.rect.left + this.rect.colCount <= t.rect.left + t.rect.colCount
            : intersects(t.rect, this.rect)),
      );
      const coll = new Loadable(this.ctx) as Loadable & { items: Table[] };
      const items = found.map((t) => new Table(this.ctx, () => t));
      Object.defineProperty(coll, 'items', {
        get: () => {
          (coll as unknown as { need: (p: string) => void }).need('items/name');
          return items;
        },
      });
      // items/name loads the name of each table too
      const origLoad = coll.load.bind(coll);
      coll.load = (p?: string | string[] | Record<string, unknown>) => {
        for (const t of items) t.load('name');
        return origLoad(p);
      };
      return coll;
    }
    getMergedAreasOrNullObject() {
      const areas = this.sheetState.merged.filter((m) => intersects(m, this.rect));
      const o = new NullableMixin(this.ctx, () => areas.length === 0) as NullableMixin & { address: string };
      const name = this.sheetState.name;
      Object.defineProperty(o, 'address', {
        get: () => {
          (o as unknown as { need: (p: string) => void }).need('address');
          return areas.map((a) => addressOf(name, a)).join(',');
        },
      });
      return o;
    }
    getCell(r: number, c: number): Range {
      return new Range(this.ctx, this.sheetState, { top: this.rect.top + r, left: this.rect.left + c, rowCount: 1, colCount: 1 });
    }
    getResizedRange(dr: number, dc: number): Range {
      return new Range(this.ctx, this.sheetState, { ...this.rect, rowCount: this.rect.rowCount + dr, colCount: this.rect.colCount + dc });
    }
    getOffsetRange(dr: number, dc: number): Range {
      return new Range(this.ctx, this.sheetState, { ...this.rect, top: this.rect.top + dr, left: this.rect.left + dc });
    }
  }

  class TableCollection {
    constructor(private ctx: Ctx) {}
    getItem(name: string): Table {
      const t = findTable(name);
      if (!t) throw new Error(`ItemNotFound: table ${name}`);
      return new Table(this.ctx, () => findTable(name) ?? t);
    }
    getItemOrNullObject(name: string): Table {
      return new Table(this.ctx, () => findTable(name), true);
    }
  }

  class Table extends NullableMixin {
    readonly rows: { add: (index: number | undefined | null, values: unknown[][]) => void };
    constructor(ctx: Ctx, private readonly get: () => TableState | undefined, nullable = false) {
      super(ctx, () => !get());
      if (!nullable && !get()) throw new Error('ItemNotFound: table');
      const self = this;
      this.rows = {
        add(_index, values) {
          const t = self.state();
          const r: FakeRect = { top: t.rect.top + t.rect.rowCount, left: t.rect.left, rowCount: values.length, colCount: t.rect.colCount };
          checkShape(r, values);
          write(t.sheet, r, values);
          t.rect.rowCount += values.length;
        },
      };
    }
    state(): TableState {
      const t = this.get();
      if (!t) throw new Error('ItemNotFound: table');
      return t;
    }
    get name(): string {
      this.need('name');
      return this.state().name;
    }
    set name(n: string) {
      const t = this.state();
      const other = findTable(n);
      if (other && other !== t) throw new Error(`InvalidArgument: table name ${n} already used`);
      t.name = n;
    }
    set style(s: string) {
      this.state().style = s;
    }
    private ws?: Worksheet;
    get worksheet(): Worksheet {
      const t = this.state();
      return (this.ws ??= new Worksheet(this.ctx, () => t.sheet));
    }
    getRange(): Range {
      const t = this.state();
      return new Range(this.ctx, t.sheet, { ...t.rect });
    }
    getHeaderRowRange(): Range {
      const t = this.state();
      return new Range(this.ctx, t.sheet, { ...t.rect, rowCount: 1 });
    }
    getDataBodyRange(): Range {
      const t = this.state();
      return new Range(this.ctx, t.sheet, { ...t.rect, top: t.rect.top + 1, rowCount: t.rect.rowCount - 1 });
    }
    resize(range: Range | string): void {
      const t = this.state();
      const rect = typeof range === 'string' ? parseRect(range) : range.rect;
      if (rect.top !== t.rect.top || rect.left !== t.rect.left) throw new Error('InvalidArgument: the header row must stay in place');
      if (rect.rowCount < 2) throw new Error('InvalidArgument: a table needs at least one body row');
      t.rect = { ...rect };
      book.writes.push({ op: 'table.resize', sheet: t.sheet.name, address: addressOf(t.sheet.name, rect), rows: rect.rowCount, cols: rect.colCount });
    }
    delete(): void {
      book.tables = book.tables.filter((x) => x !== this.state());
    }
  }

  const Excel = {
    run: async <T>(batch: (ctx: Ctx) => Promise<T>): Promise<T> => {
      book.runs++;
      const ctx = new Ctx();
      const result = await batch(ctx);
      await ctx.sync();
      return result;
    },
    ClearApplyTo: { all: 'All', formats: 'Formats', contents: 'Contents' },
    DeleteShiftDirection: { up: 'Up', left: 'Left' },
    SheetVisibility: { visible: 'Visible', hidden: 'Hidden', veryHidden: 'VeryHidden' },
  };

  /** Test helpers (not part of the Excel API). */
  const helpers = {
    book,
    addSheet(name: string, values?: unknown[][], at = 'A1') {
      const s = findSheet(name) ?? addSheet(name);
      const p = parseRect(at);
      (values ?? []).forEach((row, i) => {
        if (row.length) write(s, { top: p.top + i, left: p.left, rowCount: 1, colCount: row.length }, [row]);
      });
      return s;
    },
    addTable(sheet: string, address: string, name: string) {
      const s = findSheet(sheet)!;
      const t: TableState = { name, sheet: s, rect: parseRect(address) };
      book.tables.push(t);
      return t;
    },
    select(sheet: string, address: string) {
      book.selection = { sheet, rect: parseRect(address) };
      book.active = sheet;
    },
    merge(sheet: string, address: string) {
      findSheet(sheet)!.merged.push(parseRect(address));
    },
    values(sheet: string, address: string): FakeCell[][] {
      return read(findSheet(sheet)!, parseRect(address));
    },
    cell(sheet: string, address: string): FakeCell {
      return read(findSheet(sheet)!, parseRect(address))[0]![0]!;
    },
    table(name: string) {
      const t = findTable(name);
      return t ? { name: t.name, sheet: t.sheet.name, address: addressOf(t.sheet.name, t.rect), rect: { ...t.rect } } : undefined;
    },
    sheetNames: () => book.sheets.map((s) => s.name),
    sheet: (name: string) => findSheet(name),
    writesTo: (sheet: string) => book.writes.filter((w) => w.sheet === sheet),
    resetLog() {
      book.writes = [];
      book.runs = 0;
      book.syncs = 0;
    },
  };

  return { Excel, ...helpers };
}

export type FakeExcel = ReturnType<typeof createFakeExcel>;
