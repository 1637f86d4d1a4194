/**
 * Order round trips through koffi against the stand-in's matching engine: acknowledgement, partial and
 * full fills, change, cancel, cancel-all, zero position, positions, and rejects with every NL_* code.
 */
import koffi from 'koffi';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bindProfitDll } from '../../bridge/adapters/profitdll/abi.js';
import { NL, NL_CODES, type ProfitDllBroker } from '../../bridge/adapters/profitdll/index.js';
import { defaultInstruments } from '../../bridge/model/instrument.js';
import { Recorder, STANDIN_LIB, STANDIN_LISTING_MS, buildStandin, configureStandin, makeBroker, standinControl, waitFor } from './support.js';

let broker: ProfitDllBroker;
let rec: Recorder;
const ctl = () => standinControl();

beforeAll(() => {
  buildStandin();
  configureStandin();
});

beforeEach(async () => {
  rec = new Recorder();
  broker = makeBroker(rec);
  await broker.connect();
  expect(broker.isConnected()).toBe(true);
});

afterEach(async () => {
  await broker.close();
});

const buy = (cid: string, qty: number, priceTicks?: number, symbol = 'PETR4', account = '') =>
  broker.submit({ clientOrderId: cid, account, symbol, side: 'buy', qty, ...(priceTicks ? { priceTicks } : {}) });
const sell = (cid: string, qty: number, priceTicks?: number, symbol = 'PETR4') =>
  broker.submit({ clientOrderId: cid, account: '', symbol, side: 'sell', qty, ...(priceTicks ? { priceTicks } : {}) });
const statusOf = (cid: string) => rec.lastOf(cid)?.status;

describe('order round trip', () => {
  it('acknowledges, partially fills and fills across two price levels', async () => {
    buy('o1', 1500, 3652); // asks rest at 36.51 (1000) and 36.52 (1000)
    await waitFor(() => statusOf('o1') === 'filled', 'fill');
    const updates = rec.updatesOf('o1');
    expect(updates.map((u) => [u.status, u.filledQty])).toEqual([
      ['new', 0],
      ['partially_filled', 1000],
      ['filled', 1500],
    ]);
    const brokerOrderId = updates[0].brokerOrderId!;
    expect(brokerOrderId).toMatch(/^SIM-\d{8}-\d{6}$/);
    expect(updates.every((u) => u.brokerOrderId === brokerOrderId && u.qty === 1500 && u.priceTicks === 3652)).toBe(true);
    expect(rec.fillsOf('o1')).toEqual([
      expect.objectContaining({ tradeId: `${brokerOrderId}:1000`, qty: 1000, priceTicks: 3651, side: 'buy', symbol: 'PETR4' }),
      expect.objectContaining({ tradeId: `${brokerOrderId}:1500`, qty: 500, priceTicks: 3652, side: 'buy', symbol: 'PETR4' }),
    ]);
    // Each fill is reported before the update that counts it.
    expect(rec.sequence).toEqual([
      'update o1 new 0',
      'fill o1 1000',
      'update o1 partially_filled 1000',
      'fill o1 500',
      'update o1 filled 1500',
    ]);
    expect(Math.abs(updates[2].timeMs - Date.now())).toBeLessThan(60_000);
  });

  it('rests, then fills from market trades', async () => {
    buy('o2', 300, 3645);
    await waitFor(() => statusOf('o2') === 'new', 'ack');
    ctl().marketTrade('PETR4', 'B', 2, 36.45, 100);
    await waitFor(() => statusOf('o2') === 'partially_filled', 'partial');
    ctl().marketTrade('PETR4', 'B', 2, 36.45, 500);
    await waitFor(() => statusOf('o2') === 'filled', 'fill');
    expect(rec.fillsOf('o2').map((f) => [f.qty, f.priceTicks])).toEqual([
      [100, 3645],
      [200, 3645],
    ]);
  });

  it('sells at market through the bids, futures in points', async () => {
    sell('o3', 3, undefined, 'WINZ26');
    await waitFor(() => statusOf('o3') === 'filled', 'fill');
    // WIN bids rest from 154995 down in 5-point ticks: tick 500 hundredths, so 154995 = 30999 ticks.
    expect(rec.fillsOf('o3')).toEqual([expect.objectContaining({ qty: 3, priceTicks: 30999, side: 'sell' })]);
    expect(rec.lastOf('o3')!.priceTicks).toBeUndefined();
  });

  it('cancels the rest of a market order that outruns the book', async () => {
    buy('o4', 6000); // five ask levels of 1000
    await waitFor(() => statusOf('o4') === 'canceled', 'cancel of the rest');
    const last = rec.lastOf('o4')!;
    expect(last.filledQty).toBe(5000);
    expect(last.reason).toBe(
      'Corretora: Ordem a mercado sem contrapartida: saldo cancelado / Broker: Ordem a mercado sem contrapartida: saldo cancelado',
    );
    expect(rec.fillsOf('o4').reduce((s, f) => s + f.qty, 0)).toBe(5000);
  });
});

