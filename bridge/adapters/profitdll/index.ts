/** ProfitDLL broker adapter: the koffi binding, its errors, credentials, and the BrokerPort implementation. */
export {
  ProfitDllBroker,
  createProfitDllBroker,
  mapOrderStatus,
  type ProfitAccount,
  type ProfitDllBrokerOptions,
  type ProfitDllLogLevel,
  type ProfitPosition,
} from './broker.js';
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
