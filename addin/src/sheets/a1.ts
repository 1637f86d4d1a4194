/** A1 addresses <-> zero-based row/column indexes. Pure helpers. */

export interface Rect {
  top: number;
  left: number;
  rowCount: number;
  colCount: number;
}

export function columnLetters(index: number): string {
  let n = index + 1;
  let s = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    s = String.fromCharCode(65 + r) + s;
    n = Math.floor((n - 1) / 26);
  }
  return s;
}

export function columnIndex(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

export function quoteSheet(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.]*$/.test(name) && !/^[A-Za-z]{1,3}\d+$/.test(name) ? name : `'${name.replace(/'/g, "''")}'`;
}

export function cellAddress(row: number, col: number): string {
  return `${columnLetters(col)}${row + 1}`;
}

export function rectAddress(r: Rect, sheet?: string): string {
  const a = cellAddress(r.top, r.left);
  const b = cellAddress(r.top + r.rowCount - 1, r.left + r.colCount - 1);
  const body = r.rowCount === 1 && r.colCount === 1 ? a : `${a}:${b}`;
  return sheet ? `${quoteSheet(sheet)}!${body}` : body;
}

/** Parses "Sheet1!A1:C3", "'My sheet'!B2", "A:C" (whole columns), "2:5" (whole rows). */
export function parseAddress(address: string): { sheet?: string; rect: Rect } {
  let sheet: string | undefined;
  let body = address.trim();
  const bang = body.lastIndexOf('!');
  if (bang >= 0) {
    sheet = body.slice(0, bang);
    if (sheet.startsWith("'") && sheet.endsWith("'")) sheet = sheet.slice(1, -1).replace(/''/g, "'");
    body = body.slice(bang + 1);
  }
  const [a, b = a] = body.replace(/\$/g, '').split(':');
  const pa = parseRef(a!);
  const pb = parseRef(b!);
  const MAX_ROW = 1_048_576;
  const MAX_COL = 16_384;
  const top = Math.min(pa.row ?? 0, pb.row ?? 0);
  const bottom = Math.max(pa.row ?? MAX_ROW - 1, pb.row ?? MAX_ROW - 1);
  const left = Math.min(pa.col ?? 0, pb.col ?? 0);
  const right = Math.max(pa.col ?? MAX_COL - 1, pb.col ?? MAX_COL - 1);
  return { sheet, rect: { top, left, rowCount: bottom - top + 1, colCount: right - left + 1 } };
}

function parseRef(ref: string): { row?: number; col?: number } {
  const m = /^([A-Za-z]*)(\d*)$/.exec(ref.trim());
  if (!m) throw new Error(`Endereço inválido: ${ref}`);
  return {
    col: m[1] ? columnIndex(m[1]) : undefined,
    row: m[2] ? Number(m[2]) - 1 : undefined,
  };
}

export function intersect(a: Rect, b: Rect): Rect | undefined {
  const top = Math.max(a.top, b.top);
  const left = Math.max(a.left, b.left);
  const bottom = Math.min(a.top + a.rowCount, b.top + b.rowCount);
  const right = Math.min(a.left + a.colCount, b.left + b.colCount);
  if (bottom <= top || right <= left) return undefined;
  return { top, left, rowCount: bottom - top, colCount: right - left };
}
