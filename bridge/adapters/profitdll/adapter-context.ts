/**
 * What the parts of the ProfitDLL broker share, set up once by ProfitDllBroker: its options and log, the
 * port's listener, the native session, and the few things a part may ask of the others.
 */
import type { BrokerEvents } from '../../execution/broker-port.js';
import type { Instrument } from '../../model/instrument.js';
import type { ProfitDllRequests } from './relay.js';
import type { ProfitDllBrokerOptions, ProfitDllLog } from './broker-options.js';
import type { ProfitDllSession } from './session.js';

/** The port's single listener. */
export class PortEvents {
  private listener: BrokerEvents | undefined;

  constructor(private readonly log: ProfitDllLog) {}

  setListener(events: BrokerEvents): void {
    this.listener = events;
  }

  /** A listener that throws is logged: its failure must not stop the drain that is reporting. */
  emit<K extends keyof BrokerEvents>(kind: K, payload: Parameters<NonNullable<BrokerEvents[K]>>[0]): void {
    const listener = this.listener;
    if (!listener) return;
    try {
      (listener[kind] as ((p: typeof payload) => void) | undefined)?.(payload);
    } catch (e) {
      this.log('error', `listener ${kind}: ${(e as Error).message}`);
    }
  }
}

export interface AdapterContext {
  readonly opts: ProfitDllBrokerOptions;
  readonly log: ProfitDllLog;
  readonly events: PortEvents;
  readonly session: ProfitDllSession;
  /** Asks for a drain on the event loop: all a DLL callback may do besides copying what it was given. */
  requestDrain(): void;
  /** Runs `fn` in the next drain, so an event caused by a request arrives after the request returned. */
  defer(fn: () => void): void;
  /** The DLL when a request may be sent: the session runs and the broker is connected. */
  sendable(): ProfitDllRequests | undefined;
  /** The instrument with the DLL's reference data where it gave valid values. */
  instrument(symbol: string): Instrument | undefined;
  /** A ledger write whose failure is logged instead of thrown. */
  persist(write: () => void): void;
}