describe('change and cancel', () => {
  it('changes quantity, then price into the market', async () => {
    buy('c1', 200, 3640);
    await waitFor(() => statusOf('c1') === 'new', 'ack');
    broker.replace('c1', { qty: 400 });
    await waitFor(() => rec.lastOf('c1')?.qty === 400, 'qty change');
    expect(rec.lastOf('c1')).toMatchObject({ status: 'new', qty: 400, priceTicks: 3640 });
    broker.replace('c1', { priceTicks: 3655 });
    await waitFor(() => statusOf('c1') === 'filled', 'fill after price change');
    expect(rec.lastOf('c1')).toMatchObject({ qty: 400, filledQty: 400, priceTicks: 3655 });
    expect(rec.fillsOf('c1')).toEqual([expect.objectContaining({ qty: 400, priceTicks: 3651 })]);
  });

  it('refuses a change the broker rejects, keeping the order as it was', async () => {
    buy('c2', 200, 3640);
    await waitFor(() => statusOf('c2') === 'new', 'ack');
    broker.replace('c2', { priceTicks: 9000 }); // beyond the 20% collar
    await waitFor(() => rec.updatesOf('c2').length === 2, 'refusal');
    expect(rec.lastOf('c2')).toMatchObject({
      status: 'new',
      priceTicks: 3640,
      reason:
        'Alteração recusada pela corretora: Alteração rejeitada: preço fora do túnel de negociação / Change refused by the broker: Alteração rejeitada: preço fora do túnel de negociação',
    });
    // The next accepted change carries no stale reason.
    broker.replace('c2', { qty: 300 });
    await waitFor(() => rec.lastOf('c2')?.qty === 300, 'accepted change');
    expect(rec.lastOf('c2')!.reason).toBeUndefined();
  });

  it('cancels a resting order and one that was partially filled', async () => {
    buy('x1', 100, 3640);
    buy('x2', 300, 3645);
    await waitFor(() => statusOf('x1') === 'new' && statusOf('x2') === 'new', 'acks');
    ctl().marketTrade('PETR4', 'B', 2, 36.45, 100);
    await waitFor(() => statusOf('x2') === 'partially_filled', 'partial');
    broker.cancel('x1');
    broker.cancel('x2');
    await waitFor(() => statusOf('x1') === 'canceled' && statusOf('x2') === 'canceled', 'cancels');
    expect(rec.lastOf('x2')).toMatchObject({ filledQty: 100, qty: 300 });
    // Pending-cancel reports are not new states for the port.
    expect(rec.updatesOf('x1').map((u) => u.status)).toEqual(['new', 'canceled']);
  });

  it('refuses to cancel a filled order and says why', async () => {
    buy('x3', 100, 3651);
    await waitFor(() => statusOf('x3') === 'filled', 'fill');
    broker.cancel('x3');
    await waitFor(() => rec.updatesOf('x3').some((u) => u.reason), 'refusal');
    expect(rec.lastOf('x3')).toMatchObject({ status: 'filled', reason: expect.stringContaining('SendCancelOrderV2 falhou: NL_INVALID_ARGS') });
  });

  it('refuses to change a market order', async () => {
    buy('x4', 100);
    await waitFor(() => statusOf('x4') === 'filled', 'fill');
    broker.replace('x4', { qty: 200 });
    await waitFor(() => rec.updatesOf('x4').some((u) => u.reason), 'refusal');
    expect(rec.lastOf('x4')!.reason).toMatch(/^Alteração inválida.* \/ Invalid change/);
  });

  it('warns about orders it does not know', () => {
    broker.cancel('never-sent');
    broker.replace('never-sent', { qty: 1 });
    expect(rec.logged('warn', 'cancel: ordem never-sent desconhecida nesta ponte / cancel: order never-sent unknown to this bridge')).toBe(true);
    expect(rec.logged('warn', 'replace: ordem never-sent desconhecida')).toBe(true);
  });

  it('cancels every open order of every account in use', async () => {
    buy('a1', 100, 3640);
    buy('a2', 100, 6170, 'VALE3');
    buy('a3', 100, 3641, 'PETR4', '7654321');
    await waitFor(() => ['a1', 'a2', 'a3'].every((c) => statusOf(c) === 'new'), 'acks');
    broker.cancelAll();
    await waitFor(() => ['a1', 'a2', 'a3'].every((c) => statusOf(c) === 'canceled'), 'cancel all');
  });
});

