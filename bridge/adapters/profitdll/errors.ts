/**
 * ProfitDLL return codes (reference/profitdll.md §5) as typed errors with their NL_* names, and the
 * adapter's own failures (loading, login, configuration), all with a pt-BR and an English message.
 */

/** [name, low bits of 0x800000xx, pt-BR, English]; NL_OK is 0, every error is 0x80000000 + n. */
const NL_TABLE = [
  ['NL_INTERNAL_ERROR', 0x01, 'erro interno da DLL', 'internal DLL error'],
  ['NL_NOT_INITIALIZED', 0x02, 'DLL não inicializada', 'DLL not initialised'],
  ['NL_INVALID_ARGS', 0x03, 'argumentos inválidos', 'invalid arguments'],
  ['NL_WAITING_SERVER', 0x04, 'aguardando dados do servidor', 'waiting for server data'],
  ['NL_NO_LOGIN', 0x05, 'nenhum login encontrado', 'no login found'],
  ['NL_NO_LICENSE', 0x06, 'nenhuma licença encontrada', 'no licence found'],
  ['NL_PASSWORD_HASH_SHA1', 0x07, 'senha não está em SHA1', 'password is not SHA1'],
  ['NL_PASSWORD_HASH_MD5', 0x08, 'senha não está em MD5', 'password is not MD5'],
  ['NL_OUT_OF_RANGE', 0x09, 'valor fora do intervalo', 'value out of range'],
  ['NL_MARKET_ONLY', 0x0a, 'licença sem roteamento (somente market data)', 'licence has no routing (market data only)'],
  ['NL_NO_POSITION', 0x0b, 'sem posição', 'no position'],
  ['NL_NOT_FOUND', 0x0c, 'recurso não encontrado', 'resource not found'],
  ['NL_VERSION_NOT_SUPPORTED', 0x0d, 'versão da estrutura não suportada', 'structure version not supported'],
  ['NL_OCO_NO_RULES', 0x0e, 'OCO sem regras', 'OCO has no rules'],
  ['NL_EXCHANGE_UNKNOWN', 0x0f, 'bolsa desconhecida', 'unknown exchange'],
  ['NL_NO_OCO_DEFINED', 0x10, 'nenhuma OCO encontrada', 'no OCO defined'],
  ['NL_INVALID_SERIE', 0x11, 'série inválida', 'invalid series'],
  ['NL_LICENSE_NOT_ALLOWED', 0x12, 'recurso não permitido pela licença', 'resource not allowed by the licence'],
  ['NL_NOT_HARD_LOGOUT', 0x13, 'não está em HardLogout', 'not in hard logout'],
  ['NL_SERIE_NO_HISTORY', 0x14, 'série sem histórico', 'series has no history'],
  ['NL_ASSET_NO_DATA', 0x15, 'ativo sem dados', 'asset has no data'],
  ['NL_SERIE_NO_DATA', 0x16, 'série sem dados', 'series has no data'],
  ['NL_HAS_STRATEGY_RUNNING', 0x17, 'há uma estratégia em execução', 'a strategy is running'],
  ['NL_SERIE_NO_MORE_HISTORY', 0x18, 'não há mais histórico', 'no more history'],
  ['NL_SERIE_MAX_COUNT', 0x19, 'série no limite de dados', 'series at its data limit'],
  ['NL_DUPLICATE_RESOURCE', 0x1a, 'recurso duplicado', 'duplicate resource'],
  ['NL_UNSIGNED_CONTRACT', 0x1b, 'contrato não assinado', 'unsigned contract'],
  ['NL_NO_PASSWORD', 0x1c, 'senha não informada', 'no password supplied'],
  ['NL_NO_USER', 0x1d, 'usuário não informado', 'no user supplied'],
  ['NL_FILE_ALREADY_EXISTS', 0x1e, 'arquivo já existe', 'file already exists'],
  ['NL_INVALID_TICKER', 0x1f, 'ativo inválido', 'invalid asset'],
  ['NL_NOT_MASTER_ACCOUNT', 0x20, 'conta não é conta mestre', 'account is not a master account'],
  ['NL_NOT_MY_TRADE', 0x21, 'negócio ou oferta não pertence às contas do usuário', "trade or offer is not from the user's accounts"],
  ['NL_NOT_EQUALS', 0x22, 'recursos não são iguais', 'resources are not equal'],
  ['NL_INVALID_DLL_AUTH', 0x23, 'DLL não validada por HMAC', 'DLL not validated by HMAC'],
  ['NL_INVALID_SIGNATURE', 0x24, 'a DLL não validou o executável', 'the DLL could not validate the executable'],
  ['NL_NOT_IMPLEMENTED', 0x25, 'não implementado', 'not implemented'],
  ['NL_BROKER_NOT_ALLOWED', 0x26, 'corretora sem acesso ao back-office', 'broker without back-office access'],
  ['NL_FILE_NOT_EXISTS', 0x27, 'arquivo não existe', 'file does not exist'],
  ['NL_NTSL_PARSE_FAILED', 0x28, 'falha ao interpretar NTSL', 'NTSL parse failed'],
  ['NL_NTSL_TOO_MANY_ASSETS', 0x29, 'ativos demais no NTSL', 'too many assets in NTSL'],
  ['NL_NOT_CONSISTENT', 0x2a, 'dados inconsistentes', 'not consistent'],
  ['NL_SINGLE_THREADED', 0x2b, 'operação exige uma única thread', 'operation is single-threaded'],
  ['NL_NOT_SAME_THREAD', 0x2c, 'chamada fora da thread esperada', 'called from another thread'],
  ['NL_TIMEOUT', 0x2d, 'tempo esgotado', 'timed out'],
  ['NL_HISTORY_PERIOD_LIMIT', 0x2e, 'data inicial do histórico anterior a 30 dias', 'history start date older than 30 days'],
] as const;

