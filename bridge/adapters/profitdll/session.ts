/**
 * The native side of one ProfitDLL session: loading and binding the library, login, the callbacks, the
 * scratch buffers the accessors write into, and DLLFinalize. Two paths:
 *
 * - relay (the default where the relay library exists): the DLL is loaded inside the native relay
 *   (relay.ts), which owns the callbacks, calls the accessors on the DLL's thread and runs login, every
 *   request and DLLFinalize on one thread of its own;
 * - direct (the fallback): koffi-registered JavaScript callbacks, which koffi relays to the event loop
 *   while the DLL's thread waits; accessors run on the main thread, DLLFinalize on a koffi worker.
 *
 * DLLFinalize, which waits for the ConnectorThread, runs off the event loop in both, so the loop stays free
 * to finish the callbacks in flight. Registered callbacks are unregistered only after it returned.
 */
import koffi from 'koffi';
import {
  type AssetIDRec,
  type KoffiType,
  type ProfitDllFunctions,
  type RegisteredCallback,
  TAccountCallback,
  TProgressCallback,
  TStateCallback,
  TradeReader,
  bindProfitDll,
} from './abi.js';
import { adapterError } from './adapter-errors.js';
import type { ProfitDllLog } from './broker-options.js';
import type { ProfitCredentials } from './credentials.js';
import { NL_OK, type ProfitDllError, bilingual, bilingualText, nlError } from './errors.js';
import { checkLoadable, resolveLibraryPath } from './library-file.js';
import { OutBuffers } from './out-buffers.js';
import { type ProfitDllRequests, RELAY_CODES, type RelayLibrary, type RelayStatus, loadRelay } from './relay.js';
import type { AccountIdentifier, ConnectorOrder } from './abi.js';
import { koffiEnumerate } from './enumerate.js';

const FINALIZE_TIMEOUT_MS = 15_000;
/** Callback failures kept until the next drain logs them. */
const MAX_KEPT_CALLBACK_FAILURES = 100;

export type SessionPhase = 'idle' | 'running' | 'failed' | 'closed';
export type DllPath = 'relay' | 'direct';

/** Loads the relay library; throws a ProfitDllError saying what is wrong with the file. */
export function openRelay(path: string): RelayLibrary {
  try {
    return loadRelay(path);
  } catch (e) {
    throw adapterError(
      'DLL_LOAD_FAILED',
      `Falha ao carregar o relay ${path}: ${(e as Error).message}`,
      `Failed to load the relay ${path}: ${(e as Error).message}`,
    );
  }
}

/** Loads the library and binds its exports; throws a ProfitDllError saying what is wrong with the file. */
export function loadProfitDll(dllPath: string): ProfitDllFunctions {
  const path = resolveLibraryPath(dllPath);
  checkLoadable(path);
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load(path);
  } catch (e) {
    throw adapterError(
      'DLL_LOAD_FAILED',
      `Falha ao carregar ${path}: ${(e as Error).message}`,
      `Failed to load ${path}: ${(e as Error).message}`,
    );
  }
  try {
    return bindProfitDll(lib);
  } catch (e) {
    const name = (e as { missing?: string }).missing;
    throw adapterError(
      'DLL_MISSING_EXPORT',
      `${path} não exporta ${name}: versão da ProfitDLL antiga ou arquivo errado (requer 4.0.0.38 ou mais nova)`,
      `${path} does not export ${name}: old ProfitDLL version or wrong file (needs 4.0.0.38 or newer)`,
    );
  }
}

/** The callbacks DLLInitializeLogin takes itself. */
export interface LoginCallbacks {
  state(type: number, result: number): void;
  account(): void;
  progress(asset: AssetIDRec, percent: number): void;
}

export class ProfitDllSession {
  readonly buffers = new OutBuffers();

  private currentPhase: SessionPhase = 'idle';
  private fns: ProfitDllFunctions | undefined;
  private relayLib: RelayLibrary | undefined;
  private reader: TradeReader | undefined;
  private registered: RegisteredCallback[] = [];
  private callbackFailures: string[] = [];

