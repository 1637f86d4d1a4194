/** One symbol's position in one account as the broker keeps it (GetPositionV2). */
import type { Instrument } from '../../model/instrument.js';
import { OrderSide, PositionType, type TradingAccountPosition } from './abi.js';
import { type ProfitAccount, accountIdentifier } from './accounts.js';
import { assetIdentifier } from './conversions.js';
import { NL, ProfitDllError, bilingual, nlError } from './errors.js';
import type { ProfitDllRequests } from './relay.js';

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

/**
 * A flat position when the DLL has none (NL_NO_POSITION); throws the DLL's error otherwise. Users report
 * NL_INVALID_ARGS for a flat position too (reference §8, COM FA), but it also means what it says: it is read
 * as flat only when `tradedToday` confirms that none of the day's orders in this account and symbol
 * executed; otherwise the error is shown, not a zero that might be wrong.
 */
export function readPosition(
  fns: ProfitDllRequests,
  account: ProfitAccount,
  inst: Instrument,
  kind: PositionKind | undefined,
  tradedToday: () => boolean | undefined,
): ProfitPosition {
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
  if (rc === NL.NL_INVALID_ARGS) {
    const traded = tradedToday();
    if (traded === false) return flat;
    throw new ProfitDllError(
      'NL_INVALID_ARGS',
      bilingual(
        traded
          ? `GetPositionV2 falhou: NL_INVALID_ARGS para ${inst.symbol} em ${account.key}, mas há execuções hoje nesse ativo: posição desconhecida, não zero`
          : `GetPositionV2 falhou: NL_INVALID_ARGS para ${inst.symbol} em ${account.key}, e as ordens do dia não puderam ser lidas para confirmar posição zerada`,
        traded
          ? `GetPositionV2 failed: NL_INVALID_ARGS for ${inst.symbol} in ${account.key}, but there are executions today in it: position unknown, not zero`
          : `GetPositionV2 failed: NL_INVALID_ARGS for ${inst.symbol} in ${account.key}, and the day's orders could not be read to confirm it is flat`,
      ),
      rc,
    );
  }
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
