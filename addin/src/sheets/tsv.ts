/**
 * Text copied from a spreadsheet (tab-separated, cells with tabs/newlines quoted) → rows of cells.
 * Used by browser mode, where there is no Excel API: the user pastes the boleta rows instead.
 */
export function parseTsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  const s = text.replace(/\r\n?/g, '\n');
  while (i < s.length) {
    const ch = s[i]!;
    if (quoted) {
      if (ch === '"') {
        if (s[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      cell += ch;
      i++;
      continue;
    }
    if (ch === '"' && cell === '') {
      quoted = true;
      i++;
      continue;
    }
    if (ch === '\t') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
    i++;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

export function toTsv(rows: readonly (readonly unknown[])[]): string {
  return rows
    .map((r) =>
      r
        .map((c) => {
          const t = c === null || c === undefined ? '' : String(c);
          return /[\t\n"]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
        })
        .join('\t'),
    )
    .join('\n');
}
