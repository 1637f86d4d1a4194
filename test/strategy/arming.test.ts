/**
 * On a real broker (the bridge on ProfitDLL, here its stand-in library) a strategy trades only
 * after an explicit arming step: its own limits and ARMAR typed by the person. A boleta beyond the
 * run's limits never reaches the OMS: the run fails, saying which limit.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StrategyRunView } from '../../common/backtest.js';
import type { OrderView } from '../../common/types.js';
import { eventually, startTestBridge, tempDataDir, type TestBridge } from '../support/bridge.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const lib = path.join(root, 'bridge/native/profitdll-standin/build/libprofitdll.so');

// Sends one boleta of 1,000 PETR4 (about R$ 36.000) at market on its first quote.
const BIG = `
export default {
  name: 'Grande',
  wants: { quotes: true },
  setup(ctx) {
    let sent = false;
    return {
      onQuote(q) {
        if (sent || q.symbol !== 'PETR4' || q.bid === undefined) return;
        sent = true;
        ctx.submit({ symbol: 'PETR4', side: 'buy', qty: 1000, limitPrice: ctx.roundPrice('PETR4', q.bid * 0.9, 'buy') });
      },
    };
  },
};
`;

let b: TestBridge;

beforeAll(async () => {
  execFileSync('bash', [path.join(root, 'bridge/native/profitdll-standin/build.sh')]);
  execFileSync('bash', [path.join(root, 'bridge/native/profitdll-relay/build.sh')]);
  const dataDir = tempDataDir();
  mkdirSync(path.join(dataDir, 'strategies'));
  writeFileSync(path.join(dataDir, 'strategies', 'grande.ts'), BIG);
  Object.assign(process.env, {
    BLACKBOX_PROFITDLL_PATH: lib,
    BLACKBOX_PROFIT_KEY: 'chave',
    BLACKBOX_PROFIT_USER: 'gestora',
    BLACKBOX_PROFIT_PASSWORD: 'senha',
    PROFITDLL_STANDIN_STATE_FILE: path.join(dataDir, 'standin-broker.state'),
  });
  b = await startTestBridge({ broker: 'profitdll' }, dataDir);
  await b.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 1_000_000 });
});

afterAll(async () => {
  await b?.dispose();
});

describe('arming a strategy on a real broker', () => {
  it('refuses to start without limits and ARMAR, naming both', async () => {
    const r = await b.api('POST', '/api/strategies/runs', { strategy: 'grande.ts', symbols: ['PETR4'], clients: ['ALFA'] });
    expect(r.status).toBe(422);
    expect(r.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['confirm', 'limits']);
    const wrongWord = await b.api('POST', '/api/strategies/runs', {
      strategy: 'grande.ts', symbols: ['PETR4'], clients: ['ALFA'], confirm: 'sim',
      limits: { maxOrderNotionalBrl: 100_000, maxTotalNotionalBrl: 200_000, maxOrdersPerMinute: 10, symbols: ['PETR4'] },
    });
    expect(wrongWord.status).toBe(422);
    expect(wrongWord.body.errors[0].field).toBe('confirm');
    const outside = await b.api('POST', '/api/strategies/runs', {
      strategy: 'grande.ts', symbols: ['PETR4'], clients: ['ALFA'], confirm: 'ARMAR',
      limits: { maxOrderNotionalBrl: 100_000, maxTotalNotionalBrl: 200_000, maxOrdersPerMinute: 10, symbols: ['VALE3'] },
    });
    expect(outside.status).toBe(422);
    expect(outside.body.errors[0].field).toBe('limits.symbols[0]');
    expect((await b.api<StrategyRunView[]>('GET', '/api/strategies/runs')).body).toEqual([]);
  });

  it('armed, fails the run at a boleta beyond its notional limit; nothing reaches the broker', async () => {
    const r = await b.api<StrategyRunView>('POST', '/api/strategies/runs', {
      strategy: 'grande.ts', symbols: ['PETR4'], clients: ['ALFA'], confirm: 'ARMAR',
      limits: { maxOrderNotionalBrl: 10_000, maxTotalNotionalBrl: 50_000, maxOrdersPerMinute: 10, symbols: ['PETR4'] },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ market: 'live', limits: { maxOrderNotionalBrl: 10_000 } });
    const failed = await eventually(async () => {
      const v = (await b.api<StrategyRunView>('GET', `/api/strategies/runs/${r.body.id}`)).body;
      return v.state === 'failed' ? v : undefined;
    }, 20_000);
    expect(failed.fault?.message).toMatch(/limite da estratégia: boleta de R\$ 3\d\.\d{3},\d{2} acima do máximo por boleta \(R\$ 10\.000,00\)/);
    expect(failed.fault?.location).toMatch(/grande\.ts:\d+:\d+$/);
    expect((await b.api<OrderView[]>('GET', '/api/orders')).body).toEqual([]);
    const audit = (await b.api<Array<{ action: string }>>('GET', '/api/audit?limit=50')).body;
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['strategy.start', 'strategy.failed']));
  });
});
