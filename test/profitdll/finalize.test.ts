/**
 * Shutdown: DLLFinalize runs through koffi's asynchronous form, so the event loop keeps relaying the
 * callbacks the DLL thread is blocked in while it waits for that thread to stop. A synchronous call would
 * deadlock right here: the main thread waiting for the DLL thread, the DLL thread waiting for the main one.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProfitDllBroker } from '../../bridge/adapters/profitdll/index.js';
import { Recorder, buildStandin, configureStandin, makeBroker, standinControl, waitFor } from './support.js';

let broker: ProfitDllBroker | undefined;

beforeAll(() => {
  buildStandin();
  configureStandin();
});

afterEach(async () => {
  await broker?.close();
  broker = undefined;
});

describe('finalize', () => {
  it('finalizes in the middle of a callback storm without deadlock, and a new session can start', async () => {
    const rec = new Recorder();
    const b = (broker = makeBroker(rec));
    await b.connect();
    b.subscribe('PETR4');
    await waitFor(() => rec.books.length > 0, 'subscription');
    standinControl().emitTrades('PETR4', 'B', 1_000_000);
    await waitFor(() => rec.trades.length > 1_000, 'storm under way');
    const t0 = Date.now();
    await b.close();
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(b.isConnected()).toBe(false);
    expect(rec.connections.at(-1)).toEqual({ connected: false, message: 'Sessão ProfitDLL encerrada / ProfitDLL session closed' });
    const received = rec.trades.length;
    expect(received).toBeLessThan(1_000_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(rec.trades.length).toBe(received); // nothing after close

    const rec2 = new Recorder();
    const b2 = (broker = makeBroker(rec2));
    await b2.connect();
    expect(b2.isConnected()).toBe(true);
  });

  it('finalizes while the event loop is busy', async () => {
    const rec = new Recorder();
    const b = (broker = makeBroker(rec));
    await b.connect();
    b.subscribe('VALE3');
    await waitFor(() => rec.books.length > 0, 'subscription');
    standinControl().emitTrades('VALE3', 'B', 1_000_000);
    // A slow listener: each drain blocks the loop for a while, stalling the DLL thread meanwhile.
    rec.trade = () => {
      const until = Date.now() + 1;
      while (Date.now() < until);
    };
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await b.close();
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('survives repeated sessions, and close before connect or twice', async () => {
    for (let i = 0; i < 5; i++) {
      const rec = new Recorder();
      const b = (broker = makeBroker(rec));
      await b.connect();
      expect(b.isConnected()).toBe(true);
      await b.close();
      await b.close();
    }
    const rec = new Recorder();
    const b = (broker = makeBroker(rec));
    await b.close();
    await b.connect(); // closed for good: resolves, stays disconnected
    expect(b.isConnected()).toBe(false);
    expect(rec.connections).toEqual([{ connected: false, message: 'Sessão ProfitDLL encerrada / ProfitDLL session closed' }]);
  });

  it('closes a session that never got connected', async () => {
    const rec = new Recorder();
    const b = (broker = makeBroker(rec, { credentials: { activationKey: 'INVALID', user: 'u', password: 'p' } }));
    await b.connect();
    expect(b.isConnected()).toBe(false);
    await b.close();
    expect(b.status().message).toBe('Sessão ProfitDLL encerrada / ProfitDLL session closed');
  });

  it('resolves connect() at the timeout when the connection stalls, and keeps trying', async () => {
    configureStandin({ PROFITDLL_STANDIN_STEP_MS: '300' });
    const rec = new Recorder();
    const b = (broker = makeBroker(rec, { connectTimeoutMs: 100 }));
    const t0 = Date.now();
    await b.connect();
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(b.isConnected()).toBe(false);
    expect(rec.logged('warn', 'Sem conexão completa após 100 ms; a sessão continua tentando')).toBe(true);
    configureStandin();
    await waitFor(() => b.isConnected(), 'late connection', 10_000);
  });
});
