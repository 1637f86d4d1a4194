/**
 * Cover to X (sempre cobrir preço até X): one child that holds the best price of its side, one
 * tick better than any competing best, never beyond X (the limit). It never improves against
 * itself (alone at the best, it stays), re-prices only after `minRepriceMs` and by at least
 * `minMoveTicks` (each re-price loses queue priority at B3; every one is counted in the order's
 * metrics), rests at X once X is reached, and never crosses the spread unless `allowCross`.
 */
import { type AlgoContext, type AlgoDescriptor, type ExecAlgorithm, retryAfterDenial } from './algo.js';
import { ParamReader } from './params.js';

const PARAMS: AlgoDescriptor['params'] = [
  { name: 'minRepriceMs', label: 'Intervalo mínimo entre ajustes (ms)', kind: 'integer', required: false, min: 0, max: 600_000, default: 1_000, help: 'Cada ajuste de preço perde a prioridade na fila da B3.' },
  { name: 'minMoveTicks', label: 'Movimento mínimo (ticks)', kind: 'integer', required: false, min: 1, max: 10_000, default: 1 },
  { name: 'allowCross', label: 'Pode cruzar o spread', kind: 'boolean', required: false, default: false },
];

class CoverAlgo implements ExecAlgorithm {
  private readonly minRepriceMs: number;
  private readonly minMoveTicks: number;
  private readonly allowCross: boolean;
  /** When the live child last changed price; derived from the child after a restart. */
  private lastPriceChangeMs = 0;

  constructor(private readonly ctx: AlgoContext) {
    const a = ctx.parent.algo;
    this.minRepriceMs = a.minRepriceMs === undefined ? 1_000 : Number(a.minRepriceMs);
    this.minMoveTicks = a.minMoveTicks === undefined ? 1 : Number(a.minMoveTicks);
    this.allowCross = a.allowCross === true || a.allowCross === 'true';
  }

  start(): void {
    this.ctx.subscribe({ book: true });
    const live = this.ctx.liveChildren()[0];
    if (live) this.lastPriceChangeMs = live.updatedAtMs;
    this.evaluate();
  }

  onChildDone(): void {
    this.evaluate();
  }

  onFill(): void {}

  onAmend(): void {
    const live = this.ctx.liveChildren()[0];
    const { parent } = this.ctx;
    if (live && live.priceTicks !== undefined && this.beyondX(live.priceTicks)) {
      // X moved inside the child's price: that is an order to obey at once, not a re-price to pace.
      this.ctx.replace(live.id, { priceTicks: parent.limitTicks });
      this.lastPriceChangeMs = this.ctx.nowMs();
      return;
    }
    if (live && live.qty - live.filledQty > parent.qty - parent.filledQty) {
      const left = parent.qty - parent.filledQty;
      if (left <= 0) this.ctx.cancel(live.id);
      else this.ctx.replace(live.id, { qty: live.filledQty + left });
      return;
    }
    this.evaluate();
  }

  onWake(): void {
    this.evaluate();
  }

  onBook(): void {
    this.evaluate();
  }

  onDenied(): void {
    retryAfterDenial(this.ctx);
  }

  /** The price to hold now, given the book and our own child at `ownTicks` with `ownQty` open. */
  target(ownTicks: number | undefined, ownQty: number): number | undefined {
    const { parent } = this.ctx;
    const m = this.ctx.market();
    const x = parent.limitTicks!;
    const buy = parent.side === 'buy';
    const best = buy ? m.bidTicks : m.askTicks;
    const bestQty = (buy ? m.bidQty : m.askQty) ?? 0;
    const opposite = buy ? m.askTicks : m.bidTicks;
    let competing: number | undefined = best;
    // At our own price with nothing more than our quantity: that level is us, not a competitor.
    if (best !== undefined && best === ownTicks && bestQty <= ownQty) competing = undefined;
    let want: number;
    if (competing === undefined) {
      if (ownTicks !== undefined) return ownTicks;
      // An empty side: post at X, but never through the other side unless allowed.
      want = x;
    } else {
      want = buy ? competing + 1 : competing - 1;
      if (ownTicks !== undefined && (buy ? want <= ownTicks : want >= ownTicks)) return ownTicks;
    }
    if (buy ? want > x : want < x) want = x;
    if (!this.allowCross && opposite !== undefined && (buy ? want >= opposite : want <= opposite)) {
      want = buy ? opposite - 1 : opposite + 1;
      // Stepping back from the spread must not undercut the competing best we meant to beat.
      if (ownTicks !== undefined && (buy ? want < ownTicks : want > ownTicks)) return ownTicks;
    }
    return want > 0 ? want : undefined;
  }

  onPhase(): void {
    this.evaluate();
  }

  private evaluate(): void {
    const { parent } = this.ctx;
    // Only continuous trading has a best price worth chasing; in an auction or a closed market the
    // child rests (or waits) as it is, and the next phase change looks again.
    if (this.ctx.phase() !== 'continuous') return;
    const live = this.ctx.liveChildren();
    if (live.length > 1) return; // a replaced child racing its successor: wait for the broker
    const child = live[0];
    if (!child) {
      const qty = this.ctx.unplacedQty();
      if (qty <= 0) return;
      const price = this.target(undefined, 0);
      if (price === undefined) return;
      this.ctx.spawn(qty, price);
      this.lastPriceChangeMs = this.ctx.nowMs();
      return;
    }
    if (child.status === 'pending_new' || child.status === 'pending_replace' || child.status === 'pending_cancel') return;
    const own = child.priceTicks;
    const want = this.target(own, child.qty - child.filledQty);
    if (want === undefined || own === undefined || want === own) return;
    if (Math.abs(want - own) < this.minMoveTicks && want !== parent.limitTicks) return;
    const now = this.ctx.nowMs();
    const dueMs = this.lastPriceChangeMs + this.minRepriceMs;
    if (now < dueMs) {
      this.ctx.wakeAt(dueMs);
      return;
    }
    this.ctx.replace(child.id, { priceTicks: want });
    this.lastPriceChangeMs = now;
  }

  private beyondX(priceTicks: number): boolean {
    const x = this.ctx.parent.limitTicks!;
    return this.ctx.parent.side === 'buy' ? priceTicks > x : priceTicks < x;
  }
}

export const coverAlgo: AlgoDescriptor = {
  type: 'cover',
  label: 'Cobrir até X',
  description: 'Mantém a ordem no melhor preço do seu lado, um tick à frente da concorrência, nunca além de X (o preço limite).',
  requiresLimit: true,
  params: PARAMS,
  validate(spec, _inst, env) {
    const r = new ParamReader(spec, PARAMS, env.nowMs);
    r.number('minRepriceMs');
    r.number('minMoveTicks');
    r.boolean('allowCross');
    return { errors: r.errors, anchors: { seed: 0 } };
  },
  create: (ctx) => new CoverAlgo(ctx),
};
