/**
 * Wrong tokens cannot grow the database without bound: a flood of bad-token requests gets 401 then
 * 429, leaves a bounded number of audit rows that still count every attempt, and a good token
 * keeps working throughout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestBridge, type TestBridge } from '../support/bridge.js';

let b: TestBridge | undefined;
afterEach(async () => {
  await b?.dispose();
  b = undefined;
});

describe('refused logins', () => {
  it('1,000 concurrent bad-token requests: 401/429 only, a few audit rows with the full count, good token unaffected', async () => {
    b = await startTestBridge();
    const t = b;
    const before = (await t.api<any[]>('GET', '/api/audit?limit=10000')).body.filter((e) => e.action === 'auth.refused').length;
    const statuses = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) =>
        fetch(`${t.url}/api/orders`, { headers: { authorization: `Bearer wrong-${i}` } }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        }),
      ),
    );
    const counts = statuses.reduce<Record<number, number>>((m, s) => ((m[s] = (m[s] ?? 0) + 1), m), {});
    expect(Object.keys(counts).sort()).toEqual(['401', '429']);
    expect(counts[401]).toBeLessThanOrEqual(30);
    const limited = await fetch(`${t.url}/api/orders`, { headers: { authorization: 'Bearer wrong-again' } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as any).errors[0]).toMatchObject({ field: 'token', code: 'auth_rate_limited' });

    // The real token from the same source still works.
    expect((await t.api('GET', '/api/orders')).status).toBe(200);

    // WebSocket logins with a bad token count in the same buckets, not one row each.
    for (let i = 0; i < 20; i++) {
      const ws = new WebSocket(t.url.replace(/^http/, 'ws') + '/ws', { headers: { authorization: 'Bearer wrong-ws' } });
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.once('error', () => resolve());
      });
    }

    const during = (await t.api<any[]>('GET', '/api/audit?limit=10000')).body.filter((e) => e.action === 'auth.refused');
    expect(during.length - before).toBeLessThanOrEqual(2);

    // Stopping writes the minute's remaining count: every attempt is accounted for in a handful of rows.
    b = await b.restart();
    const rows = (await b.api<any[]>('GET', '/api/audit?limit=10000')).body.filter((e) => e.action === 'auth.refused');
    expect(rows.length).toBeLessThanOrEqual(4);
    const total = rows.reduce((n, r) => n + (r.details?.count ?? 0), 0);
    expect(total).toBe(1_000 + 1 + 20);
    expect(rows[0].ip).toMatch(/127\.0\.0\.1/);
  });
});
