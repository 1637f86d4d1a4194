/** Pure parts of the adapter: NL_* codes, order-status mapping, B3 time, the bounded queue, fill arithmetic. */
import { describe, expect, it } from 'vitest';
import { OrderStatus } from '../../bridge/adapters/profitdll/abi.js';
import { BoundedQueue } from '../../bridge/adapters/profitdll/bounded-queue.js';
import { NL, NL_CODES, ProfitDllError, mapOrderStatus, nlCodeInfo, nlError } from '../../bridge/adapters/profitdll/index.js';
import { fillBetween } from '../../bridge/adapters/profitdll/order-ledger.js';
import { b3Day, formatHistoryDate, splitByB3Day, systemTimeToEpochMs } from '../../bridge/adapters/profitdll/time.js';

describe('NL_* codes', () => {
  it('numbers the codes as the Delphi header does: $80000001 and up', () => {
    expect(NL_CODES).toHaveLength(46);
    expect(NL.NL_INTERNAL_ERROR).toBe(-2147483647);
    expect(NL.NL_NOT_INITIALIZED).toBe(-2147483646);
    expect(NL.NL_NO_POSITION).toBe(-2147483637);
    expect(NL.NL_INVALID_TICKER).toBe(-2147483617);
    expect(NL.NL_HISTORY_PERIOD_LIMIT).toBe(-2147483602);
    NL_CODES.forEach((c, i) => expect(c.code).toBe((0x80000001 + i) | 0));
    expect(nlCodeInfo(NL.NL_TIMEOUT)).toMatchObject({ name: 'NL_TIMEOUT', pt: 'tempo esgotado', en: 'timed out' });
  });

  it('turns results into typed errors, and ids and NL_OK into nothing', () => {
    expect(nlError(0, 'X')).toBeUndefined();
    expect(nlError(42, 'SendOrder')).toBeUndefined();
    expect(nlError(2n ** 40n, 'SendOrder')).toBeUndefined();
    const e = nlError(NL.NL_INVALID_ARGS, 'SendOrder')!;
    expect(e).toBeInstanceOf(ProfitDllError);
    expect(e).toMatchObject({ name: 'ProfitDllError', code: 'NL_INVALID_ARGS', nlCode: NL.NL_INVALID_ARGS, pt: 'SendOrder falhou: NL_INVALID_ARGS (argumentos inválidos)', en: 'SendOrder failed: NL_INVALID_ARGS (invalid arguments)' });
    expect(e.message).toBe(`${e.pt} / ${e.en}`);
    // Int64 results: sign-extended, as BigInt, or zero-extended (§16: not confirmed which the DLL uses).
    expect(nlError(BigInt(NL.NL_NO_POSITION), 'SendZeroPositionV2')!.code).toBe('NL_NO_POSITION');
    expect(nlError(0x8000000b, 'SendZeroPositionV2')!.code).toBe('NL_NO_POSITION');
    const unknown = nlError(0x800000f0 | 0, 'SendOrder')!;
    expect(unknown.code).toBe('NL_UNKNOWN_CODE');
    expect(unknown.message).toBe('SendOrder falhou com código desconhecido 0x800000F0 / SendOrder failed with unknown code 0x800000F0');
    expect(nlError(-1, 'SendOrder')!.message).toContain('0xFFFFFFFF');
  });
});

