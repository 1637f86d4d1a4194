/**
 * Reconnect and restart: a dropped routing connection (the stand-in's switch), fills made while the
 * bridge could not hear them, and a new bridge process reconciling against the broker's memory of the
 * day (the stand-in's state file) and its own ledger.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProfitDllBroker } from '../../bridge/adapters/profitdll/index.js';
import { Recorder, buildStandin, configureStandin, makeBroker, standinControl, waitFor } from './support.js';

let broker: ProfitDllBroker | undefined;

beforeAll(() => {
  buildStandin();
});

afterEach(async () => {
  await broker?.close();
  broker = undefined;
  configureStandin();
});

describe('routing drop and reconnect', () => {
  it('goes disconnected, sends nothing, and reconciles fills made while down', async () => {
    configureStandin();
    const rec = new Recorder();
    const b = (broker = makeBroker(rec));
    await b.connect();
    const ctl = standinControl();
    b.submit({ clientOrderId: 'k1', account: '', symbol: 'PETR4', side: 'buy', qty: 300, priceTicks: 3645 });
    await waitFor(() => rec.lastOf('k1')?.status === 'new', 'ack');

    ctl.setRouting(false);
    await waitFor(() => !b.isConnected(), 'disconnect');
    expect(b.status().message).toBe('Corretora desconectada: ordens não podem ser enviadas / Broker disconnected: orders cannot be sent');
    const sent = ctl.requestCount();
    b.submit({ clientOrderId: 'k2', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3640 });
    b.cancel('k1');
    b.replace('k1', { qty: 400 });
    b.zeroPosition('k3', 'PETR4');
    await waitFor(() => rec.lastOf('k2')?.status === 'rejected' && rec.lastOf('k3')?.status === 'rejected', 'local rejects');
    expect(ctl.requestCount()).toBe(sent);
    expect(rec.updatesOf('k1').filter((u) => u.reason?.startsWith('Não conectado'))).toHaveLength(2);

    // The market fills the resting order while the bridge cannot hear it.
    ctl.marketTrade('PETR4', 'B', 2, 36.45, 200);
    await new Promise((r) => setTimeout(r, 50));
    expect(rec.fillsOf('k1')).toHaveLength(0);

    ctl.setRouting(true);
    await waitFor(() => b.isConnected(), 'reconnect');
    await waitFor(() => rec.lastOf('k1')?.status === 'partially_filled', 'reconciled state');
    expect(rec.fillsOf('k1')).toEqual([expect.objectContaining({ qty: 200, priceTicks: 3645 })]);
    const snap = await b.snapshot();
    expect(snap.orders.find((o) => o.clientOrderId === 'k1')).toMatchObject({ status: 'partially_filled', filledQty: 200 });
    expect(snap.fills.filter((f) => f.clientOrderId === 'k1')).toEqual(rec.fillsOf('k1'));
    expect(rec.fillsOf('k1')).toHaveLength(1); // the snapshot found nothing new to report
  });

  it('reports a drop even when it recovers before the event loop looks', async () => {
    configureStandin();
    const rec = new Recorder();
    const b = (broker = makeBroker(rec));
    await b.connect();
    const ctl = standinControl();
    ctl.setRouting(false);
    ctl.setRouting(true);
    await waitFor(() => rec.connections.filter((c) => c.connected).length === 2, 'second connect');
    const tail = rec.connections.slice(-2).map((c) => c.connected);
    expect(tail).toEqual([false, true]);
  });
});

describe('restart', () => {
  it('reconciles a new bridge process with the broker and with its own ledger', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'profitdll-restart-'));
    const brokerFile = join(dir, 'standin-state.txt');
    const ledgerFile = join(dir, 'ledger.jsonl');
    configureStandin({ PROFITDLL_STANDIN_STATE_FILE: brokerFile });

    // --- first bridge process -------------------------------------------------------------------
    const rec1 = new Recorder();
    const b1 = (broker = makeBroker(rec1, { stateFile: ledgerFile }));
    await b1.connect();
    const ctl = standinControl();
    b1.submit({ clientOrderId: 'r1', account: '', symbol: 'PETR4', side: 'buy', qty: 1500, priceTicks: 3652 });
    b1.submit({ clientOrderId: 'r2', account: '', symbol: 'PETR4', side: 'buy', qty: 300, priceTicks: 3645 });
    b1.submit({ clientOrderId: 'r3', account: '', symbol: 'VALE3', side: 'sell', qty: 100, priceTicks: 6190 });
    await waitFor(
      () => rec1.lastOf('r1')?.status === 'filled' && rec1.lastOf('r2')?.status === 'new' && rec1.lastOf('r3')?.status === 'new',
      'first session orders',
    );
    ctl.setRouting(false);
    await waitFor(() => !b1.isConnected(), 'drop');
    ctl.marketTrade('PETR4', 'B', 2, 36.45, 100); // r2 fills while the bridge is deaf, then the bridge dies
    await new Promise((r) => setTimeout(r, 30));
    await b1.close();
    const r1Fills = rec1.fillsOf('r1');
    const r3BrokerId = rec1.lastOf('r3')!.brokerOrderId!;

    // The process died between SendOrder and the report naming r3: its ledger lacks r3's broker id.
    const lines = readFileSync(ledgerFile, 'utf8').trim().split('\n');
    writeFileSync(ledgerFile, `${lines.filter((l) => !l.includes(`"cl":"${r3BrokerId}"`)).join('\n')}\n`);

    // --- second bridge process ------------------------------------------------------------------
    const rec2 = new Recorder();
    const b2 = (broker = makeBroker(rec2, { stateFile: ledgerFile }));
    await b2.connect();
    expect(b2.isConnected()).toBe(true);
    const snap = await b2.snapshot();
    const byId = new Map(snap.orders.map((o) => [o.clientOrderId, o]));
    expect(byId.get('r1')).toMatchObject({ status: 'filled', filledQty: 1500 });
    expect(byId.get('r2')).toMatchObject({ status: 'partially_filled', filledQty: 100, qty: 300 });
    expect(byId.get('r3')).toMatchObject({ status: 'new', brokerOrderId: r3BrokerId, priceTicks: 6190 });
    // Fills already reported keep their trade ids; the one made while down is new, and reported once.
    expect(snap.fills.filter((f) => f.clientOrderId === 'r1')).toEqual(r1Fills);
    expect(rec2.fillsOf('r1')).toHaveLength(0);
    expect(rec2.fillsOf('r2')).toEqual([expect.objectContaining({ qty: 100, priceTicks: 3645 })]);
    expect(readFileSync(ledgerFile, 'utf8')).toContain(`"cl":"${r3BrokerId}"`);

    // The restored orders are still manageable, by broker id now that the session's local ids are new.
    b2.cancel('r2');
    b2.replace('r3', { priceTicks: 6195 });
    await waitFor(() => rec2.lastOf('r2')?.status === 'canceled' && rec2.lastOf('r3')?.priceTicks === 6195, 'manage restored');
    // And the OMS's resend of an order the broker already has is refused.
    const sent = ctl.requestCount();
    b2.submit({ clientOrderId: 'r1', account: '', symbol: 'PETR4', side: 'buy', qty: 1500, priceTicks: 3652 });
    await waitFor(() => rec2.logged('warn', 'Ordem r1 já foi enviada hoje'), 'duplicate refused');
    expect(ctl.requestCount()).toBe(sent);
  });

  it('ignores orders of the day that this bridge did not send', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'profitdll-restart-'));
    configureStandin({ PROFITDLL_STANDIN_STATE_FILE: join(dir, 'standin-state.txt') });
    const rec1 = new Recorder();
    const b1 = (broker = makeBroker(rec1)); // no ledger: nothing is remembered across the restart
    await b1.connect();
    b1.submit({ clientOrderId: 'n1', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3640 });
    await waitFor(() => rec1.lastOf('n1')?.status === 'new', 'ack');
    await b1.close();

    const rec2 = new Recorder();
    const b2 = (broker = makeBroker(rec2));
    await b2.connect();
    const snap = await b2.snapshot();
    expect(snap).toEqual({ orders: [], fills: [] });
    expect(rec2.logs.some((l) => /^Ordem SIM-\d{8}-\d{6} não foi enviada por esta ponte; ignorada/.test(l.msg))).toBe(true);
  });

  it('does not send an order it cannot write down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'profitdll-ledger-'));
    const ledgerFile = join(dir, 'ledger.jsonl');
    configureStandin();
    const rec = new Recorder();
    const b = (broker = makeBroker(rec, { stateFile: ledgerFile }));
    await b.connect();
    mkdirSync(ledgerFile); // the disk refuses the next append
    const sent = standinControl().requestCount();
    b.submit({ clientOrderId: 'nw1', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3640 });
    b.zeroPosition('nw2', 'PETR4');
    await waitFor(() => rec.lastOf('nw1')?.status === 'rejected' && rec.lastOf('nw2')?.status === 'rejected', 'rejects');
    expect(rec.lastOf('nw1')!.reason).toMatch(/^Falha no arquivo de estado .*ledger\.jsonl: EISDIR.* \/ State file .* failed: EISDIR/);
    expect(standinControl().requestCount()).toBe(sent);
    expect(rec.logs.filter((l) => l.level === 'error' && l.msg.includes('EISDIR')).length).toBeGreaterThan(0);
  });

  it('keeps only the current day in its ledger', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'profitdll-ledger-'));
    const ledgerFile = join(dir, 'ledger.jsonl');
    writeFileSync(
      ledgerFile,
      [
        JSON.stringify({ t: 'sent', day: '2000-01-03', cid: 'old', account: '1234567', symbol: 'PETR4', side: 'buy', qty: 100, at: 0 }),
        '{"t":"sent", torn by a crash',
        '',
      ].join('\n'),
    );
    configureStandin();
    const rec = new Recorder();
    const b = (broker = makeBroker(rec, { stateFile: ledgerFile }));
    await b.connect();
    expect(readFileSync(ledgerFile, 'utf8')).toBe('');
    b.submit({ clientOrderId: 'old', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3640 });
    await waitFor(() => rec.lastOf('old')?.status === 'new', 'a new day accepts the id again');
  });
});
