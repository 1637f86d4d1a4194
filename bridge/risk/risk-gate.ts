/**
 * Pre-trade risk: the checks every boleta passes before it is accepted, and every child order
 * passes before it reaches the broker. Checks fail closed: no reference price, no collar pass.
 */
import type { ApiErrorItem, Side, TradingState } from '../../common/types.js';
import { type Instrument, notionalCentavos, ticksToPrice } from '../model/instrument.js';

export interface RiskLimits {
  /** Price collar around the reference price, in basis points (B3 rejection tunnels are similar). */
  collarBps: number;
  /**
   * A market boleta goes out as a limit this far through the reference price ("market with
   * protection", as B3 offers), so a thin book can never be walked without bound.
   */
  marketProtectionBps: number;
  maxOrderQty: number;
  maxOrderNotionalCentavos: number;
  /** Identical boletas (client, symbol, side, qty, price) within this window are refused. */
  duplicateWindowMs: number;
  /** Child orders per second to the broker (token bucket), and burst. */
  childOrdersPerSec: number;
  childOrderBurst: number;
}

export const DEFAULT_RISK_LIMITS: RiskLimits = {
  collarBps: 1_000,
  marketProtectionBps: 200,
  maxOrderQty: 1_000_000,
  maxOrderNotionalCentavos: 50_000_000_00,
  duplicateWindowMs: 2_000,
  childOrdersPerSec: 2_000,
  childOrderBurst: 4_000,
};

export interface ClientRiskLimits {
  maxOrderQty?: number;
  maxOrderNotionalCentavos?: number;
}

export interface BoletaRiskInput {
  clients: string[];
  clientLimits: (client: string) => ClientRiskLimits | undefined;
  inst: Instrument;
  side: Side;
  qty: number;
  limitTicks?: number;
  referenceTicks?: number;
  /** Net position of each client in the instrument's underlying, for REDUCING. */
  positionQty: (client: string) => number;
  /** The client's share of a block (its rateio target); the whole quantity when absent. */
  clientQty?: (client: string) => number;
}

const BRL = new Intl.NumberFormat('pt-BR', { style: 'currency', currency: 'BRL' });
function brl(centavos: number): string {
  return BRL.format(centavos / 100).replace(/\u00a0/g, ' ');
}

export class RiskGate {
  private tradingState: TradingState = 'ACTIVE';
  private readonly recent = new Map<string, number>();
  private tokens: number;
  private lastRefillMs = 0;
  private static readonly MAX_RECENT = 100_000;

  constructor(public limits: RiskLimits = DEFAULT_RISK_LIMITS) {
    this.tokens = limits.childOrderBurst;
  }

  state(): TradingState {
    return this.tradingState;
  }

  setState(state: TradingState): void {
    this.tradingState = state;
  }

  checkBoleta(r: BoletaRiskInput): ApiErrorItem[] {
    const errors: ApiErrorItem[] = [];
    const { inst } = r;
    if (this.tradingState === 'HALTED') {
      errors.push({ field: 'symbol', code: 'trading_halted', message: 'negociação suspensa (PÂNICO acionado ou estado HALTED)' });
      return errors;
    }
    if (r.qty % inst.lotSize !== 0) {
      errors.push({ field: 'qty', code: 'lot', message: `quantidade ${r.qty} não é múltipla do lote ${inst.lotSize} de ${inst.symbol}` });
    }
    if (r.qty < inst.minQty && r.qty % inst.lotSize === 0) {
      errors.push({ field: 'qty', code: 'min_qty', message: `quantidade mínima de ${inst.symbol} é ${inst.minQty}` });
    }
    if (inst.kind === 'fractional' && r.qty > inst.maxQty) {
      errors.push({ field: 'qty', code: 'fractional_max', message: `o fracionário ${inst.symbol} negocia de 1 a ${inst.maxQty}; use ${inst.underlying} para lotes de 100` });
    }
    if (r.qty > this.limits.maxOrderQty) {
      errors.push({ field: 'qty', code: 'max_qty', message: `quantidade acima do máximo por ordem (${this.limits.maxOrderQty})` });
    }
    const priceTicks = r.limitTicks ?? r.referenceTicks;
    if (priceTicks === undefined) {
      errors.push({ field: 'limitPrice', code: 'no_reference', message: `sem preço de referência para ${inst.symbol}: informe um preço limite` });
    } else {
      // The same notional as Posições' exposure: qty x price x the instrument's value per tick.
      const notional = notionalCentavos(inst, r.qty, priceTicks);
      if (notional > this.limits.maxOrderNotionalCentavos) {
        errors.push({
          field: 'qty',
          code: 'max_notional',
          message: `financeiro de ${brl(notional)} acima do máximo por ordem (${brl(this.limits.maxOrderNotionalCentavos)})`,
        });
      }
      for (const client of r.clients) {
        const lim = r.clientLimits(client);
        // A client in a block is held to its own share, not to the whole block.
        const qty = r.clientQty?.(client) ?? r.qty;
        const clientNotional = notionalCentavos(inst, qty, priceTicks);
        if (lim?.maxOrderNotionalCentavos !== undefined && clientNotional > lim.maxOrderNotionalCentavos) {
          errors.push({
            field: 'client',
            code: 'client_max_notional',
            message: `financeiro de ${brl(clientNotional)} acima do limite do cliente ${client} (${brl(lim.maxOrderNotionalCentavos)})`,
          });
        }
        if (lim?.maxOrderQty !== undefined && qty > lim.maxOrderQty) {
          errors.push({ field: 'qty', code: 'client_max_qty', message: `quantidade acima do limite do cliente ${client}` });
        }
      }
    }
    if (r.limitTicks !== undefined) {
      const collar = this.collarError(inst, r.side, r.limitTicks, r.referenceTicks);
      if (collar) errors.push(collar);
    }
    if (this.tradingState === 'REDUCING') {
      for (const client of r.clients) {
        const pos = r.positionQty(client);
        const reduces = r.side === 'sell' ? pos > 0 && r.qty <= pos : pos < 0 && r.qty <= -pos;
        if (!reduces) {
          errors.push({ field: 'side', code: 'trading_state_reducing', message: `estado REDUCING: só ordens que reduzem posição (cliente ${client})` });
        }
      }
    }
    return errors;
  }