  constructor(
    private readonly log: ProfitDllLog,
    private readonly requestDrain: () => void,
  ) {}

  get phase(): SessionPhase {
    return this.currentPhase;
  }

  /** TranslateTrade into one record reused by the trade callbacks, so the hot path allocates as little as possible. */
  get tradeReader(): TradeReader | undefined {
    return this.reader;
  }

  /** The request functions while the session runs: from a successful login until close. */
  running(): ProfitDllRequests | undefined {
    if (this.currentPhase !== 'running') return undefined;
    return this.relayLib ? this.relayLib.requests : this.fns;
  }

  /** The bound DLL itself, on the direct path only (the accessors inside koffi-relayed callbacks). */
  direct(): ProfitDllFunctions | undefined {
    return this.currentPhase === 'running' ? this.fns : undefined;
  }

  get path(): DllPath | undefined {
    return this.relayLib ? 'relay' : this.fns ? 'direct' : undefined;
  }

  get relay(): RelayLibrary | undefined {
    return this.relayLib;
  }

  relayStatus(): RelayStatus | undefined {
    return this.relayLib?.status();
  }

  /** EnumerateAllOrders (version 1) of one account, through whichever path runs. */
  enumerateOrders(account: AccountIdentifier): { rc: number; orders: ConnectorOrder[] } {
    if (this.currentPhase !== 'running') return { rc: RELAY_CODES.RELAY_NOT_OPEN, orders: [] };
    if (this.relayLib) return this.relayLib.enumerateOrders(account, 1);
    return koffiEnumerate(this.fns!, account);
  }

  /**
   * The relay path: the relay loads the DLL, logs in on its request thread and registers its own callbacks.
   * `notify` runs on the event loop whenever records wait in the ring.
   */
  loginThroughRelay(
    relay: RelayLibrary,
    dllPath: string,
    c: ProfitCredentials,
    notify: () => void,
    ringCapacity: number,
    requestTimeoutMs: number,
  ): ProfitDllError | undefined {
    const opened = relay.open(dllPath, notify, ringCapacity, requestTimeoutMs);
    if (opened === RELAY_CODES.RELAY_LOAD_FAILED) {
      const why = relay.lastError();
      const missing = /^missing export (\w+)/.exec(why)?.[1];
      return missing
        ? adapterError(
            'DLL_MISSING_EXPORT',
            `${dllPath} não exporta ${missing}: versão da ProfitDLL antiga ou arquivo errado (requer 4.0.0.38 ou mais nova)`,
            `${dllPath} does not export ${missing}: old ProfitDLL version or wrong file (needs 4.0.0.38 or newer)`,
          )
        : adapterError('DLL_LOAD_FAILED', `Falha ao carregar ${dllPath}: ${why}`, `Failed to load ${dllPath}: ${why}`);
    }
    const openErr = nlError(opened, 'RelayOpen');
    if (openErr) return openErr;
    this.relayLib = relay;
    const { rc, setCallbacks } = relay.login(c.activationKey, c.user, c.password);
    const err = nlError(rc, 'DLLInitializeLogin');
    if (err) {
      // The DLL was not initialised: the relay's threads stop, nothing to finalize. A login that never
      // returned (RELAY_TIMEOUT) keeps its thread, and the relay refuses a new session while it hangs.
      relay.abandon();
      this.relayLib = undefined;
      return err;
    }
    const setErr = nlError(setCallbacks, 'Set*Callback');
    if (setErr) this.log('error', setErr.message);
    this.currentPhase = 'running';
    return undefined;
  }

  /** The session could not start; it will not be retried. */
  fail(): void {
    this.currentPhase = 'failed';
  }

