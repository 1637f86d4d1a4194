/**
 * The ProfitDLL broker as `blackbox start --broker profitdll` configures it: everything from the
 * environment, and never an exception — a missing setting becomes the disconnected state's message.
 */
import { join } from 'node:path';
import type { Instrument } from '../../model/instrument.js';
import { type ProfitDllBroker, createProfitDllBroker } from './broker.js';
import type { ProfitDllBrokerOptions, ProfitDllLogLevel } from './broker-options.js';
import { type ProfitCredentials, loadProfitCredentials } from './credentials.js';
import { ProfitDllError, bilingual } from './errors.js';

/** Name of the adapter's order ledger inside the bridge's data folder. */
export const PROFITDLL_STATE_FILE = 'profitdll-orders.jsonl';

export interface ProfitDllFromEnvOptions {
  instruments: Instrument[];
  /** The bridge's data folder: the order ledger lives there, so a restart can reconcile. */
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  log?: (level: ProfitDllLogLevel, msg: string) => void;
  /** Settings that win over the environment (the check command's timeouts). */
  overrides?: Partial<Pick<ProfitDllBrokerOptions, 'connectTimeoutMs' | 'requestTimeoutMs'>>;
}

/**
 * Reads BLACKBOX_PROFITDLL_PATH, the credentials (see loadProfitCredentials), BLACKBOX_PROFIT_ACCOUNT,
 * BLACKBOX_PROFIT_ROUTING_READY (2: routing state 2 counts as ready) and BLACKBOX_PROFITDLL_RELAY
 * (auto | off | a relay library path).
 */
export function createProfitDllBrokerFromEnv(opts: ProfitDllFromEnvOptions): ProfitDllBroker {
  const env = opts.env ?? process.env;
  let credentials: ProfitCredentials = { activationKey: '', user: '', password: '' };
  let configError: ProfitDllError | undefined;
  const dllPath = env.BLACKBOX_PROFITDLL_PATH ?? '';
  if (!dllPath) {
    configError = new ProfitDllError(
      'DLL_NOT_FOUND',
      bilingual(
        'BLACKBOX_PROFITDLL_PATH não definido: informe o caminho da ProfitDLL64.dll ou da sua pasta',
        'BLACKBOX_PROFITDLL_PATH not set: give the path of ProfitDLL64.dll or of its folder',
      ),
    );
  }
  try {
    credentials = loadProfitCredentials(env);
  } catch (e) {
    configError ??= e as ProfitDllError;
  }
  return createProfitDllBroker({
    dllPath,
    credentials,
    instruments: opts.instruments,
    stateFile: join(opts.dataDir, PROFITDLL_STATE_FILE),
    ...(env.BLACKBOX_PROFIT_ACCOUNT ? { account: env.BLACKBOX_PROFIT_ACCOUNT } : {}),
    ...(env.BLACKBOX_PROFIT_ROUTING_READY === '2' ? { acceptRoutingConnected: true } : {}),
    ...(Number(env.BLACKBOX_PROFIT_CONNECT_TIMEOUT_MS) > 0 ? { connectTimeoutMs: Number(env.BLACKBOX_PROFIT_CONNECT_TIMEOUT_MS) } : {}),
    ...(env.BLACKBOX_PROFITDLL_RELAY ? { relay: env.BLACKBOX_PROFITDLL_RELAY } : {}),
    ...(opts.log ? { log: opts.log } : {}),
    ...(configError ? { configError } : {}),
    ...opts.overrides,
  });
}