  /** Refuses a boleta whose content was accepted within the window (a double click without a key). */
  checkDuplicate(key: string, nowMs: number): ApiErrorItem | undefined {
    const seen = this.recent.get(key);
    if (seen !== undefined && nowMs - seen < this.limits.duplicateWindowMs) {
      return { field: 'idempotencyKey', code: 'duplicate', message: 'boleta idêntica enviada há instantes; envie com idempotencyKey distinto se for intencional' };
    }
    return undefined;
  }

  /** Called only for boletas actually accepted, so a refused or aborted one blocks nothing. */
  rememberAccepted(key: string, nowMs: number): void {
    if (this.recent.size >= RiskGate.MAX_RECENT) this.pruneRecent(nowMs);
    this.recent.set(key, nowMs);
  }

  /** The child-order check: state, collar against the live reference, throttle. */
  checkChild(inst: Instrument, side: Side, priceTicks: number | undefined, referenceTicks: number | undefined, nowMs: number): string | undefined {
    if (this.tradingState === 'HALTED') return 'trading_halted';
    if (priceTicks !== undefined) {
      const collar = this.collarError(inst, side, priceTicks, referenceTicks);
      if (collar) return collar.code;
    }
    this.refill(nowMs);
    if (this.tokens < 1) return 'throttle';
    this.tokens -= 1;
    return undefined;
  }

  private collarError(inst: Instrument, side: Side, priceTicks: number, referenceTicks: number | undefined): ApiErrorItem | undefined {
    if (referenceTicks === undefined) return undefined;
    const band = (referenceTicks * this.limits.collarBps) / 10_000;
    // Only the aggressive side is dangerous: a buy far above or a sell far below the market.
    const off = side === 'buy' ? priceTicks - referenceTicks : referenceTicks - priceTicks;
    if (off <= band) return undefined;
    return {
      field: 'limitPrice',
      code: 'price_collar',
      message: `preço ${ticksToPrice(inst, priceTicks)} fora do túnel de ${this.limits.collarBps / 100}% em torno da referência ${ticksToPrice(inst, referenceTicks)}`,
    };
  }

  /** The protection limit of a market child, in ticks; undefined without a reference price. */
  marketProtectionTicks(side: Side, referenceTicks: number | undefined): number | undefined {
    if (referenceTicks === undefined) return undefined;
    const band = Math.floor((referenceTicks * this.limits.marketProtectionBps) / 10_000);
    return side === 'buy' ? referenceTicks + band : Math.max(1, referenceTicks - band);
  }

  private refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.lastRefillMs);
    this.lastRefillMs = nowMs;
    this.tokens = Math.min(this.limits.childOrderBurst, this.tokens + (elapsed * this.limits.childOrdersPerSec) / 1000);
  }

  private pruneRecent(nowMs: number): void {
    for (const [k, t] of this.recent) if (nowMs - t >= this.limits.duplicateWindowMs) this.recent.delete(k);
    if (this.recent.size >= RiskGate.MAX_RECENT) this.recent.clear();
  }
}
