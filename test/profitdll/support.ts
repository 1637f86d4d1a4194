/**
 * Test support for the ProfitDLL adapter: builds the C stand-in, binds its test switches, and records
 * what the broker reports.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';
import { defaultInstruments } from '../../bridge/model/instrument.js';
import { until } from '../support/wait.js';
import { Recorder } from '../support/broker-recorder.js';

export { Recorder };
import { type ProfitDllBrokerOptions, createProfitDllBroker } from '../../bridge/adapters/profitdll/index.js';

/**
 * The date of the bridge's table in these tests, fixed so the tests that name contracts (WINZ26, WDOZ26) find
 * them in it whatever the real date (the stand-in knows every WIN and WDO code).
 */
export const STANDIN_LISTING_MS = Date.parse('2026-11-25T15:00:00Z');

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const STANDIN_DIR = join(root, 'bridge', 'native', 'profitdll-standin');
export const STANDIN_LIB = join(STANDIN_DIR, 'build', 'libprofitdll.so');
export const KOFFI_BUILDS = join(root, 'node_modules', 'koffi', 'build', 'koffi');
export const RELAY_DIR = join(root, 'bridge', 'native', 'profitdll-relay');
export const RELAY_LIB = join(RELAY_DIR, 'build', 'librelay.so');

/** Runs both build.sh scripts (no-ops when up to date) and returns the stand-in's path. */
export function buildStandin(): string {
  execFileSync(join(STANDIN_DIR, 'build.sh'), { stdio: 'pipe' });
  execFileSync(join(RELAY_DIR, 'build.sh'), { stdio: 'pipe' });
  return STANDIN_LIB;
}

/** Fast, quiet stand-in: short state steps, no synthetic market ticks, dense history. */
export function configureStandin(env: Record<string, string | undefined> = {}): void {
  const settings: Record<string, string | undefined> = {
    PROFITDLL_STANDIN_STEP_MS: '2',
    PROFITDLL_STANDIN_MARKET_MS: '0',
    PROFITDLL_STANDIN_HISTORY_SPACING_MS: '10000',
    PROFITDLL_STANDIN_STATE_FILE: undefined,
    PROFITDLL_STANDIN_ASSET_INFO: undefined,
    PROFITDLL_STANDIN_ADVERSARIAL: undefined,
    PROFITDLL_STANDIN_LOCK_WAIT_MS: undefined,
    PROFITDLL_STANDIN_SLOW_CALLBACK_MS: undefined,
    PROFITDLL_STANDIN_HANG: undefined,
    PROFITDLL_STANDIN_HANG_MS: undefined,
    PROFITDLL_STANDIN_ROUTING_STATE: undefined,
    PROFITDLL_STANDIN_STRICT_BUFFERS: undefined,
    PROFITDLL_STANDIN_GARBAGE_LENGTHS: undefined,
    PROFITDLL_STANDIN_POSITION_INVALID_ARGS: undefined,
    PROFITDLL_STANDIN_SAME_THREAD: undefined,
    ...env,
  };
  for (const [k, v] of Object.entries(settings)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

export interface StandinControl {
  setRouting(up: boolean): number;
  injectState(type: number, result: number): number;
  failNextRequest(code: number): number;
  marketTrade(ticker: string, exchange: string, aggressor: 1 | 2, price: number, qty: number): number;
  emitTrades(ticker: string, exchange: string, count: number, onCallerThread?: boolean): number;
  injectOrderStatus(localOrderId: number, status: number): number;
  repeatOrderEvent(localOrderId: number, count: number): number;
  emitRawTrade(ticker: string, exchange: string, validHandle: boolean, flags: number): number;
  requestCount(): number;
  blockNextByRisk(): number;
  releaseHang(): number;
  /** DLLFinalize called directly, from this thread. */
  finalize(): number;
}

let control: StandinControl | undefined;

/** The stand-in's test switches (not part of the ProfitDLL ABI). */
export function standinControl(): StandinControl {
  if (control) return control;
  const lib = koffi.load(buildStandin());
  const setRouting = lib.func('int32 StandinSetRouting(int32)');
  const requestCount = lib.func('int64 StandinRequestCount()');
  const emitTrades = lib.func('int32 StandinEmitTrades(str16, str16, int32, int32)');
  const emitRawTrade = lib.func('int32 StandinEmitRawTrade(str16, str16, int32, uint32)');
  control = {
    setRouting: (up) => setRouting(up ? 1 : 0),
    injectState: lib.func('int32 StandinInjectState(int32, int32)'),
    failNextRequest: lib.func('int32 StandinFailNextRequest(int32)'),
    marketTrade: lib.func('int32 StandinMarketTrade(str16, str16, int32, double, int64)'),
    emitTrades: (ticker, exchange, count, onCallerThread = false) => emitTrades(ticker, exchange, count, onCallerThread ? 1 : 0),
    injectOrderStatus: lib.func('int32 StandinInjectOrderStatus(int64, int32)'),
    repeatOrderEvent: lib.func('int32 StandinRepeatOrderEvent(int64, int32)'),
    emitRawTrade: (ticker, exchange, validHandle, flags) => emitRawTrade(ticker, exchange, validHandle ? 1 : 0, flags),
    requestCount: () => Number(requestCount()),
    blockNextByRisk: lib.func('int32 StandinBlockNextByRisk()'),
    releaseHang: lib.func('int32 StandinReleaseHang()'),
    finalize: lib.func('int32 DLLFinalize()'),
  };
  return control;
}

/** A login with two accounts (the stand-in gives a second one to users named "multi…"). */
export const CREDENTIALS = { activationKey: 'KEY-TEST', user: 'multi@example.com', password: 'segredo' };

export function makeBroker(rec: Recorder, overrides: Partial<ProfitDllBrokerOptions> = {}) {
  const broker = createProfitDllBroker({
    dllPath: STANDIN_LIB,
    credentials: CREDENTIALS,
    instruments: defaultInstruments(STANDIN_LISTING_MS),
    account: '1234567',
    log: rec.log,
    connectTimeoutMs: 5_000,
    ...overrides,
  });
  broker.setListener(rec);
  return broker;
}

export const waitFor = (cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> => until(cond, timeoutMs, what);
