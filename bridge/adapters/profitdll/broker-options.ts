/** How the ProfitDLL broker is configured, and where it logs. */
import type { Instrument } from '../../model/instrument.js';
import type { ProfitCredentials } from './credentials.js';
import type { ProfitDllError } from './errors.js';

export type ProfitDllLogLevel = 'info' | 'warn' | 'error';

export type ProfitDllLog = (level: ProfitDllLogLevel, msg: string) => void;

export interface ProfitDllBrokerOptions {
  /** The DLL file, or a folder holding ProfitDLL64.dll / ProfitDLL.dll (libprofitdll.so for the stand-in). */
  dllPath: string;
  credentials: ProfitCredentials;
  /** The bridge's instrument table; the DLL's asset information overrides lot, tick and multiplier. */
  instruments: Instrument[];
  /** Account for orders whose `account` is empty; when unset, the only account of the login. */
  account?: string;
  log?: ProfitDllLog;
  /**
   * JSON-lines file where the adapter writes which broker order belongs to which clientOrderId, and the
   * fills it reported. Without it, orders sent before a process restart cannot be reconciled.
   */
  stateFile?: string;
  /** How long connect() waits for the connected state (default 30 s); the session keeps trying after. */
  connectTimeoutMs?: number;
  /** Capacity of the callback queue (default 65,536 events). */
  queueCapacity?: number;
  /**
   * Routing at ROTEAMENTO_CONNECTED (2) counts as ready, as the vendor's C# and Delphi examples do, for a
   * setup that never reports ROTEAMENTO_BROKER_CONNECTED (5). Default off: the bridge waits for 5.
   */
  acceptRoutingConnected?: boolean;
  /**
   * The native callback relay: 'auto' (default) uses the relay shipped for this platform when it exists,
   * 'off' the direct koffi path, any other value is the relay library's path.
   */
  relay?: string;
  /** Capacity of the relay's ring, in callback records (default 32,768). */
  relayRingCapacity?: number;
  /** How long a request to the DLL may take on the relay's thread before it is named as hung (default 5 s). */
  requestTimeoutMs?: number;
  /** A history download with no callback for this long fails (default 60 s). */
  historyIdleTimeoutMs?: number;
  /**
   * A configuration problem found before the broker existed (missing credentials, no DLL path): connect()
   * reports it and stays disconnected, so the bridge runs and shows why.
   */
  configError?: ProfitDllError;
}

/** The log used when the options give none. */
export function consoleLog(level: ProfitDllLogLevel, msg: string): void {
  const line = `[profitdll] ${msg}`;
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}
