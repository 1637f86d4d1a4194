/**
 * Every problem a PM can meet, in pt-BR, saying what to do. The bridge's REST field errors are
 * already pt-BR and name the field; what is mapped here is the rest: the network, timeouts, HTTP
 * statuses without a useful body, and the WebSocket's refusals (whose texts are in English, for
 * developers). Components show `BridgeError.message` and never word these themselves.
 */
import type { ApiErrorItem } from '../../../common/types.js';

const SETTINGS = 'Abra Configurações (a engrenagem no alto do painel)';

export const TOKEN_REFUSED =
  `O BlackBox recusou o token salvo neste computador. ${SETTINGS} e cole o token do arquivo "token" da pasta de dados do BlackBox, ou peça um token ao administrador.`;

export const TOKEN_MISSING = `Falta o token do BlackBox. ${SETTINGS} e cole o token do arquivo "token" da pasta de dados do BlackBox.`;

/** The bridge could not be reached at all: nothing arrived there. */
export function unreachableMessage(url: string): string {
  return `O BlackBox não está respondendo em ${url}. Confira se ele está aberto (npx blackbox start) e se o endereço em Configurações está certo; o painel reconecta sozinho quando ele voltar.`;
}

/** The request left but no answer came: it may or may not have been carried out. */
export function timeoutMessage(seconds: number, method: string): string {
  const base = `O BlackBox não respondeu em ${seconds} s.`;
  return method === 'GET' ? `${base} Tente de novo em instantes.` : `${base} A ação pode ter sido feita: confira em Ordens antes de repetir.`;
}

const BY_CODE: Record<string, (e: ApiErrorItem) => string> = {
  invalid_token: () => TOKEN_REFUSED,
  missing_token: () => TOKEN_MISSING,
  unauthenticated: () => TOKEN_REFUSED,
  auth_timeout: () => 'O BlackBox encerrou a conexão porque o painel não se identificou a tempo. O painel tenta de novo sozinho; se persistir, recarregue o painel.',
  forbidden: (e) => {
    const role = /papel (\w+)/.exec(e.message)?.[1];
    if (e.field === 'origin') return 'O BlackBox não aceita conexões deste endereço do painel. Peça ao administrador para incluí-lo em allowedOrigins no config.json.';
    return `Seu token não permite esta ação${role ? ` (exige o perfil ${ROLE_LABELS[role] ?? role})` : ''}. Peça a um administrador um token com esse perfil.`;
  },
  origin_refused: () => 'O BlackBox não aceita conexões deste endereço do painel. Peça ao administrador para incluí-lo em allowedOrigins no config.json.',
  too_many_clients: () => 'O BlackBox atingiu o limite de conexões. Feche painéis abertos em outras janelas; o painel tenta de novo sozinho.',
  closing: () => 'O BlackBox está sendo encerrado. Aguarde ele voltar: o painel reconecta sozinho.',
  rate_limited: () => 'Muitas requisições em pouco tempo. Aguarde alguns segundos e tente de novo.',
  unknown_channel: (e) => `O BlackBox não conhece este dado (${e.message.replace(/^unknown channel\s*/i, '')}). Confira o nome do ativo ou canal.`,
  internal: () => 'Erro interno do BlackBox: nada foi alterado além do que ele confirmou. Tente de novo; se persistir, avise o administrador (o log do BlackBox tem o detalhe).',
};

export const ROLE_LABELS: Record<string, string> = { viewer: 'consulta', trader: 'operador', admin: 'administrador' };

/** Calendar days written yyyy-mm-dd (the API's form) as a PM reads them: dd/mm/aaaa. Instants are left alone. */
function brDates(text: string): string {
  return text.replace(/\b(\d{4})-(\d{2})-(\d{2})\b(?!T\d)/g, '$3/$2/$1');
}

/** One bridge error item as a PM reads it: the bridge's own pt-BR text (dates dd/mm/aaaa) unless it is a known code. */
export function errorItemMessage(e: ApiErrorItem): string {
  return BY_CODE[e.code]?.(e) ?? brDates(e.message);
}

/** The message of an HTTP error response. */
export function httpErrorMessage(status: number, errors: ApiErrorItem[]): string {
  if (errors.length > 0) return [...new Set(errors.map(errorItemMessage))].join('; ');
  if (status === 401) return TOKEN_REFUSED;
  if (status === 403) return 'Seu token não permite esta ação. Peça a um administrador um token com o perfil necessário.';
  if (status === 404) return 'O BlackBox não reconhece este pedido: o painel pode ser de outra versão. Recarregue o painel.';
  if (status === 429) return BY_CODE.rate_limited!({ field: '', code: '', message: '' });
  if (status >= 500) return `${BY_CODE.internal!({ field: '', code: '', message: '' })} (código ${status})`;
  return `O BlackBox recusou o pedido (código ${status}). Confira os dados e tente de novo.`;
}

/** The WebSocket's refusal of the connection (errors before `ready`). */
export function wsRefusalMessage(errors: ApiErrorItem[]): string {
  if (errors.length === 0) return TOKEN_REFUSED;
  return [...new Set(errors.map(errorItemMessage))].join('; ');
}

/** PÂNICO is engaged: the bridge refuses to start anything (409) until an admin releases it. */
export const PANIC_BLOCKS_START =
  'O PÂNICO está acionado: nenhuma estratégia pode ser iniciada até um administrador liberá-lo (faixa vermelha no alto do painel). As que estavam rodando foram interrompidas.';

/** Why a strategy did not start: PÂNICO said plainly (and what to do), else the bridge's own words. */
export function strategyStartMessage(status: number, errors: ApiErrorItem[], fallback: string): string {
  if (status === 409 && (errors.length === 0 || errors.some((e) => e.code === 'trading_halted'))) return PANIC_BLOCKS_START;
  return fallback;
}