describe('order status mapping (§7)', () => {
  it.each([
    [OrderStatus.cosNew, 0, 'new'],
    [OrderStatus.cosNew, 10, 'partially_filled'],
    [OrderStatus.cosPartiallyFilled, 10, 'partially_filled'],
    [OrderStatus.cosFilled, 10, 'filled'],
    [OrderStatus.cosDoneForDay, 0, 'expired'],
    [OrderStatus.cosCanceled, 0, 'canceled'],
    [OrderStatus.cosReplaced, 0, 'new'],
    [OrderStatus.cosPendingCancel, 10, 'partially_filled'],
    [OrderStatus.cosStopped, 0, 'new'],
    [OrderStatus.cosRejected, 0, 'rejected'],
    [OrderStatus.cosSuspended, 0, 'new'],
    [OrderStatus.cosPendingNew, 0, 'pending'],
    [OrderStatus.cosCalculated, 0, 'new'],
    [OrderStatus.cosExpired, 0, 'expired'],
    [OrderStatus.cosAcceptedForBidding, 0, 'new'],
    [OrderStatus.cosPendingReplace, 0, 'new'],
    [OrderStatus.cosPartiallyFilledCanceled, 10, 'canceled'],
    [OrderStatus.cosReceived, 0, 'pending'],
    [OrderStatus.cosPartiallyFilledExpired, 10, 'expired'],
    [OrderStatus.cosPartiallyFilledRejected, 10, 'rejected'],
    [OrderStatus.cosUnknown, 0, 'unknown'],
    [OrderStatus.cosHadesCreated, 0, 'pending'],
    [OrderStatus.cosBrokerSent, 10, 'partially_filled'],
    [OrderStatus.cosClientCreated, 0, 'pending'],
    [OrderStatus.cosOrderNotCreated, 0, 'rejected'],
    [OrderStatus.cosCanceledByAdmin, 0, 'canceled'],
    [OrderStatus.cosDelayFixGateway, 0, 'pending'],
    [OrderStatus.cosScheduledOrder, 0, 'pending'],
    [99, 0, 'unknown'],
  ])('status %i with %i traded -> %s', (status, traded, expected) => {
    expect(mapOrderStatus(status, traded)).toBe(expected);
  });
});

describe('B3 time', () => {
  it('reads wall-clock records in America/Sao_Paulo', () => {
    const st = { wYear: 2026, wMonth: 3, wDayOfWeek: 1, wDay: 2, wHour: 10, wMinute: 15, wSecond: 30, wMilliseconds: 250 };
    expect(systemTimeToEpochMs(st)).toBe(Date.parse('2026-03-02T13:15:30.250Z'));
    expect(systemTimeToEpochMs({ ...st, wYear: 0 })).toBeUndefined();
    // 2018 still had daylight saving time: 10:00 on 2018-12-03 was UTC-2.
    expect(systemTimeToEpochMs({ ...st, wYear: 2018, wMonth: 12, wDay: 3, wHour: 10, wMinute: 0, wSecond: 0, wMilliseconds: 0 })).toBe(
      Date.parse('2018-12-03T12:00:00Z'),
    );
  });

  it('formats history dates and splits ranges at B3 midnight', () => {
    expect(formatHistoryDate(Date.parse('2026-03-02T13:15:30.999Z'))).toBe('02/03/2026 10:15:30');
    expect(b3Day(Date.parse('2026-03-03T02:00:00Z'))).toBe('2026-03-02');
    const from = Date.parse('2026-03-02T20:00:00Z'); // 17:00 in B3
    const to = Date.parse('2026-03-04T15:00:00Z');
    expect(splitByB3Day(from, to)).toEqual([
      { fromMs: from, toMs: Date.parse('2026-03-03T02:59:59.999Z') },
      { fromMs: Date.parse('2026-03-03T03:00:00Z'), toMs: Date.parse('2026-03-04T02:59:59.999Z') },
      { fromMs: Date.parse('2026-03-04T03:00:00Z'), toMs: to },
    ]);
    expect(splitByB3Day(to, from)).toEqual([]);
  });
});

describe('bounded queue', () => {
  it('is a FIFO that refuses pushes when full', () => {
    const q = new BoundedQueue<number>(2);
    expect([q.push(1), q.push(2), q.push(3)]).toEqual([true, true, false]);
    expect(q.shift()).toBe(1);
    expect(q.push(4)).toBe(true);
    expect([q.shift(), q.shift(), q.shift(), q.length]).toEqual([2, 4, undefined, 0]);
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
  });
});

describe('fills from cumulative reports', () => {
  it('recovers the price of each execution from the averages', () => {
    expect(fillBetween(0, 0, 1000, 36.51)).toEqual({ qty: 1000, price: 36.51 });
    const second = fillBetween(1000, 36.51, 1500, (1000 * 36.51 + 500 * 36.52) / 1500);
    expect(second.qty).toBe(500);
    expect(second.price).toBeCloseTo(36.52, 9);
  });
});