describe('rejects', () => {
  it('turns every NL_* code of SendOrder into a rejected update naming it', async () => {
    for (const { name, code } of NL_CODES) {
      ctl().failNextRequest(code);
      buy(`r-${name}`, 100, 3640);
    }
    await waitFor(() => NL_CODES.every(({ name }) => statusOf(`r-${name}`) === 'rejected'), 'all rejects');
    for (const { name, pt, en } of NL_CODES) {
      expect(rec.lastOf(`r-${name}`)!.reason).toBe(`SendOrder falhou: ${name} (${pt}) / SendOrder failed: ${name} (${en})`);
    }
    expect(rec.logged('warn', 'r-NL_TIMEOUT: SendOrder falhou: NL_TIMEOUT')).toBe(true);
  });

  it('names the NL_* code when a change or a cancel is refused', async () => {
    buy('q1', 100, 3640);
    await waitFor(() => statusOf('q1') === 'new', 'ack');
    ctl().failNextRequest(NL.NL_NO_LOGIN);
    broker.replace('q1', { qty: 200 });
    ctl().failNextRequest(NL.NL_NOT_FOUND);
    broker.cancel('q1');
    ctl().failNextRequest(NL.NL_MARKET_ONLY);
    broker.cancelAll();
    await waitFor(() => rec.updatesOf('q1').filter((u) => u.reason).length === 2, 'refusals');
    const reasons = rec.updatesOf('q1').filter((u) => u.reason).map((u) => u.reason);
    expect(reasons[0]).toMatch(/^SendChangeOrderV2 falhou: NL_NO_LOGIN .* \/ SendChangeOrderV2 failed: NL_NO_LOGIN/);
    expect(reasons[1]).toMatch(/^SendCancelOrderV2 falhou: NL_NOT_FOUND/);
    expect(rec.logged('error', 'SendCancelAllOrdersV2 falhou: NL_MARKET_ONLY')).toBe(true);
    expect(statusOf('q1')).toBe('new');
  });

  it('reports the DLL refusing an unknown ticker', async () => {
    await broker.close();
    const table = [...defaultInstruments(STANDIN_LISTING_MS), { ...defaultInstruments(STANDIN_LISTING_MS)[0], symbol: 'XPTO3', name: 'XPTO ON' }];
    broker = makeBroker(rec, { instruments: table });
    await broker.connect();
    buy('t1', 100, 3650, 'XPTO3');
    await waitFor(() => statusOf('t1') === 'rejected', 'reject');
    expect(rec.lastOf('t1')!.reason).toContain('NL_INVALID_TICKER');
    expect(rec.logged('warn', 'XPTO3: RequestTickerInfo falhou: NL_INVALID_TICKER')).toBe(true);
    broker.subscribe('XPTO3');
    expect(rec.logged('error', 'XPTO3: SubscribeTicker falhou: NL_INVALID_TICKER')).toBe(true);
    expect(rec.logged('error', 'XPTO3: SubscribePriceDepth falhou: NL_INVALID_TICKER')).toBe(true);
    await expect(broker.downloadHistory('XPTO3', Date.now() - 60_000, Date.now())).rejects.toMatchObject({ code: 'NL_INVALID_TICKER' });
    await broker.close();
    expect(rec.logged('warn', 'XPTO3: UnsubscribePriceDepth falhou: NL_INVALID_TICKER')).toBe(true);
  });

  it('logs an order report it cannot read', async () => {
    expect(ctl().repeatOrderEvent(999, 1)).toBe(0);
    await waitFor(() => rec.logs.some((l) => l.level === 'error'), 'error');
    expect(rec.logged('error', 'order 999: GetOrderDetails falhou: NL_NOT_FOUND (recurso não encontrado) / GetOrderDetails failed')).toBe(true);
  });

  it('survives a listener that throws', async () => {
    let thrown = 0;
    const original = rec.orderUpdate.bind(rec);
    rec.orderUpdate = (u) => {
      original(u);
      if (thrown++ === 0) throw new Error('boom');
    };
    buy('lt1', 100, 3651);
    await waitFor(() => statusOf('lt1') === 'filled', 'the order goes on after the throw');
    expect(rec.logged('error', 'listener orderUpdate: boom')).toBe(true);
  });

  it('passes on the broker text of exchange rejects, in both languages', async () => {
    buy('b1', 100, 5000); // 37% from the reference
    buy('b2', 150, 3640); // not a round lot
    await waitFor(() => statusOf('b1') === 'rejected' && statusOf('b2') === 'rejected', 'rejects');
    expect(rec.lastOf('b1')!.reason).toBe('Corretora: Preço fora do túnel de negociação / Broker: Preço fora do túnel de negociação');
    expect(rec.lastOf('b2')!.reason).toMatch(/^Corretora: Quantidade inválida para o lote do ativo \/ Broker:/);
    expect(rec.lastOf('b1')!.brokerOrderId).toMatch(/^SIM-/);
  });

  it('rejects a wrong routing password at the broker', async () => {
    await broker.close();
    broker = makeBroker(rec, { credentials: { activationKey: 'K', user: 'u', password: 'p', routingPassword: 'outra' } });
    await broker.connect();
    buy('w1', 100, 3640);
    await waitFor(() => statusOf('w1') === 'rejected', 'reject');
    expect(rec.lastOf('w1')!.reason).toContain('Assinatura eletrônica inválida');
  });

  it('rejects locally what cannot be sent, without calling the DLL', async () => {
    const before = ctl().requestCount();
    broker.submit({ clientOrderId: 'l1', account: '9999', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 3640 });
    broker.submit({ clientOrderId: 'l2', account: '', symbol: 'NOPE3', side: 'buy', qty: 100, priceTicks: 3640 });
    broker.submit({ clientOrderId: 'l3', account: '', symbol: 'PETR4', side: 'buy', qty: 0, priceTicks: 3640 });
    broker.submit({ clientOrderId: 'l4', account: '', symbol: 'PETR4', side: 'buy', qty: 100, priceTicks: 36.4 });
    await waitFor(() => ['l1', 'l2', 'l3', 'l4'].every((c) => statusOf(c) === 'rejected'), 'local rejects');
    expect(ctl().requestCount()).toBe(before);
    expect(rec.lastOf('l1')!.reason).toBe(
      'Conta "9999" não encontrada na ProfitDLL (contas: 1234567, 7654321) / Account "9999" not found in ProfitDLL (accounts: 1234567, 7654321)',
    );
    expect(rec.lastOf('l2')!.reason).toBe('Ativo NOPE3 desconhecido na ponte / Instrument NOPE3 unknown to the bridge');
    expect(rec.lastOf('l3')!.reason).toMatch(/^Ordem inválida: quantidade 0/);
    expect(rec.lastOf('l4')!.reason).toMatch(/preço 36.4 ticks/);
  });

  it('never sends a clientOrderId twice', async () => {
    buy('d1', 100, 3640);
    await waitFor(() => statusOf('d1') === 'new', 'ack');
    const before = ctl().requestCount();
    buy('d1', 100, 3640);
    await waitFor(() => rec.updatesOf('d1').length === 2, 'state repeated');
    expect(ctl().requestCount()).toBe(before);
    expect(rec.updatesOf('d1')[1]).toEqual(rec.updatesOf('d1')[0]);
    expect(rec.logged('warn', 'Ordem d1 já foi enviada hoje; reenvio recusado')).toBe(true);
  });

  it('logs an unknown order status and keeps the last known state', async () => {
    buy('u1', 100, 3640); // local order id 1 in this fresh session
    await waitFor(() => statusOf('u1') === 'new', 'ack');
    expect(ctl().injectOrderStatus(1, 99)).toBe(0);
    await waitFor(() => rec.logged('error', 'status 99'), 'error log');
    expect(rec.logged('error', 'Ordem u1: status 99 desconhecido da ProfitDLL; estado mantido até o próximo relatório / Order u1: unknown ProfitDLL status 99')).toBe(true);
    expect(rec.updatesOf('u1')).toHaveLength(1);
    ctl().injectOrderStatus(1, 200); // cosUnknown is no better
    await waitFor(() => rec.logged('error', 'status 200'), 'cosUnknown');
    broker.cancel('u1');
    await waitFor(() => statusOf('u1') === 'canceled', 'still manageable');
  });

  it('ignores reports of orders this bridge did not send', async () => {
    // Another client of the same session (say, an order typed into Profit) sends an order directly.
    const direct = bindProfitDll(koffi.load(STANDIN_LIB));
    const id = direct.SendOrder({
      Version: 2,
      AccountID: { Version: 0, BrokerID: 32006, AccountID: '1234567', SubAccountID: '', Reserved: 0 },
      AssetID: { Version: 0, Ticker: 'PETR4', Exchange: 'B', FeedType: 0 },
      Password: 'segredo',
      OrderType: 2,
      OrderSide: 1,
      Price: 36.4,
      StopPrice: -1,
      Quantity: 100,
      MessageID: -1,
    });
    expect(Number(id)).toBe(1);
    await waitFor(() => rec.logged('info', 'não foi enviada por esta ponte'), 'foreign order noted');
    expect(rec.logged('info', 'Ordem local 1 não foi enviada por esta ponte; ignorada / Order local 1 was not sent by this bridge; ignored')).toBe(true);
    await waitFor(() => rec.logs.some((l) => /Ordem SIM-\d{8}-\d{6} não foi enviada/.test(l.msg)), 'by ClOrdID');
    expect(rec.updates).toHaveLength(0);
  });
});

