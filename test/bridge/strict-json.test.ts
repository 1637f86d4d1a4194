/** A JSON body or WebSocket frame with a key repeated in one object is refused, naming the field. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { firstDuplicateKey } from '../../bridge/api/strict-json.js';
import { startTestBridge, type TestBridge } from '../support/bridge.js';

describe('firstDuplicateKey', () => {
  it('names the repeated field with its path, and sees escaped spellings of the same key', () => {
    expect(firstDuplicateKey('{"qty":-1,"qty":100}')).toBe('qty');
    expect(firstDuplicateKey('{"rows":[{"qty":1},{"a":1,"qty":2,"qty":3}]}')).toBe('rows[1].qty');
    expect(firstDuplicateKey('{"algo":{"type":"full","type":"twap"}}')).toBe('algo.type');
    expect(firstDuplicateKey('{"qty":1,"q\\u0074y":2}')).toBe('qty');
    // The same key in different objects, or inside strings, is fine.
    expect(firstDuplicateKey('{"a":{"qty":1},"b":{"qty":2},"c":"qty:qty"}')).toBeUndefined();
    expect(firstDuplicateKey('[{"x":1},{"x":2}]')).toBeUndefined();
  });
});

let b: TestBridge;
beforeAll(async () => {
  b = await startTestBridge();
  await b.api('POST', '/api/clients', { id: 'ALFA', name: 'Fundo Alfa', openingCash: 1_000_000 });
});
afterAll(async () => {
  await b.dispose();
});

describe('the API', () => {
  it('refuses a boleta with a repeated key, writes nothing, and accepts the same boleta written once', async () => {
    const seq = b.journalSeq();
    const r = await b.api('POST', '/api/orders', '{"client":"ALFA","symbol":"PETR4","side":"buy","qty":-1,"qty":100,"limitPrice":30,"algo":{"type":"full"}}');
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([{ field: 'qty', code: 'duplicate_key', message: expect.stringMatching(/qty.*mais de uma vez/) }]);
    expect(b.journalSeq()).toBe(seq);
    const ok = await b.api('POST', '/api/orders', '{"client":"ALFA","symbol":"PETR4","side":"buy","qty":100,"limitPrice":30,"algo":{"type":"full"}}');
    expect(ok.status).toBe(201);
  });

  it('names the row of a batch and the field of a PATCH', async () => {
    const batch = await b.api('POST', '/api/orders/batch', '{"rows":[{"client":"ALFA","symbol":"PETR4","side":"buy","qty":100,"limitPrice":30,"algo":{"type":"full"}},{"client":"ALFA","client":"BETA","symbol":"PETR4","side":"buy","qty":100,"limitPrice":30,"algo":{"type":"full"}}]}');
    expect(batch.status).toBe(422);
    expect(batch.body.errors[0]).toMatchObject({ field: 'rows[1].client', code: 'duplicate_key' });
    const patch = await b.api('PATCH', '/api/orders/NOPE', '{"limitPrice":30,"limitPrice":31}');
    expect(patch.status).toBe(422);
    expect(patch.body.errors[0]).toMatchObject({ field: 'limitPrice', code: 'duplicate_key' });
  });
});

describe('the WebSocket', () => {
  it('answers a frame with a repeated key with an error naming it', async () => {
    const open = async () => {
      const ws = new WebSocket(b.url.replace(/^http/, 'ws') + '/ws');
      const messages: any[] = [];
      ws.on('message', (m) => messages.push(JSON.parse(String(m))));
      await new Promise((r) => ws.once('open', r));
      const next = async (pred: (m: any) => boolean) => {
        for (let i = 0; i < 300 && !messages.some(pred); i++) await new Promise((r) => setTimeout(r, 10));
        return messages.find(pred);
      };
      return { ws, next };
    };
    // Before login: the refusal names the field (and, as for any bad first frame, the connection ends).
    const anon = await open();
    anon.ws.send(`{"op":"auth","token":"wrong","token":${JSON.stringify(b.token)}}`);
    const refused = await anon.next((m) => m.op === 'error');
    expect(refused.errors[0]).toMatchObject({ field: 'token', code: 'duplicate_key' });
    anon.ws.close();
    // Logged in: the frame is refused and the connection carries on.
    const { ws, next } = await open();
    ws.send(JSON.stringify({ op: 'auth', token: b.token }));
    expect(await next((m) => m.op === 'ready')).toBeDefined();
    ws.send('{"op":"subscribe","channels":["orders"],"channels":["killswitch"]}');
    const err = await next((m) => m.op === 'error');
    expect(err.errors[0]).toMatchObject({ field: 'channels', code: 'duplicate_key' });
    ws.send(JSON.stringify({ op: 'subscribe', channels: ['killswitch'] }));
    expect(await next((m) => m.op === 'snapshot' && m.channel === 'killswitch')).toBeDefined();
    ws.close();
  });
});
