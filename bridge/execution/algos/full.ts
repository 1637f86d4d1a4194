/**
 * Ordem cheia: one child for the whole remaining quantity, at the limit (or at market without
 * one). After a restart or a reconnect it re-sends whatever is neither filled nor working.
 */
import { type AlgoContext, type AlgoDescriptor, type ExecAlgorithm, retryAfterDenial } from './algo.js';
import { ParamReader } from './params.js';

class FullAlgo implements ExecAlgorithm {
  constructor(private readonly ctx: AlgoContext) {}

  start(): void {
    this.placeRemainder();
  }

  onChildDone(): void {
    this.placeRemainder();
  }

  onFill(): void {}

  onAmend(): void {
    const { parent } = this.ctx;
    const child = this.ctx.liveChildren()[0];
    if (!child) return this.placeRemainder();
    // The one live child should carry everything not yet filled.
    const wantQty = child.filledQty + (parent.qty - parent.filledQty);
    if (wantQty <= child.filledQty) return this.ctx.cancel(child.id);
    const change: { qty?: number; priceTicks?: number } = {};
    if (wantQty !== child.qty) change.qty = wantQty;
    if (parent.limitTicks !== undefined && parent.limitTicks !== child.priceTicks) change.priceTicks = parent.limitTicks;
    if (change.qty !== undefined || change.priceTicks !== undefined) this.ctx.replace(child.id, change);
  }

  onWake(): void {
    this.placeRemainder();
  }

  onDenied(): void {
    retryAfterDenial(this.ctx);
  }

  private placeRemainder(): void {
    if (this.ctx.liveChildren().length > 0) return;
    const qty = this.ctx.unplacedQty();
    if (qty > 0) this.ctx.spawn(qty, this.ctx.parent.limitTicks);
  }
}

export const fullAlgo: AlgoDescriptor = {
  type: 'full',
  label: 'Ordem cheia',
  description: 'Uma ordem pela quantidade toda, ao preço limite (ou a mercado sem limite).',
  requiresLimit: false,
  params: [],
  validate(spec, _inst, env) {
    return { errors: new ParamReader(spec, [], env.nowMs).errors };
  },
  create: (ctx) => new FullAlgo(ctx),
};
