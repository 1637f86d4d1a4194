/** Pure translations between the bridge's terms (ticks, sides, instruments, ledger entries) and ProfitDLL's records. */
import type { Side } from '../../../common/types.js';
import type { Instrument } from '../../model/instrument.js';
import { type AssetIdentifier, type OrderIdentifier, OrderSide, type TradeReader, TradeType } from './abi.js';
import type { LedgerEntry } from './order-ledger.js';
import { b3WallClockToEpochMs } from './time.js';

/** The DLL's exchange code: 'F' for B3's derivatives segment, 'B' for its equities (Bovespa) segment. */
export function exchangeOf(inst: Instrument): string {
  return inst.kind === 'future' ? 'F' : 'B';
}

export function toTicks(inst: Instrument, price: number): number {
  return Math.round((price * 100) / inst.tickHundredths);
}

export function toPrice(inst: Instrument, ticks: number): number {
  return (ticks * inst.tickHundredths) / 100;
}

export function sideOf(code: number): Side {
  return code === OrderSide.cosSell ? 'sell' : 'buy';
}

export function aggressorOf(tradeType: number): Side | undefined {
  return tradeType === TradeType.ttBuyAgressor ? 'buy' : tradeType === TradeType.ttSellAgressor ? 'sell' : undefined;
}

/** The trade's B3 wall-clock time as epoch milliseconds; undefined when the DLL gave no valid date. */
export function tradeTimeMs(t: TradeReader): number | undefined {
  return b3WallClockToEpochMs(
    t.dateField('wYear'),
    t.dateField('wMonth'),
    t.dateField('wDay'),
    t.dateField('wHour'),
    t.dateField('wMinute'),
    t.dateField('wSecond'),
    t.dateField('wMilliseconds'),
  );
}

export function assetIdentifier(inst: Instrument): AssetIdentifier {
  return { Version: 0, Ticker: inst.symbol, Exchange: exchangeOf(inst), FeedType: 0 };
}

/** Either id identifies the order (§8.2): the session's local id when known, else the broker's ClOrdID. */
export function orderIdentifier(e: LedgerEntry): OrderIdentifier {
  return e.localOrderId !== undefined
    ? { Version: 0, LocalOrderID: e.localOrderId, ClOrderID: '' }
    : { Version: 0, LocalOrderID: -1, ClOrderID: e.clOrdId ?? '' };
}
