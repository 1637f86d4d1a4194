/**
 * TWAP and VWAP: one slicer, two weightings. At each slice the algo tops filled + working up to the
 * plan's target for the end of that slice (catch-up), or sends only the slice's own share (no
 * catch-up). Slices are passive (join the best price of the order's side) or aggressive (cross to
 * the best opposite price), never beyond the limit. No slice starts outside continuous trading:
 * auctions are skipped. At `end` the algo stops (cancels what is working and ends the parent) or
 * sends one final aggressive clip for the rest, as the `atEnd` parameter says.
 *
 * VWAP adds a participation cap: over any trailing window of one slice, the order's own fills stay
 * within `maxParticipationPct` of the volume printed in the symbol (own fills included).
 */
import type { AlgoSpec, ApiErrorItem } from '../../../common/types.js';
import { Prng } from '../../model/prng.js';
import type { Instrument } from '../../model/instrument.js';
import type { AlgoPhase } from '../market-session.js';
import { saoPauloDate } from '../../calendar/iso-date.js';
import {
  type AlgoContext,
  type AlgoDescriptor,
  type AlgoParamSpec,
  type AlgoValidationEnv,
  type ExecAlgorithm,
  floorToLot,
  type PrintedTrade,
  retryAfterDenial,
} from './algo.js';
import type { ChildOrder } from '../orders.js';
import { ParamReader, seedFor } from './params.js';
import { MAX_SLICES, planSlices, type PlannedSlice, sliceAt, sliceCount, type VolumeProfileSource } from './schedule.js';

const COMMON_PARAMS: AlgoParamSpec[] = [
  { name: 'start', label: 'Início', kind: 'time', required: false, help: 'HH:mm (São Paulo) ou ISO; vazio = agora.' },
  { name: 'end', label: 'Fim', kind: 'time', required: false, help: 'HH:mm (São Paulo) ou ISO; vazio = fechamento do pregão contínuo.' },
  { name: 'sliceSec', label: 'Intervalo entre fatias (s)', kind: 'integer', required: false, min: 1, max: 3_600, default: 60 },
  {
    name: 'style', label: 'Agressão', kind: 'enum', required: false, default: 'passive',
    options: [
      { value: 'passive', label: 'Passiva (junta-se ao melhor preço)' },
      { value: 'aggressive', label: 'Agressiva (cruza o spread)' },
    ],
  },
  { name: 'catchUp', label: 'Recuperar atraso', kind: 'boolean', required: false, default: true, help: 'Se atrasada, a fatia seguinte completa o que falta do plano.' },
  {
    name: 'atEnd', label: 'No fim da janela', kind: 'enum', required: false, default: 'stop',
    options: [
      { value: 'stop', label: 'Parar (cancela o saldo)' },
      { value: 'finish', label: 'Terminar com uma ordem agressiva final' },
    ],
  },
  { name: 'randomizeSizePct', label: 'Variação do tamanho', kind: 'percent', required: false, min: 0, max: 50, default: 0 },
  { name: 'randomizeTimePct', label: 'Variação do horário', kind: 'percent', required: false, min: 0, max: 50, default: 0 },
];

const VWAP_PARAMS: AlgoParamSpec[] = [
  ...COMMON_PARAMS,
  { name: 'maxParticipationPct', label: 'Participação máxima', kind: 'percent', required: false, min: 0.01, max: 100, default: 20, help: '% do volume negociado no ativo em cada janela de uma fatia.' },
];

/** Longest a capped child is assumed to rest before the cap is checked again (every print re-checks it). */
const CAP_HORIZON_MS = 5_000;

/** Least time between two looks for cap room triggered by prints, when nothing is working. */
const TRADE_RECHECK_MS = 200;

/** How often an algo outside continuous trading looks again (phase changes are also pushed). */
const PHASE_RECHECK_MS = 1_000;

