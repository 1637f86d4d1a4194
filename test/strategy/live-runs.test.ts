/**
 * Strategies running in the bridge, in real time on the simulated B3: started over the API, their
 * boletas in Ordens with the run as origin, stopped (boletas canceled), halted by PÂNICO, stopped
 * after a restart with their boletas paused; a strategy that throws, loops or sends a bad boleta is
 * failed with its place in the file while the bridge keeps serving.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StrategyRunView } from '../../common/backtest.js';
import type { OrderView } from '../../common/types.js';
import { eventually, startTestBridge, tempDataDir, type TestBridge, WsProbe } from '../support/bridge.js';
import { MarketDb } from '../../bridge/marketdata/market-db.js';
import { writeCandles } from '../support/market-fixture.js';

const STRATEGIES: Record<string, string> = {
  // Rests one buy far below the market on its first timer, then waits.
  'repouso.ts': `
export default {
  name: 'Repouso',
  params: { qty: { type: 'integer', default: 100, min: 1 } },
  wants: { quotes: true },
  setup(ctx) {
    let sent = false;
    return {
      onStart() { ctx.every('t', 1000); },
      onTimer() {
        const last = ctx.last('PETR4') ?? ctx.quote('PETR4')?.bid;
        if (sent || last === undefined) return;
        sent = true;
        ctx.log('enviando');
        ctx.submit({ symbol: 'PETR4', side: 'buy', qty: ctx.params.qty, limitPrice: ctx.roundPrice('PETR4', last * 0.95, 'buy') });
      },
    };
  },
};
`,
  'historia.ts': `
export default {
  name: 'História',
  setup(ctx) {
    return { onStart() { const b = ctx.bars('PETR4'); ctx.log('barras=' + b.length + ' primeira=' + new Date(b[0].t).toISOString() + ' fechamento=' + b[b.length - 1].close); } };
  },
};
`,
  'erro.ts': `
export default {
  name: 'Erro',
  setup(ctx) {
    return {
      onStart() { ctx.every('t', 1000); },
      onTimer() { throw new Error('divisão por zero no sinal'); },
    };
  },
};
`,
  'laco.ts': `
export default {
  name: 'Laço',
  setup(ctx) {
    return {
      onStart() { ctx.every('t', 1000); },
      onTimer() { let x = 0; while (true) { x++; } },
    };
  },
};
`,
  'memoria.ts': `
export default {
  name: 'Memória',
  setup(ctx) {
    const keep = [];
    return {
      onStart() { ctx.every('t', 1000); },
      // 32 MB of heap a second: the cap is reached in a few timers, each well inside its time budget.
      onTimer() { keep.push(new Array(4_000_000).fill(1.5)); },
    };
  },
};
`,
  'lote.ts': `
export default {
  name: 'Lote errado',
  setup(ctx) {
    return {
      onStart() { ctx.every('t', 1000); },
      onTimer() { ctx.submit({ symbol: 'PETR4', side: 'buy', qty: 150 }); },
    };
  },
};
`,
};

let b: TestBridge;
const dataDir = tempDataDir();

async function waitRun(id: string, pred: (r: StrategyRunView) => boolean): Promise<StrategyRunView> {
  return eventually(async () => {
    const r = (await b.api<StrategyRunView>('GET', `/api/strategies/runs/${id}`)).body;
    return pred(r) ? r : undefined;
  }, 20_000);
}

async function runOrders(runId: string): Promise<OrderView[]> {
  const list = (await b.api<OrderView[]>('GET', '/api/orders')).body;
  return list.filter((o) => o.origin?.strategyRunId === runId);
}

beforeAll(async () => {
  mkdirSync(path.join(dataDir, 'strategies'), { recursive: true });
  for (const [f, src] of Object.entries(STRATEGIES)) writeFileSync(path.join(dataDir, 'strategies', f), src);
  // Stored history a run may start with.
  const db = MarketDb.open(path.join(dataDir, 'market.db'));
  writeCandles(db, { symbol: 'PETR4', interval: '5m', from: '2026-11-03', to: '2026-11-04', startH: 3650, tickH: 1 });
  db.close();
  b = await startTestBridge({ strategyHookBudgetMs: 800, strategyHeapMb: 96 }, dataDir);
  expect((await b.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 1_000_000 })).status).toBe(201);
});

afterAll(async () => {
  await b?.dispose();
});

describe('strategies in the bridge', () => {
  it('runs a strategy whose boletas show in Ordens with the run as origin, and stops it', async () => {
    const ws = await WsProbe.open(b, ['strategies']);
    const r = await b.api<StrategyRunView>('POST', '/api/strategies/runs', { strategy: 'repouso.ts', symbols: ['PETR4'], clients: ['ALFA'], interval: '1m', params: { qty: 200 } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ state: 'running', market: 'sim', name: 'Repouso', params: { qty: 200 } });
    const orders = await eventually(async () => {
      const o = await runOrders(r.body.id);
      return o.length > 0 && o[0].status === 'working' ? o : undefined;
    }, 20_000);
    expect(orders[0]).toMatchObject({ symbol: 'PETR4', side: 'buy', qty: 200, origin: { strategyRunId: r.body.id, strategy: 'Repouso' } });
    const detail = (await b.api<OrderView>('GET', `/api/orders/${orders[0].id}`)).body;
    expect(detail.createdBy).toContain('Estratégia Repouso');
    const running = await waitRun(r.body.id, (v) => v.orders === 1 && v.logs.some((l) => l.message === 'enviando'));
    expect(running.state).toBe('running');
    await ws.waitFor((m) => m.op === 'delta' && (m as { channel?: string }).channel === 'strategies');

    const stopped = await b.api<StrategyRunView>('POST', `/api/strategies/runs/${r.body.id}/stop`);
    expect(stopped.body.state).toBe('stopped');
    await eventually(async () => ((await b.api<OrderView>('GET', `/api/orders/${orders[0].id}`)).body.status === 'canceled' ? true : undefined), 10_000);
    ws.close();
  });

  it('starts a run with the last stored bars, read from the market database', async () => {
    const r = await b.api<StrategyRunView>('POST', '/api/strategies/runs', { strategy: 'historia.ts', symbols: ['PETR4'], clients: ['ALFA'], interval: '5m', warmupBars: 50 });
    expect(r.status).toBe(201);
    const v = await waitRun(r.body.id, (x) => x.logs.length > 0);
    // 84 bars a day stored (10:00–17:00): the last 50 are the second day's from 12:50 São Paulo time.
    expect(v.logs[0].message).toMatch(/^barras=50 primeira=2026-11-04T15:50:00.000Z fechamento=\d+(\.\d+)?$/);
    await b.api('POST', `/api/strategies/runs/${r.body.id}/stop`);
  });

  it('fails a strategy that throws, naming the hook and the line, and keeps the bridge serving', async () => {
    const r = await b.api<StrategyRunView>('POST', '/api/strategies/runs', { strategy: 'erro.ts', symbols: ['PETR4'], clients: ['ALFA'] });
    expect(r.status).toBe(201);
    const failed = await waitRun(r.body.id, (v) => v.state === 'failed');
    expect(failed.fault).toMatchObject({ hook: 'onTimer', message: 'divisão por zero no sinal' });
    expect(failed.fault!.location).toMatch(/strategies\/erro\.ts:\d+:\d+$/);
    expect((await b.api('GET', '/api/health')).body.ok).toBe(true);
  });

  it('stops a strategy stuck in a loop at its hook budget, with the line it was stuck on', async () => {
    const r = await b.api<StrategyRunView>('POST', '/api/strategies/runs', { strategy: 'laco.ts', symbols: ['PETR4'], clients: ['ALFA'] });
    expect(r.status).toBe(201);
    const failed = await waitRun(r.body.id, (v) => v.state === 'failed');
    expect(failed.fault?.hook).toBe('onTimer');
    expect(failed.fault?.message).toMatch(/laço sem fim/);
    expect(failed.fault?.location).toMatch(/strategies\/laco\.ts:\d+:\d+$/);
    // The order path never stopped: a boleta is accepted at once.
    const o = await b.api('POST', '/api/orders', { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 20, algo: { type: 'full' } });
    expect(o.status).toBe(201);
    await b.api('POST', `/api/orders/${o.body.id}/cancel`);
  });

  it('fails a strategy that allocates without bound at its heap cap; the bridge is untouched', async () => {
    const r = await b.api<StrategyRunView>('POST', '/api/strategies/runs', { strategy: 'memoria.ts', symbols: ['PETR4'], clients: ['ALFA'] });
    expect(r.status).toBe(201);
    const failed = await waitRun(r.body.id, (v) => v.state === 'failed');
    expect(failed.fault?.message).toMatch(/limite de 96 MB de memória/);
    expect((await b.api('GET', '/api/health')).body.ok).toBe(true);
    expect(process.memoryUsage().heapUsed).toBeLessThan(1024 * 1024 * 1024);
  });

  it('fails a strategy whose boleta breaks the lot, at the line that sent it', async () => {
    const r = await b.api<StrategyRunView>('POST', '/api/strategies/runs', { strategy: 'lote.ts', symbols: ['PETR4'], clients: ['ALFA'] });
    const failed = await waitRun(r.body.id, (v) => v.state === 'failed');
    expect(failed.fault?.message).toMatch(/boleta\.qty: 150 não é múltiplo do lote 100/);
    expect(failed.fault?.location).toMatch(/strategies\/lote\.ts:\d+:\d+$/);
  });

  it('refuses bad starts naming the field, and starts nothing', async () => {
    const before = (await b.api<StrategyRunView[]>('GET', '/api/strategies/runs')).body.length;
    const cases: Array<[unknown, string]> = [
      [{ strategy: 'nao-existe', symbols: ['PETR4'], clients: ['ALFA'] }, 'strategy'],
      [{ strategy: 'repouso.ts', symbols: ['XPTO9'], clients: ['ALFA'] }, 'symbols[0]'],
      [{ strategy: 'repouso.ts', symbols: ['PETR4'], clients: ['NINGUEM'] }, 'clients[0]'],
      [{ strategy: 'repouso.ts', symbols: ['PETR4'], clients: ['ALFA'], params: { qty: 'muito' } }, 'params.qty'],
      [{ strategy: 'repouso.ts', symbols: ['PETR4'], clients: ['ALFA'], params: { outro: 1 } }, 'params.outro'],
      [{ strategy: '../../etc/passwd', symbols: ['PETR4'], clients: ['ALFA'] }, 'strategy'],
    ];
    for (const [body, field] of cases) {
      const r = await b.api('POST', '/api/strategies/runs', body);
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await b.api<StrategyRunView[]>('GET', '/api/strategies/runs')).body.length).toBe(before);
  });

  it('halts every run on PÂNICO and refuses new ones until it is released', async () => {
    const r = await b.api<StrategyRunView>('POST', '/api/strategies/runs', { strategy: 'repouso.ts', symbols: ['PETR4'], clients: ['ALFA'] });
    expect(r.status).toBe(201);
    await eventually(async () => ((await runOrders(r.body.id)).length > 0 ? true : undefined), 20_000);
    expect((await b.api('POST', '/api/kill-switch', { engaged: true, reason: 'teste' })).status).toBe(200);
    const halted = await waitRun(r.body.id, (v) => v.state === 'halted');
    expect(halted.reason).toMatch(/PÂNICO/);
    const refused = await b.api('POST', '/api/strategies/runs', { strategy: 'repouso.ts', symbols: ['PETR4'], clients: ['ALFA'] });
    expect(refused.status).toBe(409);
    expect((await b.api('POST', '/api/kill-switch', { engaged: false, reason: 'fim do teste' })).status).toBe(200);
  });

  it('finds its runs stopped after a restart, with their working boletas paused for review', async () => {
    const r = await b.api<StrategyRunView>('POST', '/api/strategies/runs', { strategy: 'repouso.ts', symbols: ['PETR4'], clients: ['ALFA'] });
    expect(r.status).toBe(201);
    const [order] = await eventually(async () => {
      const o = await runOrders(r.body.id);
      return o.length > 0 && o[0].status === 'working' ? o : undefined;
    }, 20_000);
    b = await b.restart();
    const after = (await b.api<StrategyRunView>('GET', `/api/strategies/runs/${r.body.id}`)).body;
    expect(after.state).toBe('stopped');
    expect(after.reason).toMatch(/reiniciada/);
    const o = (await b.api<OrderView>('GET', `/api/orders/${order.id}`)).body;
    expect(o.status).toBe('paused');
    expect(o.statusReason).toMatch(/reinício/);
  });
});
