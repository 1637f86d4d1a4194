/**
 * The whole bridge on the ProfitDLL adapter, loaded through koffi from the C stand-in library:
 * the same API flow as on the simulated market (quotes, a boleta that fills, positions, cash,
 * restart), and a wrong DLL path that leaves the bridge up, disconnected, sending nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BalanceView, OrderView, PositionView, QuoteView } from '../../common/types.js';
import { eventually, startTestBridge, tempDataDir, type TestBridge } from '../support/bridge.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const lib = path.join(root, 'bridge/native/profitdll-standin/build/libprofitdll.so');

let b: TestBridge | undefined;
afterEach(async () => {
  await b?.dispose();
  b = undefined;
});

beforeAll(() => {
  execFileSync('bash', [path.join(root, 'bridge/native/profitdll-standin/build.sh')]);
  execFileSync('bash', [path.join(root, 'bridge/native/profitdll-relay/build.sh')]);
  expect(existsSync(lib)).toBe(true);
});

function useDll(dllPath: string, stateFile: string): void {
  Object.assign(process.env, {
    BLACKBOX_PROFITDLL_PATH: dllPath,
    BLACKBOX_PROFIT_KEY: 'chave-de-ativação',
    BLACKBOX_PROFIT_USER: 'gestora',
    BLACKBOX_PROFIT_PASSWORD: 'senha-secreta',
    PROFITDLL_STANDIN_STATE_FILE: stateFile,
  });
}

describe('bridge on ProfitDLL (stand-in)', () => {
  it('streams quotes, fills a boleta, books position and cash, and survives a restart', async () => {
    const dataDir = tempDataDir();
    useDll(lib, path.join(dataDir, 'standin-broker.state'));
    b = await startTestBridge({ broker: 'profitdll' }, dataDir);
    const t0 = b;
    const health = (await t0.api('GET', '/api/health')).body;
    expect(health.broker).toMatchObject({ name: 'profitdll', connected: true });
    // Through the native relay (its Linux build), with nothing lost.
    expect(health.broker.diagnostics).toMatchObject({ path: 'relay', lostEvents: 0, warnings: [] });
    await t0.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 1_000_000 });
    const q = await eventually(async () => {
      const v = (await t0.api<QuoteView[]>('GET', '/api/quotes?symbols=PETR4')).body[0];
      return v.ask !== undefined ? v : undefined;
    });
    const sent = await t0.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 200, limitPrice: Math.round((q.ask! + 0.5) * 100) / 100, algo: { type: 'full' } });
    expect(sent.status).toBe(201);
    const done = await eventually(async () => {
      const o = (await t0.api<OrderView>('GET', `/api/orders/${sent.body.id}`)).body;
      return o.status === 'filled' ? o : undefined;
    });
    expect(done.fills!.reduce((s, f) => s + f.qty, 0)).toBe(200);
    const pos = (await t0.api<PositionView[]>('GET', '/api/positions?client=ALFA')).body;
    expect(pos.find((p) => p.symbol === 'PETR4')!.qty).toBe(200);
    const bal = (await t0.api<BalanceView[]>('GET', '/api/balances?client=ALFA')).body[0];
    expect(bal.d2).toBeLessThan(1_000_000 - 200 * q.bid! + 1);
    const resting = await t0.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol: 'VALE3', side: 'buy', qty: 100, limitPrice: 58, algo: { type: 'full' } });
    const restingBefore = await eventually(async () => {
      const o = (await t0.api<OrderView>('GET', `/api/orders/${resting.body.id}`)).body;
      return o.status === 'working' ? o : undefined;
    });

    b = await t0.restart();
    const t1 = b;
    const again = (await t1.api<OrderView>('GET', `/api/orders/${sent.body.id}`)).body;
    expect(again).toMatchObject({ status: 'filled', filledQty: 200, avgPrice: done.avgPrice });
    expect((await t1.api<PositionView[]>('GET', '/api/positions?client=ALFA')).body.find((p) => p.symbol === 'PETR4')!.qty).toBe(200);
    expect((await t1.api<BalanceView[]>('GET', '/api/balances?client=ALFA')).body[0]).toEqual(bal);
    // The resting order is still the same child at the broker: reconciled, not re-sent.
    const restingAfter = await eventually(async () => {
      const o = (await t1.api<OrderView>('GET', `/api/orders/${resting.body.id}`)).body;
      return o.status === 'working' ? o : undefined;
    });
    expect(restingAfter.children!.map((c) => c.id)).toEqual(restingBefore.children!.map((c) => c.id));
    const snap = await t1.broker.snapshot();
    expect(snap.orders.filter((o) => o.clientOrderId === restingBefore.children![0].id)).toHaveLength(1);
  });

  it('stays up when the DLL never reaches ready, and /api/health says exactly why', async () => {
    const dataDir = tempDataDir();
    useDll(lib, path.join(dataDir, 'standin-broker.state'));
    Object.assign(process.env, { PROFITDLL_STANDIN_ROUTING_STATE: '2', BLACKBOX_PROFIT_CONNECT_TIMEOUT_MS: '500' });
    try {
      b = await startTestBridge({ broker: 'profitdll' }, dataDir);
      const h = (await b.api('GET', '/api/health')).body;
      expect(h.ok).toBe(true);
      expect(h.broker.connected).toBe(false);
      expect(h.broker.message).toMatch(/^conectado ao roteamento, aguardando corretora \(estado 2/);
      expect(h.broker.diagnostics.warnings.join('\n')).toMatch(/conectado ao roteamento, aguardando corretora/);
      await b.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 1_000_000 });
      const r = await b.api('POST', '/api/orders', { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 36.5, algo: { type: 'full' } });
      expect(r.status).toBe(422);
      expect(b.journalTypesAfter(0)).not.toContain('child.new');
    } finally {
      delete process.env.PROFITDLL_STANDIN_ROUTING_STATE;
      delete process.env.BLACKBOX_PROFIT_CONNECT_TIMEOUT_MS;
    }
  });

  it('stays up and disconnected with a bilingual message when the DLL path is wrong, and sends nothing', async () => {
    const dataDir = tempDataDir();
    useDll(path.join(dataDir, 'nao-existe', 'ProfitDLL64.dll'), path.join(dataDir, 'x.state'));
    b = await startTestBridge({ broker: 'profitdll' }, dataDir);
    const h = (await b.api('GET', '/api/health')).body;
    expect(h.ok).toBe(true);
    expect(h.broker.connected).toBe(false);
    expect(h.broker.message).toMatch(/ProfitDLL/);
    expect(h.broker.message).toMatch(/\//);
    await b.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 1_000_000 });
    const r = await b.api('POST', '/api/orders', { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 36.5, algo: { type: 'full' } });
    expect(r.status).toBe(422);
    expect(r.body.errors[0].code).toBe('broker_disconnected');
    expect(b.journalTypesAfter(0)).not.toContain('child.new');
  });
});
