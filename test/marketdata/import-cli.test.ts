/** `npx blackbox import FILE… --json`: the report shape of PRODUCT.md §3 and the exit codes. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fx = (n: string) => path.join(root, 'test/marketdata/fixtures', n);
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function blackbox(args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/blackbox.js'), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('blackbox import', () => {
  it('prints one JSON report and exits 0 when every file was read, refused lines included', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'blackbox-cli-'));
    const r = blackbox(['import', fx('broken-lines.csv'), fx('petr4-negocios-cabecalho-cp1252.csv'), '--data', dir, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report)).toEqual(['files']);
    expect(report.files).toHaveLength(2);
    for (const f of report.files) {
      for (const k of ['file', 'variant', 'encoding', 'rowsRead', 'stored', 'duplicates', 'refused']) expect(f).toHaveProperty(k);
    }
    expect(report.files[0]).toMatchObject({ file: fx('broken-lines.csv'), variant: 'candles-intraday', encoding: 'utf-8', rowsRead: 9, stored: 4, duplicates: 0 });
    expect(report.files[0].refused[1]).toEqual({ line: 3, reason: 'Data inexistente: "31/02/2024"' });
    expect(report.files[1]).toMatchObject({ variant: 'trades-header', encoding: 'windows-1252', stored: 5, refused: [] });
    expect(statSync(path.join(dir, 'market.db')).mode & 0o777).toBe(0o600);
    // Idempotent: the same files again store nothing.
    const again = JSON.parse(blackbox(['import', fx('broken-lines.csv'), '--data', dir, '--json']).stdout);
    expect(again.files[0]).toMatchObject({ stored: 0, duplicates: 4 });
  });

  it('exits 1 when a file cannot be read at all, naming why; 2 on usage errors', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'blackbox-cli-'));
    const r = blackbox(['import', fx('vale3-diario-bom.csv'), fx('not-profit.csv'), path.join(dir, 'nao-existe.csv'), '--data', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('vale3-diario-bom.csv: VALE3 1d (candles-daily, utf-8-bom) — 3 linhas lidas, 3 gravadas, 0 já existiam, 0 recusadas');
    expect(r.stdout).toMatch(/not-profit\.csv: NÃO IMPORTADO — não parece uma exportação do Profit/);
    expect(r.stdout).toMatch(/nao-existe\.csv: NÃO IMPORTADO — não consegui abrir o arquivo/);
    expect(blackbox(['import', '--data', dir]).code).toBe(2);
    expect(blackbox(['import', fx('vale3-diario-bom.csv'), '--interval', '7m', '--data', dir]).code).toBe(2);
  });
});
