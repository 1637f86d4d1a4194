/**
 * The port's connected flag and message: ProfitDLL's state callbacks are recorded as they arrive
 * (states.ts), folded on the event loop, and reported to the listener when they change.
 */
import type { BrokerConnectionState } from '../../execution/broker-port.js';
import type { AdapterContext } from './adapter-context.js';
import { type Bilingual, bilingual, bilingualText } from './errors.js';
import { ConnectionTracker } from './states.js';

export interface ConnectionHooks {
  /** Routing left the broker: the DLL reloads the order history of each account. */
  routingDropped(): void;
  /** Connected after being disconnected: at start or after a reconnect. */
  connected(): void;
}

export class ConnectionState {
  private readonly tracker: ConnectionTracker;
  /** Set while the DLL itself is stuck (a call that does not return): not connected, whatever the states say. */
  private blockedBy: Bilingual | undefined;
  private isUp = false;
  private text = bilingualText(bilingual('Não conectado', 'Not connected'));
  private recordedSinceUpdate = false;
  private seenDrops = 0;
  private seenRoutingDrops = 0;

  constructor(
    private readonly ctx: AdapterContext,
    private readonly hooks: ConnectionHooks,
  ) {
    this.tracker = new ConnectionTracker({ acceptRoutingConnected: ctx.opts.acceptRoutingConnected === true });
  }

  /** A DLL call that hangs blocks the connection (message naming it); undefined lifts it. */
  block(reason: Bilingual | undefined): void {
    const changed = (reason ? bilingualText(reason) : '') !== (this.blockedBy ? bilingualText(this.blockedBy) : '');
    this.blockedBy = reason;
    if (!changed) return;
    if (reason) this.set(false, reason);
    else {
      this.recordedSinceUpdate = true;
      this.update();
    }
  }

  get connected(): boolean {
    return this.isUp;
  }

  get message(): string {
    return this.text;
  }

  /** The state the port last reported, for /api/health. */
  state(): BrokerConnectionState {
    return { connected: this.isUp, message: this.text };
  }

  /** The last result of one state type, undefined before the first. */
  latest(type: number): number | undefined {
    return this.tracker.result(type);
  }

  /** What a state means, pt-BR / English. */
  describe(type: number, result: number): string {
    return bilingualText(this.tracker.meaning(type, result));
  }

  /** A failure no retry inside this session will fix (bad password, refused key). */
  failedForGood(): boolean {
    return this.tracker.derive().terminal;
  }

  /** TStateCallback: copy and return. */
  onStateCallback(type: number, result: number): void {
    this.tracker.apply(type, result);
    this.recordedSinceUpdate = true;
    this.ctx.requestDrain();
  }

  /** Folds the states recorded since the last drain into the flag and message. */
  update(): void {
    if (!this.recordedSinceUpdate) return;
    this.recordedSinceUpdate = false;
    for (const note of this.tracker.takeNotes()) this.ctx.log(note.level, `ProfitDLL: ${bilingualText(note.message)}`);
    const derived = this.tracker.derive();
    const drops = this.tracker.dropCount();
    const dropped = drops !== this.seenDrops;
    this.seenDrops = drops;
    const routingDrops = this.tracker.routingDropCount();
    if (routingDrops !== this.seenRoutingDrops) {
      this.seenRoutingDrops = routingDrops;
      this.hooks.routingDropped();
    }
    // Down and up again between two drains: still report the gap, so the OMS pauses and reconciles.
    if (dropped && this.isUp && derived.connected) {
      this.set(false, bilingual('Conexão com a corretora oscilou', 'Broker connection flapped'));
    }
    const was = this.isUp;
    if (this.blockedBy) return this.set(false, this.blockedBy);
    this.set(derived.connected, derived.message);
    if (!was && derived.connected) this.hooks.connected();
  }

  set(connected: boolean, message: Bilingual): void {
    const text = bilingualText(message);
    if (connected === this.isUp && text === this.text) return;
    this.isUp = connected;
    this.text = text;
    this.ctx.events.emit('connection', { connected, message: text });
  }
}