export type NlErrorName = (typeof NL_TABLE)[number][0];

export interface NlCodeInfo {
  name: NlErrorName;
  /** Signed 32-bit value, as the DLL returns it. */
  code: number;
  pt: string;
  en: string;
}

export const NL_OK = 0;

export const NL_CODES: readonly NlCodeInfo[] = NL_TABLE.map(([name, n, pt, en]) => ({
  name,
  code: (0x80000000 + n) | 0,
  pt,
  en,
}));

const BY_CODE = new Map(NL_CODES.map((c) => [c.code, c]));

export const NL = Object.fromEntries(NL_CODES.map((c) => [c.name, c.code])) as Record<NlErrorName, number>;

/** The adapter's own failures, beside the DLL's NL_* codes. */
export type AdapterErrorName =
  | 'DLL_NOT_FOUND'
  | 'DLL_WRONG_ARCHITECTURE'
  | 'DLL_LOAD_FAILED'
  | 'DLL_MISSING_EXPORT'
  | 'NL_UNKNOWN_CODE'
  | 'LOGIN_REFUSED'
  | 'ACTIVATION_REFUSED'
  | 'UNKNOWN_STATE'
  | 'UNKNOWN_ORDER_STATUS'
  | 'NOT_CONNECTED'
  | 'UNKNOWN_ACCOUNT'
  | 'UNKNOWN_INSTRUMENT'
  | 'INVALID_ORDER'
  | 'UNKNOWN_ORDER'
  | 'DUPLICATE_ORDER'
  | 'INVALID_RANGE'
  | 'HISTORY_TIMEOUT'
  | 'STATE_FILE_FAILED'
  | 'SESSION_CLOSED'
  | 'CREDENTIALS_MISSING'
  | 'CREDENTIALS_FILE_UNREADABLE'
  | 'CREDENTIALS_FILE_MODE'
  | 'CREDENTIALS_FILE_INVALID'
  | 'DLL_CALL_TIMEOUT'
  | 'DLL_BUSY'
  | 'RELAY_FAILED';