describe('positions', () => {
  it('reads day positions, long and short, and flat when there is none', async () => {
    buy('p1', 1500, 3652);
    sell('p2', 200, 6170, 'VALE3');
    await waitFor(() => statusOf('p1') === 'filled' && statusOf('p2') === 'filled', 'fills');
    const petr = broker.getPosition('PETR4');
    expect(petr).toMatchObject({ account: '1234567', symbol: 'PETR4', qty: 1500, dailyBuyQty: 1500, dailySellQty: 0 });
    expect(petr.avgPrice).toBeCloseTo((1000 * 36.51 + 500 * 36.52) / 1500, 9);
    expect(broker.getPosition('VALE3', { positionType: 'daytrade' })).toMatchObject({ qty: -200, avgPrice: 61.79, dailySellQty: 200 });
    expect(broker.getPosition('ITUB4')).toMatchObject({ qty: 0, avgPrice: 0 });
    expect(() => broker.getPosition('NOPE3')).toThrow(/NOPE3/);
    expect(() => broker.getPosition('PETR4', { account: '0000' })).toThrow(/0000/);
  });

  it('zeroes a position through SendZeroPositionV2', async () => {
    buy('z0', 1000, 3651);
    await waitFor(() => statusOf('z0') === 'filled', 'fill');
    broker.zeroPosition('z1', 'PETR4');
    await waitFor(() => statusOf('z1') === 'filled', 'zeroing fill');
    expect(rec.fillsOf('z1')).toEqual([expect.objectContaining({ side: 'sell', qty: 1000, priceTicks: 3649 })]);
    expect(broker.getPosition('PETR4').qty).toBe(0);

    broker.zeroPosition('z2', 'PETR4', { positionType: 'daytrade', priceTicks: 3640 });
    broker.zeroPosition('z3', 'NOPE3');
    broker.zeroPosition('z4', 'PETR4', { account: '0000' });
    broker.zeroPosition('z1', 'PETR4');
    await waitFor(() => ['z2', 'z3', 'z4'].every((c) => statusOf(c) === 'rejected'), 'zero rejects');
    expect(rec.lastOf('z2')!.reason).toContain('SendZeroPositionV2 falhou: NL_NO_POSITION');
    expect(rec.lastOf('z3')!.reason).toContain('NOPE3');
    expect(rec.lastOf('z4')!.reason).toContain('0000');
    expect(rec.logged('warn', 'Ordem z1 já foi enviada hoje')).toBe(true);
  });
});
