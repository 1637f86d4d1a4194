/**
 * Picks the market side of the bridge: the simulated B3 (in-process, or a separate exchange
 * process that outlives bridge restarts) or ProfitDLL. Everything above the broker port is the same.
 */
import type { Logger } from '../log.js';
import type { BrokerPort } from '../execution/broker-port.js';
import type { Instrument } from '../model/instrument.js';
import { b3Calendar } from '../calendar/business-calendar.js';
import { segmentOf, sessionPhase } from '../calendar/trading-hours.js';
import { createInProcessSimBroker, createRemoteSimBroker } from './sim/sim-broker.js';
import type { SessionPhaseFn } from './sim/exchange.js';

export type BrokerChoice = 'sim' | 'profitdll';

export interface BrokerFactoryOptions {
  choice: BrokerChoice;
  instruments: Instrument[];
  seed: number;
  simTickMs: number;
  exchange?: { host: string; port: number };
  marketHours: 'demo' | 'b3';
  /** Where a broker keeps its own state (the ProfitDLL adapter's order ledger). */
  dataDir: string;
  /** This installation's session at a shared exchange: its order reports come to it alone. */
  session?: string;
  /** The simulated market's clock (default Date.now); ProfitDLL keeps the machine's. */
  clock?: () => number;
  log: Logger;
}

/** B3's calendar and trading hours for the simulated market; fails closed outside the calendar's data. */
export function b3SessionPhase(instruments: Instrument[], log: Logger): SessionPhaseFn {
  const bySymbol = new Map(instruments.map((i) => [i.symbol, i]));
  const calendar = b3Calendar();
  let warned = false;
  return (symbol, nowMs) => {
    const inst = bySymbol.get(symbol);
    if (!inst) return 'closed';
    try {
      return sessionPhase(segmentOf(inst), nowMs, calendar);
    } catch (e) {
      if (!warned) log('error', 'market hours unavailable; market treated as closed', e);
      warned = true;
      return 'closed';
    }
  };
}

export async function createBroker(o: BrokerFactoryOptions): Promise<BrokerPort> {
  if (o.choice === 'profitdll') {
    // Loaded only when chosen: koffi and the DLL are not needed on the simulated market.
    const { createProfitDllBrokerFromEnv } = await import('./profitdll/index.js');
    return createProfitDllBrokerFromEnv({ instruments: o.instruments, dataDir: o.dataDir, log: (level, msg) => o.log(level, msg) });
  }
  if (o.exchange) return createRemoteSimBroker({ host: o.exchange.host, port: o.exchange.port, session: o.session, clock: o.clock });
  return createInProcessSimBroker({
    instruments: o.instruments,
    seed: o.seed,
    tickIntervalMs: o.simTickMs,
    clock: o.clock,
    ...(o.marketHours === 'b3' ? { sessionPhase: b3SessionPhase(o.instruments, o.log) } : {}),
  });
}