export type ProfitDllErrorName = NlErrorName | AdapterErrorName;

/** One message in both languages; `text` is what logs, /api/health and the port's `message` show. */
export interface Bilingual {
  pt: string;
  en: string;
}

export function bilingual(pt: string, en: string): Bilingual {
  return { pt, en };
}

export function bilingualText(m: Bilingual): string {
  return `${m.pt} / ${m.en}`;
}

export class ProfitDllError extends Error {
  override readonly name = 'ProfitDllError';
  readonly code: ProfitDllErrorName;
  /** The raw NL_* value when the error came from the DLL. */
  readonly nlCode?: number;
  readonly pt: string;
  readonly en: string;

  constructor(code: ProfitDllErrorName, message: Bilingual, nlCode?: number) {
    super(bilingualText(message));
    this.code = code;
    this.pt = message.pt;
    this.en = message.en;
    if (nlCode !== undefined) this.nlCode = nlCode;
  }
}

export function nlCodeInfo(code: number): NlCodeInfo | undefined {
  return BY_CODE.get(code | 0);
}

/**
 * Turns a function result into an error, or undefined on success. Order functions return Int64: a positive
 * local order id or a negative code (§5). The reference cannot confirm that the Int64 error is the
 * sign-extended 32-bit code (§16), so a zero-extended one (0x800000xx read as a large positive) is caught
 * too: no session sends two billion orders, so that range is never a real id.
 */
export function nlError(result: number | bigint, operation: string): ProfitDllError | undefined {
  const value = typeof result === 'bigint' ? result : BigInt(result);
  let code: number;
  if (value < 0n) code = Number(BigInt.asIntN(32, value));
  else if (value >= 0x80000000n && value <= 0x800000ffn) code = Number(BigInt.asIntN(32, value));
  else return undefined;
  const relay = relayError(code, operation);
  if (relay) return relay;
  const info = BY_CODE.get(code);
  if (!info) {
    const hex = `0x${(code >>> 0).toString(16).toUpperCase()}`;
    return new ProfitDllError(
      'NL_UNKNOWN_CODE',
      bilingual(`${operation} falhou com código desconhecido ${hex}`, `${operation} failed with unknown code ${hex}`),
      code,
    );
  }
  return new ProfitDllError(
    info.name,
    bilingual(`${operation} falhou: ${info.name} (${info.pt})`, `${operation} failed: ${info.name} (${info.en})`),
    code,
  );
}

/** The native relay's own codes (relay.h, 0x800010xx): a DLL call that hung, or the relay itself failing. */
function relayError(code: number, operation: string): ProfitDllError | undefined {
  switch (code >>> 0) {
    case 0x80001001:
      return new ProfitDllError(
        'DLL_CALL_TIMEOUT',
        bilingual(
          `${operation} não retornou a tempo: a ProfitDLL não responde (a chamada continua pendente e será relatada quando voltar)`,
          `${operation} did not return in time: ProfitDLL is not answering (the call is still pending and will be reported when it returns)`,
        ),
        code,
      );
    case 0x80001002:
      return new ProfitDllError(
        'DLL_BUSY',
        bilingual(
          `${operation} não foi enviado: uma chamada anterior à ProfitDLL ainda não retornou`,
          `${operation} was not sent: an earlier ProfitDLL call has not returned yet`,
        ),
        code,
      );
    case 0x80001003:
    case 0x80001004:
    case 0x80001005:
    case 0x80001006:
      return new ProfitDllError(
        'RELAY_FAILED',
        bilingual(`${operation}: falha no relay de callbacks (código 0x${(code >>> 0).toString(16)})`, `${operation}: callback relay failure (code 0x${(code >>> 0).toString(16)})`),
        code,
      );
  }
  return undefined;
}
