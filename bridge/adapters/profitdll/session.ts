/**
 * The native side of one ProfitDLL session: loading and binding the library, login, the callbacks
 * registered with koffi, the scratch buffers the accessors write into, and DLLFinalize.
 *
 * DLLFinalize, which waits for the ConnectorThread, runs through koffi's asynchronous form so the event
 * loop stays free to finish relaying the callbacks in flight. Registered callbacks outlive the session and
 * are unregistered only after DLLFinalize has returned.
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

const FINALIZE_TIMEOUT_MS = 15_000;
/** Callback failures kept until the next drain logs them. */
const MAX_KEPT_CALLBACK_FAILURES = 100;

export type SessionPhase = 'idle' | 'running' | 'failed' | 'closed';

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

  /** The bound DLL while the session runs: from a successful login until close. */
  running(): ProfitDllFunctions | undefined {
    return this.currentPhase === 'running' ? this.fns : undefined;
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
  close(): ProfitDllFunctions | undefined {
    const fns = this.running();
    this.currentPhase = 'closed';
    return fns;
  }

  /** DLLFinalize; resolves false when it did not return in time, and the callbacks must stay registered. */
  finalize(fns: ProfitDllFunctions): Promise<boolean> {
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
      fns.DLLFinalize.async((error: unknown, rc: number) => {
        clearTimeout(timer);
        const err = error ? (error as Error).message : nlError(rc, 'DLLFinalize')?.message;
        if (err) this.log('warn', err);
        resolve(true);
      });
    });
  }

  /** Only once no callback can run any more: after DLLFinalize returned, or when the DLL never started. */
  release(): void {
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
