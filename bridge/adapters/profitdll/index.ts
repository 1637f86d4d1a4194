/** ProfitDLL broker adapter: the koffi binding, its errors, credentials, and the BrokerPort implementation. */
export { ProfitDllBroker, createProfitDllBroker } from './broker.js';
export type { ProfitDllBrokerOptions, ProfitDllLogLevel } from './broker-options.js';
export type { ProfitAccount } from './accounts.js';
export { mapOrderStatus } from './order-status.js';
export type { ProfitPosition } from './positions.js';
export { loadProfitCredentials, type ProfitCredentials } from './credentials.js';
export { PROFITDLL_STATE_FILE, createProfitDllBrokerFromEnv, type ProfitDllFromEnvOptions } from './from-env.js';
export {
  NL,
  NL_CODES,
  ProfitDllError,
  nlCodeInfo,
  nlError,
  type NlErrorName,
  type ProfitDllErrorName,
} from './errors.js';
