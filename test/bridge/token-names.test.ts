/**
 * Tokens belong to people: the PÂNICO banner, the audit trail and an order say who acted by name,
 * not by a token id a risk officer would have to look up.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KillSwitchView, OrderView } from '../../common/types.js';
import { defaultAdminName } from '../../bridge/api/auth.js';
import { startTestBridge, type TestBridge } from '../support/bridge.js';

let b: TestBridge;

beforeAll(async () => {
  b = await startTestBridge();
  expect((await b.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 1_000_000 })).status).toBe(201);
});

afterAll(async () => {
  await b?.dispose();
});

describe('token names', () => {
  it('refuses a token without the name of its person, in pt-BR, naming the field', async () => {
    const r = await b.api('POST', '/api/tokens', { role: 'trader' });
    expect(r.status).toBe(422);
    expect(r.body.errors[0].field).toBe('name');
    expect(r.body.errors[0].message).toContain('informe o nome da pessoa');
    const blank = await b.api('POST', '/api/tokens', { role: 'trader', name: '  ' });
    expect(blank.status).toBe(422);
  });

  it('names the first admin token after the installing user', async () => {
    const ks = await b.api<KillSwitchView>('POST', '/api/kill-switch', { engaged: true, reason: 'teste' });
    expect(ks.body.by).toBe(defaultAdminName());
    expect(ks.body.by).toMatch(/^Administrador/);
    expect(ks.body.byToken).toMatch(/^admin-[0-9a-f]{8}$/);
    expect((await b.api('POST', '/api/kill-switch', { engaged: false, reason: 'fim do teste' })).status).toBe(200);
  });

  it('shows the person in the kill switch, the order and the audit trail', async () => {
    const t = await b.api('POST', '/api/tokens', { role: 'trader', name: 'Marina Prado' });
    expect(t.status).toBe(201);
    expect(t.body).toMatchObject({ name: 'Marina Prado', role: 'trader' });

    const order = await b.api<OrderView>('POST', '/api/orders', { client: 'ALFA', symbol: 'PETR4', side: 'buy', qty: 100, limitPrice: 30, algo: { type: 'full' } }, t.body.token);
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    expect(order.body.createdBy).toBe('Marina Prado');
    expect((await b.api<OrderView>('GET', `/api/orders/${order.body.id}`)).body.createdBy).toBe('Marina Prado');

    const ks = await b.api<KillSwitchView>('POST', '/api/kill-switch', { engaged: true, reason: 'mercado travado' }, t.body.token);
    expect(ks.body).toMatchObject({ engaged: true, by: 'Marina Prado', byToken: t.body.id });
    expect((await b.api<KillSwitchView>('GET', '/api/kill-switch')).body.by).toBe('Marina Prado');

    const trail = (await b.api<Array<{ actor: string; actorName: string; action: string }>>('GET', '/api/audit?limit=50')).body;
    const engage = trail.filter((r) => r.action === 'killswitch.engage').pop()!;
    expect(engage).toMatchObject({ actor: t.body.id, actorName: 'Marina Prado' });
    expect(trail.find((r) => r.action === 'order.submit' && r.actor === t.body.id)?.actorName).toBe('Marina Prado');
    expect((await b.api('POST', '/api/kill-switch', { engaged: false, reason: 'liberado' })).status).toBe(200);
  });

  it('names an unnamed admin token of an older install at start, and keeps the name across restarts', async () => {
    const file = path.join(b.dataDir, 'config.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    for (const t of doc.tokens) if (t.role === 'admin') delete t.name;
    writeFileSync(file, JSON.stringify(doc));
    b = await b.restart();
    const again = JSON.parse(readFileSync(file, 'utf8'));
    expect(again.tokens.find((t: { role: string }) => t.role === 'admin').name).toBe(defaultAdminName());
    expect(again.tokens.find((t: { name?: string }) => t.name === 'Marina Prado')).toBeDefined();
  }, 30_000);
});
