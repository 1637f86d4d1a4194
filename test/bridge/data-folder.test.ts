/**
 * The data folder holds client data: the folder is 0700 and every file in it 0600, from the first
 * start on and after changes; and a bridge that cannot bind its port leaves nothing behind.
 */
import { existsSync, readdirSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBridge } from '../../bridge/app.js';
import { startTestBridge, tempDataDir, type TestBridge } from '../support/bridge.js';

let b: TestBridge | undefined;
afterEach(async () => {
  await b?.dispose();
  b = undefined;
});

/** Mode of the folder ('.') and of everything under it, folders marked with a trailing '/'. */
function modes(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = prefix ? {} : { '.': (statSync(dir).mode & 0o777).toString(8) };
  for (const f of readdirSync(dir)) {
    const st = statSync(path.join(dir, f));
    if (st.isDirectory()) {
      out[`${prefix}${f}/`] = (st.mode & 0o777).toString(8);
      Object.assign(out, modes(path.join(dir, f), `${prefix}${f}/`));
    } else out[`${prefix}${f}`] = (st.mode & 0o777).toString(8);
  }
  return out;
}

const expectedMode = (f: string) => (f === '.' || f.endsWith('/') ? '700' : '600');

describe('data folder', () => {
  it('is 0700 with every file 0600, after start, writes and a restart', async () => {
    const dataDir = path.join(tempDataDir(), 'dados');
    b = await startTestBridge({}, dataDir);
    await b.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 1_000_000 });
    await b.api('POST', '/api/orders', { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 30, algo: { type: 'full' } });
    const files = modes(dataDir);
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['config.json', 'journal.db', 'journal.db-wal', 'token']));
    for (const [f, m] of Object.entries(files)) expect([f, m]).toEqual([f, expectedMode(f)]);
    b = await b.restart();
    for (const [f, m] of Object.entries(modes(dataDir))) expect([f, m]).toEqual([f, expectedMode(f)]);
  });

  it('narrows the files of an older install that were created 0644', async () => {
    const dataDir = tempDataDir();
    b = await startTestBridge({}, dataDir);
    await b.close();
    chmodSync(dataDir, 0o755);
    for (const f of ['config.json', 'journal.db', 'journal.db-wal', 'journal.db-shm']) if (existsSync(path.join(dataDir, f))) chmodSync(path.join(dataDir, f), 0o644);
    b = await b.restart();
    await b.api('POST', '/api/clients', { id: 'BETA', name: 'Carteira Beta', openingCash: 1_000 });
    for (const [f, m] of Object.entries(modes(dataDir))) expect([f, m]).toEqual([f, expectedMode(f)]);
  });
});

describe('a bridge whose port is taken', () => {
  let squatter: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (squatter ? squatter.close(() => r()) : r()));
    squatter = undefined;
  });

  it('fails with a clear message and creates no data folder, journal or token', async () => {
    squatter = createServer();
    await new Promise<void>((r) => squatter!.listen(0, '127.0.0.1', () => r()));
    const port = (squatter.address() as AddressInfo).port;
    const dataDir = path.join(tempDataDir(), 'nova');
    await expect(startBridge({ dataDir, port, quiet: true, seed: 1 })).rejects.toThrow(new RegExp(`porta ${port}.*em uso`));
    expect(existsSync(dataDir)).toBe(false);

    // Into an existing folder: nothing is written there either.
    const existing = tempDataDir();
    writeFileSync(path.join(existing, 'nota.txt'), 'x');
    await expect(startBridge({ dataDir: existing, port, quiet: true, seed: 1 })).rejects.toThrow(/em uso/);
    expect(readdirSync(existing)).toEqual(['nota.txt']);
  });
});