  /** DLLInitializeLogin; on failure nothing stays registered and the session stays idle. */
  login(fns: ProfitDllFunctions, c: ProfitCredentials, callbacks: LoginCallbacks): ProfitDllError | undefined {
    const state = this.register(callbacks.state, TStateCallback);
    const account = this.register(callbacks.account, TAccountCallback);
    const progress = this.register(callbacks.progress, TProgressCallback);
    const rc = fns.DLLInitializeLogin(c.activationKey, c.user, c.password, state, null, null, account, null, null, null, null, null, progress, null);
    if (rc !== NL_OK) {
      this.unregisterAll();
      return nlError(rc, 'DLLInitializeLogin');
    }
    this.fns = fns;
    this.reader = new TradeReader(fns.TranslateTrade);
    this.currentPhase = 'running';
    return undefined;
  }

  /** Registers `fn` and hands it to one of the DLL's Set*Callback functions; a refusal is logged. */
  listen<A extends unknown[]>(
    setter: (cb: RegisteredCallback) => number,
    name: string,
    proto: KoffiType,
    fn: (...args: A) => void,
  ): void {
    const err = nlError(setter(this.register(fn, proto)), name);
    if (err) this.log('error', err.message);
  }

  /** What the callbacks threw since the last call; the drain logs it. */
  takeCallbackFailures(): string[] {
    const failures = this.callbackFailures;
    this.callbackFailures = [];
    return failures;
  }

  /** Marks the session closed; returns the DLL if it was running, to unsubscribe and finalize. */
  close(): ProfitDllRequests | undefined {
    const fns = this.running();
    this.currentPhase = 'closed';
    return fns;
  }

  /** DLLFinalize; resolves false when it did not return in time, and the callbacks must stay registered. */
  finalize(fns: ProfitDllRequests): Promise<boolean> {
    const relay = this.relayLib;
    if (relay) {
      return relay.finalize(FINALIZE_TIMEOUT_MS).then((rc) => {
        if (rc === RELAY_CODES.RELAY_TIMEOUT) {
          this.log(
            'error',
            bilingualText(
              bilingual(
                `DLLFinalize não retornou em ${FINALIZE_TIMEOUT_MS} ms (thread do relay)`,
                `DLLFinalize did not return within ${FINALIZE_TIMEOUT_MS} ms (relay thread)`,
              ),
            ),
          );
          return false;
        }
        const err = nlError(rc, 'DLLFinalize');
        if (err) this.log('warn', err.message);
        return true;
      });
    }
    const direct = fns as ProfitDllFunctions;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.log(
          'error',
          bilingualText(
            bilingual(
              `DLLFinalize não retornou em ${FINALIZE_TIMEOUT_MS} ms; callbacks mantidos registrados`,
              `DLLFinalize did not return within ${FINALIZE_TIMEOUT_MS} ms; callbacks left registered`,
            ),
          ),
        );
        resolve(false);
      }, FINALIZE_TIMEOUT_MS);
      direct.DLLFinalize.async((error: unknown, rc: number) => {
        clearTimeout(timer);
        const err = error ? (error as Error).message : nlError(rc, 'DLLFinalize')?.message;
        if (err) this.log('warn', err);
        resolve(true);
      });
    });
  }

  /** Only once no callback can run any more: after DLLFinalize returned, or when the DLL never started. */
  release(): void {
    this.relayLib?.releaseNotify();
    this.unregisterAll();
    this.buffers.freeAll();
  }

  /** A registered callback that never lets an exception reach koffi (which would hand the DLL a zero). */
  private register<A extends unknown[]>(fn: (...args: A) => void, proto: KoffiType): RegisteredCallback {
    const guarded = (...args: A): void => {
      try {
        fn(...args);
      } catch (e) {
        if (this.callbackFailures.length < MAX_KEPT_CALLBACK_FAILURES) this.callbackFailures.push((e as Error).message);
        this.requestDrain();
      }
    };
    const cb = koffi.register(guarded, koffi.pointer(proto));
    this.registered.push(cb);
    return cb;
  }

  private unregisterAll(): void {
    for (const cb of this.registered) koffi.unregister(cb);
    this.registered = [];
  }
}