interface SlicedParams {
  sliceMs: number;
  style: 'passive' | 'aggressive';
  catchUp: boolean;
  atEnd: 'stop' | 'finish';
  sizePct: number;
  timePct: number;
  maxPct?: number;
}

function readParams(spec: AlgoSpec): SlicedParams {
  const num = (k: string, d: number) => (spec[k] === undefined || spec[k] === null || spec[k] === '' ? d : Number(spec[k]));
  const bool = (k: string, d: boolean) => (spec[k] === undefined ? d : spec[k] === true || spec[k] === 'true' || spec[k] === 'sim');
  return {
    sliceMs: num('sliceSec', 60) * 1000,
    style: spec.style === 'aggressive' ? 'aggressive' : 'passive',
    catchUp: bool('catchUp', true),
    atEnd: spec.atEnd === 'finish' ? 'finish' : 'stop',
    sizePct: num('randomizeSizePct', 0),
    timePct: num('randomizeTimePct', 0),
    maxPct: spec.type === 'vwap' ? num('maxParticipationPct', 20) : undefined,
  };
}

class SlicedAlgo implements ExecAlgorithm {
  private readonly p: SlicedParams;
  private plan: PlannedSlice[] = [];
  private endMs = 0;
  private lastTradeCheckMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly ctx: AlgoContext,
    private readonly profiles: VolumeProfileSource | undefined,
  ) {
    this.p = readParams(ctx.parent.algo);
  }

  start(): void {
    const { parent, instrument } = this.ctx;
    const a = parent.anchors;
    if (!a?.startMs || !a.endMs) {
      this.ctx.pause('ordem sem janela registrada; reenvie a boleta');
      return;
    }
    this.endMs = a.endMs;
    const windows = this.ctx.session().continuousWindows(instrument, a.startMs, a.endMs);
    const isoDate = saoPauloDate(a.startMs);
    const profile = this.profiles?.profile(parent.symbol, isoDate);
    this.plan = planSlices({ windows, sliceMs: this.p.sliceMs, totalQty: parent.qty, lot: instrument.lotSize, profile });
    this.ctx.setSchedule(this.plan);
    if (this.p.maxPct !== undefined) this.ctx.subscribe({ trades: true });
    this.decide();
  }

  onChildDone(): void {
    this.decide();
  }

  onFill(): void {}

  onAmend(): void {
    // The plan follows the quantity; children beyond a new limit are pulled and re-sent within it.
    const { parent, instrument } = this.ctx;
    if (parent.anchors?.startMs && parent.anchors.endMs) {
      const windows = this.ctx.session().continuousWindows(instrument, parent.anchors.startMs, parent.anchors.endMs);
      const profile = this.profiles?.profile(parent.symbol, saoPauloDate(parent.anchors.startMs));
      this.plan = planSlices({ windows, sliceMs: this.p.sliceMs, totalQty: parent.qty, lot: instrument.lotSize, profile });
      this.ctx.setSchedule(this.plan);
    }
    for (const c of this.ctx.liveChildren()) {
      if (parent.limitTicks !== undefined && c.priceTicks !== undefined && this.beyondLimit(c.priceTicks)) this.ctx.cancel(c.id);
    }
    this.decide();
  }

  onWake(): void {
    this.decide();
  }

  onDenied(): void {
    retryAfterDenial(this.ctx);
  }

  onPhase(phase: AlgoPhase): void {
    if (phase === 'continuous') this.decide();
  }

  onTrade(_t: PrintedTrade): void {
    // VWAP: new volume may open room under the cap, or working children may now exceed it.
    if (this.p.maxPct === undefined) return;
    const live = this.ctx.liveChildren();
    if (live.length > 0) {
      if (this.p.style === 'aggressive') {
        // An aggressive capped slice takes what the book offers and no more (immediate-or-cancel): a
        // rest left in the book could fill later, when the window no longer holds the volume it was
        // sized against.
        for (const c of live) if (c.status === 'working' || c.status === 'partially_filled') this.ctx.cancel(c.id);
      } else if (this.trimToCap(live)) return;
    }
    // Room to add opens slowly: with nothing working, look again at most every TRADE_RECHECK_MS
    // (a busy symbol prints many times a second, and each look scans the window).
    const now = this.ctx.nowMs();
    if (live.length === 0 && now - this.lastTradeCheckMs < TRADE_RECHECK_MS) return;
    this.lastTradeCheckMs = now;
    const lot = this.ctx.instrument.lotSize;
    if (this.behindBy() >= lot && this.capRoom() >= lot) this.decide();
  }

  /** The one decision: what to have working now, and when to look again. */
  private decide(): void {
    const now = this.ctx.nowMs();
    const lot = this.ctx.instrument.lotSize;
    if (now >= this.endMs) return this.atEnd();
    if (this.ctx.phase() !== 'continuous') {
      this.ctx.wakeAfter(PHASE_RECHECK_MS);
      return;
    }
    const k = this.sliceNow(now);
    if (k < 0) {
      this.ctx.wakeAt(this.plan[0]?.startMs ?? this.endMs);
      return;
    }
    const slice = this.plan[k];
    const priceTicks = this.slicePrice(this.p.style);
    const stale = this.ctx.liveChildren().filter((c) => c.status !== 'pending_cancel' && c.priceTicks !== priceTicks && this.p.catchUp);
    if (stale.length > 0 && priceTicks !== undefined) {
      // A passive child left behind by the market is re-priced by cancel and re-send (its quantity
      // comes back through onChildDone), so the slice works at the current best.
      for (const c of stale) if (c.createdAtMs < slice.startMs) this.ctx.cancel(c.id);
    }
    let need = this.targetFor(k) - this.ctx.parent.filledQty - this.ctx.workingQty();
    if (!this.p.catchUp) need = Math.min(need, slice.targetQty - (k > 0 ? this.plan[k - 1].targetQty : 0));
    need = Math.min(need, this.ctx.unplacedQty());
    if (this.p.maxPct !== undefined) need = Math.min(need, this.capRoom());
    const qty = floorToLot(need, lot);
    if (qty > 0) this.ctx.spawn(qty, priceTicks);
    this.ctx.wakeAt(this.nextWakeMs(k));
  }

  /** The slice's target, with the optional size variation (the plan's last point is never varied). */
  private targetFor(k: number): number {
    const target = this.plan[k].targetQty;
    if (this.p.sizePct <= 0 || k === this.plan.length - 1) return target;
    const prev = k > 0 ? this.plan[k - 1].targetQty : 0;
    const u = this.rand(k, 1);
    const varied = prev + (target - prev) * (1 + ((2 * u - 1) * this.p.sizePct) / 100);
    return Math.min(this.ctx.parent.qty, floorToLot(varied, this.ctx.instrument.lotSize));
  }

  /**
   * The slice being worked at `now`: the last one whose (time-varied) start has come. With the time
   * variation a slice may begin up to half its variation before its planned start, and is worked
   * from then on, so an early wake-up acts once instead of waking again until the planned start.
   */
  private sliceNow(now: number): number {
    let k = sliceAt(this.plan, now);
    if (k < 0) return k;
    while (k + 1 < this.plan.length && this.startOf(k + 1) <= now) k++;
    return k;
  }

  /** When slice `j` is worked: its planned start, moved by the time variation (never the first). */
  private startOf(j: number): number {
    const start = this.plan[j].startMs;
    if (this.p.timePct <= 0 || j === 0) return start;
    const jitter = ((2 * this.rand(j, 2) - 1) * this.p.timePct * this.p.sliceMs) / 100 / 2;
    return Math.min(this.endMs, start + jitter);
  }

  private nextWakeMs(k: number): number {
    if (!this.plan[k + 1]) return this.endMs;
    return Math.max(this.ctx.nowMs() + 1, this.startOf(k + 1));
  }

  private rand(k: number, stream: number): number {
    const seed = this.ctx.parent.anchors?.seed ?? 0;
    return new Prng((seed ^ Math.imul(k + 1, 0x9e3779b1) ^ Math.imul(stream, 0x85ebca6b)) >>> 0).next();
  }

  private behindBy(): number {
    const k = this.sliceNow(this.ctx.nowMs());
    if (k < 0) return 0;
    return this.targetFor(k) - this.ctx.parent.filledQty - this.ctx.workingQty();
  }

  /** Own fills in the cap's window and the printed volume that stays in it for CAP_HORIZON more. */
  private capWindow(): { pct: number; market: number; own: number; working: number } {
    const pct = this.p.maxPct! / 100;
    const since = this.ctx.nowMs() - this.p.sliceMs;
    // Volume is counted only if it stays in the window for CAP_HORIZON more: a child placed now
    // may fill a moment later, when the oldest prints have slid out of its window.
    const market = this.ctx.printedQtySince(since + Math.min(this.p.sliceMs / 10, CAP_HORIZON_MS));
    let own = 0;
    const fills = this.ctx.fills();
    for (let i = fills.length - 1; i >= 0 && fills[i].timeMs > since; i--) own += fills[i].qty;
    return { pct, market, own, working: this.ctx.workingQty() };
  }

  /**
   * Quantity the cap allows to add now. Own fills print as trades too: q more keeps
   * own/market within pct when own + working + q <= pct * (market + q). Working quantity is not
   * credited with the volume its fills will print (some of it may already be in `market`, its
   * fill not yet booked), so this errs on the side of the cap.
   */
  private capRoom(): number {
    const w = this.capWindow();
    if (w.pct >= 1) return Number.POSITIVE_INFINITY;
    return Math.floor((w.pct * w.market - w.own - w.working) / (1 - w.pct));
  }

  /**
   * A passive capped slice rests; when filling all of it could breach the cap (even crediting the
   * volume those fills print), the newest children are cut down in quantity (a quantity cut keeps
   * B3 queue priority) or pulled. Returns whether anything had to be cut.
   */
  private trimToCap(live: ReadonlyArray<Readonly<ChildOrder>>): boolean {
    const w = this.capWindow();
    if (w.pct >= 1 || w.own + w.working <= w.pct * (w.market + w.working)) return false;
    const lot = this.ctx.instrument.lotSize;
    const allowed = Math.max(0, floorToLot((w.pct * w.market - w.own) / (1 - w.pct), lot));
    let excess = w.working - allowed;
    for (let i = live.length - 1; i >= 0 && excess > 0; i--) {
      const c = live[i];
      if (c.status !== 'working' && c.status !== 'partially_filled') continue;
      const open = c.qty - c.filledQty;
      const cut = Math.ceil(excess / lot) * lot;
      if (cut >= open) {
        this.ctx.cancel(c.id);
        excess -= open;
      } else {
        this.ctx.replace(c.id, { qty: c.qty - cut });
        excess = 0;
      }
    }
    return true;
  }

  private slicePrice(style: 'passive' | 'aggressive'): number | undefined {
    const { parent } = this.ctx;
    const m = this.ctx.market();
    const buy = parent.side === 'buy';
    const px = style === 'passive' ? (buy ? m.bidTicks : m.askTicks) : buy ? m.askTicks : m.bidTicks;
    if (px === undefined) return parent.limitTicks;
    if (parent.limitTicks === undefined) return px;
    return buy ? Math.min(px, parent.limitTicks) : Math.max(px, parent.limitTicks);
  }

  private beyondLimit(priceTicks: number): boolean {
    const lim = this.ctx.parent.limitTicks!;
    return this.ctx.parent.side === 'buy' ? priceTicks > lim : priceTicks < lim;
  }

  private atEnd(): void {
    const live = this.ctx.liveChildren();
    if (this.p.atEnd === 'stop' || this.ctx.phase() === 'closed') {
      this.ctx.finish(this.ctx.phase() === 'closed' ? 'mercado fechado: saldo cancelado' : 'fim da janela: saldo cancelado');
      return;
    }
    // finish: one aggressive clip for everything left; passive leftovers are pulled first.
    const price = this.slicePrice('aggressive');
    const stale = live.filter((c) => c.priceTicks !== price);
    if (stale.length > 0) {
      for (const c of stale) this.ctx.cancel(c.id);
      return;
    }
    const qty = this.ctx.unplacedQty();
    if (live.length === 0 && qty > 0) this.ctx.spawn(qty, price);
  }
}

