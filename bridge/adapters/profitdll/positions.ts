/** One symbol's position in one account as the broker keeps it (GetPositionV2). */
import type { Instrument } from '../../model/instrument.js';
import { OrderSide, PositionType, type ProfitDllFunctions, type TradingAccountPosition } from './abi.js';
import { type ProfitAccount, accountIdentifier } from './accounts.js';
import { assetIdentifier } from './conversions.js';
import { NL, nlError } from './errors.js';

export type PositionKind = 'daytrade' | 'consolidated';

export interface ProfitPosition {
  account: string;
  symbol: string;
  /** Signed: positive long, negative short. */
  qty: number;
  avgPrice: number;
  dailyBuyQty: number;
  dailyBuyAvgPrice: number;
  dailySellQty: number;
  dailySellAvgPrice: number;
}

/** The DLL's position type; consolidated unless day trade is asked for. */
export function positionTypeOf(kind: PositionKind | undefined): number {
  return kind === 'daytrade' ? PositionType.cptDayTrade : PositionType.cptConsolidated;
}

/** A flat position when the DLL has none (NL_NO_POSITION); throws the DLL's error otherwise. */
export function readPosition(fns: ProfitDllFunctions, account: ProfitAccount, inst: Instrument, kind: PositionKind | undefined): ProfitPosition {
  const rec = {
    Version: 2,
    AccountID: accountIdentifier(account),
    AssetID: assetIdentifier(inst),
    PositionType: positionTypeOf(kind),
  } as TradingAccountPosition;
  const rc = fns.GetPositionV2(rec);
  const flat: ProfitPosition = {
    account: account.key,
    symbol: inst.symbol,
    qty: 0,
    avgPrice: 0,
    dailyBuyQty: 0,
    dailyBuyAvgPrice: 0,
    dailySellQty: 0,
    dailySellAvgPrice: 0,
  };
  if (rc === NL.NL_NO_POSITION) return flat;
  const err = nlError(rc, 'GetPositionV2');
  if (err) throw err;
  const open = Number(rec.OpenQuantity);
  return {
    ...flat,
    // OpenQuantity may come unsigned with the side apart (OpenSide 2 = sold), or already signed.
    qty: open < 0 || rec.OpenSide !== OrderSide.cosSell ? open : -open,
    avgPrice: rec.OpenAveragePrice,
    dailyBuyQty: Number(rec.DailyBuyQuantity),
    dailyBuyAvgPrice: rec.DailyAverageBuyPrice,
    dailySellQty: Number(rec.DailySellQuantity),
    dailySellAvgPrice: rec.DailyAverageSellPrice,
  };
}
