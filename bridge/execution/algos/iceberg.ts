/**
 * Iceberg: show `displayQty` at a time at the limit, optionally varied ±`variancePct` per clip
 * (seeded from the order's journaled anchors and the clip's number, so a restart draws the same
 * clip), lot-rounded and never below one lot; a new clip only when the previous one is done.
 *
 * Bridge-side clips, not B3's native disclosed quantity: the broker port (and ProfitDLL's
 * SendOrder) carries no disclosed-quantity field, bridge clips can be randomised (a fixed native
 * peak is easy to spot in the book), and the same code runs on the simulator and the DLL.
 */
import { Prng } from '../../model/prng.js';
import { type AlgoContext, type AlgoDescriptor, type ExecAlgorithm, retryAfterDenial } from './algo.js';
import { ParamReader, seedFor } from './params.js';

const PARAMS: AlgoDescriptor['params'] = [
  { name: 'displayQty', label: 'Quantidade aparente', kind: 'integer', required: true, min: 1, help: 'Quanto aparece no livro de cada vez (múltiplo do lote).' },
  { name: 'variancePct', label: 'Variação aleatória', kind: 'percent', required: false, min: 0, max: 50, default: 0, help: '± % sorteado em cada reposição, nunca abaixo de um lote.' },
];

/** Size of clip number `n` (1-based): deterministic from the seed, within [lot, remaining]. */
export function clipSize(seed: number, n: number, displayQty: number, variancePct: number, lot: number, remaining: number): number {
  let qty = displayQty;
  if (variancePct > 0) {
    const u = new Prng((seed ^ Math.imul(n, 0x9e3779b1)) >>> 0).next();
    qty = displayQty * (1 + ((2 * u - 1) * variancePct) / 100);
  }
  qty = Math.max(lot, Math.round(qty / lot) * lot);
  return Math.min(qty, remaining);
}

class IcebergAlgo implements ExecAlgorithm {
  private readonly displayQty: number;
  private readonly variancePct: number;

  constructor(private readonly ctx: AlgoContext) {
    this.displayQty = Number(ctx.parent.algo.displayQty);
    this.variancePct = Number(ctx.parent.algo.variancePct ?? 0);
  }

  start(): void {
    this.refill();
  }

  onChildDone(): void {
    this.refill();
  }

  onFill(): void {}

  onAmend(): void {
    const { parent } = this.ctx;
    const child = this.ctx.liveChildren()[0];
    if (!child) return this.refill();
    const stillNeeded = parent.qty - parent.filledQty;
    const change: { qty?: number; priceTicks?: number } = {};
    // Never more working than still needed: shrink the clip (a quantity cut keeps queue priority).
    if (child.qty - child.filledQty > stillNeeded) {
      if (stillNeeded <= 0) return this.ctx.cancel(child.id);
      change.qty = child.filledQty + stillNeeded;
    }
    if (parent.limitTicks !== child.priceTicks) change.priceTicks = parent.limitTicks;
    if (change.qty !== undefined || change.priceTicks !== undefined) this.ctx.replace(child.id, change);
  }

  onWake(): void {
    this.refill();
  }

  onDenied(): void {
    retryAfterDenial(this.ctx);
  }

  onPhase(): void {
    this.refill();
  }

  private refill(): void {
    // A closed market takes no orders: the next phase change (pushed by the runtime) refills.
    if (this.ctx.phase() === 'closed') return;
    if (this.ctx.liveChildren().length > 0) return;
    const remaining = this.ctx.unplacedQty();
    if (remaining <= 0) return;
    const { parent, instrument } = this.ctx;
    const seed = parent.anchors?.seed ?? 0;
    const qty = clipSize(seed, parent.nextChildSeq, this.displayQty, this.variancePct, instrument.lotSize, remaining);
    this.ctx.spawn(qty, parent.limitTicks);
  }
}

export const icebergAlgo: AlgoDescriptor = {
  type: 'iceberg',
  label: 'Iceberg',
  description: 'Mostra só uma parte da quantidade por vez, ao preço limite; repõe quando a parte executa.',
  requiresLimit: true,
  params: PARAMS,
  validate(spec, inst, env) {
    const r = new ParamReader(spec, PARAMS, env.nowMs);
    const display = r.number('displayQty');
    const variance = r.number('variancePct') ?? 0;
    if (display !== undefined) {
      if (display < inst.lotSize) r.fail('displayQty', 'below_lot', `quantidade aparente abaixo de um lote (${inst.lotSize})`);
      else if (display % inst.lotSize !== 0) r.fail('displayQty', 'lot', `quantidade aparente ${display} não é múltipla do lote ${inst.lotSize}`);
      else if (display > env.qty) r.fail('displayQty', 'above_total', `quantidade aparente ${display} acima da quantidade total ${env.qty}`);
      else if (display * (1 + variance / 100) > inst.maxQty) r.fail('displayQty', 'above_max', `parte acima do máximo por ordem de ${inst.symbol} (${inst.maxQty})`);
    }
    return { errors: r.errors, anchors: { seed: seedFor(env.nowMs, env.qty) } };
  },
  create: (ctx) => new IcebergAlgo(ctx),
};