function validateSliced(spec: AlgoSpec, inst: Instrument, env: AlgoValidationEnv, params: AlgoParamSpec[]) {
  const r = new ParamReader(spec, params, env.nowMs);
  const start = r.time('start');
  const end = r.time('end');
  const sliceSec = r.number('sliceSec');
  r.enumValue('style');
  r.enumValue('atEnd');
  r.boolean('catchUp');
  r.number('randomizeSizePct');
  r.number('randomizeTimePct');
  if (spec.type === 'vwap') r.number('maxParticipationPct');
  if (r.errors.length > 0) return { errors: r.errors };
  const startMs = Math.max(env.nowMs, start ?? env.nowMs);
  const endMs = end ?? env.session.closeMs(inst, startMs);
  const errors: ApiErrorItem[] = r.errors;
  const fail = (name: string, code: string, message: string) => errors.push({ field: `algo.${name}`, code, message });
  if (endMs === undefined) {
    fail('end', 'no_session', `sem pregão de ${inst.symbol} hoje: informe o fim`);
    return { errors };
  }
  if (start !== undefined && end !== undefined && start >= end) fail('end', 'before_start', 'fim deve ser depois do início');
  else if (endMs <= env.nowMs) fail('end', 'window_closed', 'a janela já terminou');
  if (errors.length > 0) return { errors };
  const windows = env.session.continuousWindows(inst, startMs, endMs);
  const continuousMs = windows.reduce((a, [s, e]) => a + (e - s), 0);
  const sliceMs = (sliceSec ?? 60) * 1000;
  if (continuousMs === 0) fail('end', 'no_continuous', 'não há pregão contínuo na janela (só leilão ou mercado fechado)');
  else if (sliceMs > continuousMs) fail('sliceSec', 'longer_than_window', `intervalo de ${sliceSec} s maior que a janela de negociação (${Math.floor(continuousMs / 1000)} s)`);
  else if (sliceCount(windows, sliceMs) > MAX_SLICES) fail('sliceSec', 'too_many_slices', `janela e intervalo dão mais de ${MAX_SLICES} fatias; aumente o intervalo`);
  return { errors, anchors: errors.length > 0 ? undefined : { startMs, endMs, seed: seedFor(env.nowMs, env.qty) } };
}

export function twapAlgo(): AlgoDescriptor {
  return {
    type: 'twap',
    label: 'TWAP',
    description: 'Divide a quantidade em fatias iguais no tempo entre início e fim, pulando leilões.',
    requiresLimit: false,
    params: COMMON_PARAMS,
    validate: (spec, inst, env) => validateSliced(spec, inst, env, COMMON_PARAMS),
    create: (ctx) => new SlicedAlgo(ctx, undefined),
  };
}

export function vwapAlgo(profiles: VolumeProfileSource): AlgoDescriptor {
  return {
    type: 'vwap',
    label: 'VWAP',
    description: 'Fatias proporcionais ao perfil de volume intradiário do ativo, com participação máxima no volume negociado.',
    requiresLimit: false,
    params: VWAP_PARAMS,
    validate: (spec, inst, env) => validateSliced(spec, inst, env, VWAP_PARAMS),
    create: (ctx) => new SlicedAlgo(ctx, profiles),
  };
}
