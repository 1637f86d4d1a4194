import { describe, expect, it } from 'vitest';
import { excelDateSerial, excelSerial, excelTimeSerial, fmtChangePct, fmtDate, fmtDateTime, fmtMoney, fmtNumber, fmtPrice, fmtQty, fmtTime, parseDateBr, priceDecimals, roundTo, statusLabel } from '../../addin/src/core/format.js';
import { findQuoteField } from '../../addin/src/core/quote-fields.js';
import { normalizeBridgeUrl } from '../../addin/src/core/settings.js';
import { columnLetters, parseAddress, rectAddress } from '../../addin/src/sheets/a1.js';

const nbsp = (s: string) => s.replace(/\u00a0/g, ' ');

describe('pt-BR formats', () => {
  it('numbers: 1.234,56', () => {
    expect(fmtQty(12300)).toBe('12.300');
    expect(fmtPrice(36.5)).toBe('36,50');
    expect(fmtPrice(36.5125)).toBe('36,5125');
    expect(fmtNumber(-1234.5, 2)).toBe('-1.234,50');
    expect(nbsp(fmtMoney(1234.56))).toBe('R$ 1.234,56');
    expect(fmtChangePct(1.234)).toBe('+1,23%');
    expect(fmtChangePct(-0.5)).toBe('-0,50%');
    expect(fmtQty(undefined)).toBe('—');
  });
  it('dates: dd/mm/aaaa in São Paulo time; calendar dates never shift', () => {
    expect(fmtDate('2026-11-30')).toBe('30/11/2026');
    expect(fmtDateTime('2026-11-26T13:05:09.000Z')).toBe('26/11/2026 10:05:09');
    expect(fmtDate('2026-11-27T01:00:00.000Z')).toBe('26/11/2026');
    expect(fmtTime('2026-11-26T23:59:59.000Z')).toBe('20:59:59');
    expect(fmtDate('lixo')).toBe('—');
  });
  it('status labels in Portuguese', () => {
    expect(statusLabel('partially_filled')).toBe('Parcial');
    expect(statusLabel('canceled')).toBe('Cancelada');
  });
});

describe('values for Excel cells', () => {
  it('Excel serials in B3 time: calendar dates never shift, an instant after 21:00 in São Paulo is still that day', () => {
    expect(excelSerial('1900-03-01')).toBe(61); // Excel counts the fictitious 29/02/1900
    expect(excelSerial('2026-12-31')).toBe(46387);
    expect(excelDateSerial('2026-11-27T01:00:00.000Z')).toBe(46352); // 26/11 22:00 in São Paulo
    expect(excelTimeSerial('2026-11-27T01:00:00.000Z')).toBeCloseTo(22 / 24, 9);
    expect(excelSerial('2027-01-01T02:59:59.000Z')).toBeCloseTo(46387 + (23 * 3600 + 59 * 60 + 59) / 86_400, 9); // still 31/12
    expect(excelSerial('lixo')).toBeUndefined();
  });
  it('prices at the instrument\'s decimals', () => {
    expect([priceDecimals(0.01), priceDecimals(0.5), priceDecimals(5), priceDecimals(undefined)]).toEqual([2, 1, 0, 2]);
    expect(roundTo(36.500435, 2)).toBe(36.5);
    expect(roundTo(1.005, 2)).toBe(1.01);
    expect(roundTo(-2.675, 2)).toBe(-2.68);
    expect(roundTo(5420.25, 1)).toBe(5420.3);
  });
});

describe('small helpers', () => {
  it('Profit RTD field names and aliases', () => {
    expect(findQuoteField('ult')?.code).toBe('ULT');
    expect(findQuoteField(' último ')?.code).toBe('ULT');
    expect(findQuoteField('BID')?.code).toBe('OCP');
    expect(findQuoteField('nope')).toBeUndefined();
  });
  it('bridge address normalisation', () => {
    expect(normalizeBridgeUrl('localhost:3000/')).toBe('https://localhost:3000');
    expect(normalizeBridgeUrl('http://127.0.0.1:3000/taskpane.html')).toBe('http://127.0.0.1:3000');
    expect(() => normalizeBridgeUrl('ftp://x')).toThrow(/http/);
  });
  it('A1 addresses', () => {
    expect(columnLetters(0)).toBe('A');
    expect(columnLetters(27)).toBe('AB');
    expect(rectAddress({ top: 1, left: 13, rowCount: 50, colCount: 3 }, 'BB Ordens')).toBe("'BB Ordens'!N2:P51");
    expect(parseAddress("'BB Ordens'!N2:P51")).toEqual({ sheet: 'BB Ordens', rect: { top: 1, left: 13, rowCount: 50, colCount: 3 } });
    expect(parseAddress('Plan1!A:C').rect).toMatchObject({ top: 0, left: 0, colCount: 3, rowCount: 1_048_576 });
  });
});

describe('dates typed as dd/mm/aaaa', () => {
  it('reads the Brazilian order and refuses days that do not exist', () => {
    expect(parseDateBr('30/12/2024')).toBe('2024-12-30');
    expect(parseDateBr('1/2/2026')).toBe('2026-02-01');
    expect(parseDateBr('29/02/2028')).toBe('2028-02-29');
    expect(parseDateBr('29/02/2026')).toBeUndefined();
    expect(parseDateBr('31/04/2026')).toBeUndefined();
    expect(parseDateBr('12/30/2024')).toBeUndefined(); // the US order is not silently swapped
    expect(parseDateBr('2024-12-30')).toBeUndefined();
    expect(parseDateBr('')).toBeUndefined();
  });
});
