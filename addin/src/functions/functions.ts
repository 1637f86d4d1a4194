/// <reference types="custom-functions-runtime" />
/**
 * BLACKBOX.* streaming custom functions (pt-BR). They only read: no function sends, changes or
 * cancels an order (Excel re-runs formulas whenever it likes). Each stream is fed by the shared
 * bridge connection and coalesced to a few updates per second. The JSDoc below is the source of
 * functions.json (custom-functions-metadata-plugin), which also appends the
 * CustomFunctions.associate(...) calls to this file at build time.
 */
import type { BalanceView, InstrumentView, OrderView, QuoteView } from '../../../common/types.js';
import type { BridgeClient } from '../core/bridge-client.js';
import {
  balancesBlotter,
  ordersBlotter,
  orderClientText,
  orderMatchesClient,
  positionsBlotter,
  selectPositions,
  statusMatcher,
  type Cell,
  type PositionsPayload,
  type TickSizes,
} from '../core/blotters.js';
import { excelSerial, fold, priceDecimals, roundTo, sideLabel, statusLabel } from '../core/format.js';
import { findQuoteField, QUOTE_FIELD_CODES } from '../core/quote-fields.js';
import { getBridge } from '../core/runtime.js';
import { excelError, gate, invalid, keepLastOnOutage, na, runStream, value, WAIT, type StreamOutcome } from './streams.js';

// Outside Excel (browser mode, tests) there is no CustomFunctions global; the associate calls the
// build appends to this file must not throw there.
{
  const g = globalThis as { CustomFunctions?: { associate?: unknown } };
  if (!g.CustomFunctions) g.CustomFunctions = { associate: () => undefined };
}

/**
 * Campos de cotação no padrão RTD do Profit (a lista que o Excel oferece em COTACAO). The values are in
 * double quotes because custom-functions-metadata reads each one with JSON.parse.
 * @customenum {string}
 */
export enum CampoCotacao {
  /** Último preço */
  ULT = "ULT",
  /** Abertura */
  ABE = "ABE",
  /** Máxima do dia */
  MAX = "MAX",
  /** Mínima do dia */
  MIN = "MIN",
  /** Fechamento anterior */
  FEC = "FEC",
  /** Variação (%) */
  VAR = "VAR",
  /** Variação em pontos */
  VARPTS = "VARPTS",
  /** Preço médio do dia */
  MED = "MED",
  /** Número de negócios */
  NEG = "NEG",
  /** Quantidade negociada */
  QTT = "QTT",
  /** Volume financeiro (R$) */
  VOL = "VOL",
  /** Melhor oferta de compra */
  OCP = "OCP",
  /** Melhor oferta de venda */
  OVD = "OVD",
  /** Quantidade na melhor compra */
  VOC = "VOC",
  /** Quantidade na melhor venda */
  VOV = "VOV",
  /** Hora da última atualização (número de hora do Excel) */
  HOR = "HOR",
  /** Data da última atualização (número de data do Excel) */
  DAT = "DAT",
}

/**
 * Filtros de status de ORDENS (a lista que o Excel oferece).
 * @customenum {string}
 */
export enum StatusOrdens {
  /** Ordens que ainda podem executar ou ser alteradas */
  abertas = "abertas",
  /** Executadas, canceladas, rejeitadas ou expiradas */
  encerradas = "encerradas",
  /** Todas as ordens */
  todas = "todas",
  /** Aguardando a bolsa */
  Pendente = "Pendente",
  /** Na bolsa, sem execução */
  EmExecucao = "Em execução",
  /** Executada em parte */
  Parcial = "Parcial",
  /** Executada por inteiro */
  Executada = "Executada",
  /** Sendo cancelada */
  Cancelando = "Cancelando",
  /** Cancelada */
  Cancelada = "Cancelada",
  /** Recusada */
  Rejeitada = "Rejeitada",
  /** Expirada no fim do dia */
  Expirada = "Expirada",
  /** Pausada */
  Pausada = "Pausada",
}

/**
 * Campos de uma ordem em ORDEM (a lista que o Excel oferece).
 * @customenum {string}
 */
export enum CampoOrdem {
  /** Status em português */
  STATUS = "STATUS",
  /** Código do status (working, filled…) */
  STATUS_CODIGO = "STATUS_CODIGO",
  /** Motivo de rejeição ou pausa */
  MOTIVO = "MOTIVO",
  /** Ativo */
  ATIVO = "ATIVO",
  /** Compra ou Venda */
  LADO = "LADO",
  /** Cliente (ou clientes do bloco) */
  CLIENTE = "CLIENTE",
  /** Quantidade da ordem */
  QUANTIDADE = "QUANTIDADE",
  /** Quantidade executada */
  EXECUTADA = "EXECUTADA",
  /** Quantidade restante */
  RESTANTE = "RESTANTE",
  /** Preço médio executado */
  PRECO_MEDIO = "PRECO_MEDIO",
  /** Preço limite */
  PRECO_LIMITE = "PRECO_LIMITE",
  /** Tipo de boleta */
  TIPO = "TIPO",
  /** Fração executada (0 a 1) */
  PROGRESSO = "PROGRESSO",
  /** Criada em (número de data e hora do Excel) */
  CRIADA_EM = "CRIADA_EM",
  /** Atualizada em (número de data e hora do Excel) */
  ATUALIZADA_EM = "ATUALIZADA_EM",
}

let clientOverride: BridgeClient | undefined;

/** For tests: the client the functions read from (default: the shared-runtime singleton). */
export function useClientForFunctions(client: BridgeClient | undefined): void {
  clientOverride = client;
}

function client(): BridgeClient {
  return clientOverride ?? getBridge();
}

function text(v: unknown): string {
  return v === null || v === undefined ? '' : String(v).trim();
}

/** Cached algo labels for the "Tipo" column (falls back to the type code until loaded). */
let algoLabels: Map<string, string> | undefined;
function labels(c: BridgeClient): Map<string, string> | undefined {
  if (!algoLabels) {
    algoLabels = new Map();
    c.getAlgos()
      .then((list) => {
        for (const a of list) algoLabels!.set(a.type, a.label);
      })
      .catch(() => {
        algoLabels = undefined;
      });
  }
  return algoLabels;
}

/** Cached tick size per symbol, to round prices to the instrument's decimals (2 until loaded). */
let tickSizes: Map<string, number> | undefined;
function ticks(c: BridgeClient, onLoad?: () => void): TickSizes | undefined {
  if (!tickSizes) {
    tickSizes = new Map();
    c.cachedGet<InstrumentView[]>('/api/instruments', 5 * 60_000)
      .then((list) => {
        for (const i of list ?? []) tickSizes!.set(i.symbol, i.tickSize);
        onLoad?.();
      })
      .catch(() => {
        tickSizes = undefined;
      });
  }
  return tickSizes;
}

/** Blotters repaint a whole spilled range: at most once a second (each update recalculates dependents). */
const BLOTTER_INTERVAL_MS = 1_000;

function withHeader(b: { header: string[]; rows: Cell[][] }): Cell[][] {
  return [b.header, ...b.rows];
}

/**
 * Posições ao vivo: uma linha de cabeçalho e uma linha por ativo, atualizada continuamente.
 * Sem cliente, a posição consolidada de todos os clientes; com "*", todos os clientes linha a linha.
 * @customfunction POSICOES
 * @param [cliente] Código do cliente (vazio = consolidado; "*" = todos os clientes, por cliente).
 * @param invocation Invocação de streaming (fornecida pelo Excel).
 * @returns Tabela de posições com cabeçalho.
 */
export function posicoes(cliente: string | undefined, invocation: CustomFunctions.StreamingInvocation<any[][]>): void {
  const c = client();
  const who = text(cliente);
  runStream<any[][]>(c, invocation, {
    channels: ['positions'],
    minIntervalMs: BLOTTER_INTERVAL_MS,
    compute: keepLastOnOutage(([view]) => {
      const blocked = gate(c, view);
      if (blocked) return blocked;
      const rows = selectPositions(view.data as PositionsPayload, who || undefined);
      return value(withHeader(positionsBlotter(rows, who === '*', ticks(c))));
    }),
  });
}

/**
 * Ordens ao vivo (boleta a boleta): uma linha de cabeçalho e uma linha por ordem.
 * @customfunction ORDENS
 * @param [cliente] Código do cliente (vazio = todos).
 * @param [status] Filtro de status: abertas, encerradas, todas, ou Pendente, Em execução, Parcial, Executada, Cancelando, Cancelada, Rejeitada, Expirada, Pausada.
 * @param invocation Invocação de streaming (fornecida pelo Excel).
 * @returns Tabela de ordens com cabeçalho.
 */
export function ordens(
  cliente: string | undefined,
  status: StatusOrdens,
  invocation: CustomFunctions.StreamingInvocation<any[][]>,
): void {
  const c = client();
  const who = text(cliente);
  const matcher = statusMatcher(text(status));
  if (typeof matcher !== 'function') {
    invocation.setResult(toError(invalid(matcher.error)));
    return;
  }
  runStream<any[][]>(c, invocation, {
    channels: ['orders'],
    minIntervalMs: BLOTTER_INTERVAL_MS,
    compute: keepLastOnOutage(([view]) => {
      const blocked = gate(c, view);
      if (blocked) return blocked;
      const all = (view.data as OrderView[]) ?? [];
      const rows = all.filter((o) => matcher(o.status) && (!who || orderMatchesClient(o, who)));
      return value(withHeader(ordersBlotter(rows, labels(c), ticks(c))));
    }),
  });
}

/**
 * Saldo em conta por cliente para D+0, D+1 e D+2 (hoje e após as liquidações dos próximos dois dias úteis).
 * @customfunction SALDO
 * @param [cliente] Código do cliente (vazio = todos).
 * @param invocation Invocação de streaming (fornecida pelo Excel).
 * @returns Tabela de saldos com cabeçalho.
 */
export function saldo(cliente: string | undefined, invocation: CustomFunctions.StreamingInvocation<any[][]>): void {
  const c = client();
  const who = fold(text(cliente));
  runStream<any[][]>(c, invocation, {
    channels: ['balances'],
    minIntervalMs: BLOTTER_INTERVAL_MS,
    compute: keepLastOnOutage(([view]) => {
      const blocked = gate(c, view);
      if (blocked) return blocked;
      const all = (view.data as BalanceView[]) ?? [];
      const rows = who ? all.filter((b) => fold(b.client) === who) : all;
      if (who && rows.length === 0) return na(`Cliente "${text(cliente)}" sem saldo no BlackBox.`);
      return value(withHeader(balancesBlotter(rows)));
    }),
  });
}

/**
 * Cotação ao vivo de um ativo, com os campos do RTD do Profit: ULT, ABE, MAX, MIN, FEC, VAR, VARPTS, MED, NEG, QTT, VOL, OCP, OVD, VOC, VOV, HOR, DAT.
 * @customfunction COTACAO
 * @param ativo Código do ativo na B3, por exemplo "PETR4".
 * @param campo Campo no padrão RTD do Profit, por exemplo "ULT" (último), "OCP" (melhor compra), "OVD" (melhor venda). HOR e DAT são números de hora e data do Excel.
 * @param invocation Invocação de streaming (fornecida pelo Excel).
 * @returns Valor do campo, atualizado continuamente.
 */
export function cotacao(ativo: string, campo: CampoCotacao, invocation: CustomFunctions.StreamingInvocation<any>): void {
  const c = client();
  const symbol = text(ativo).toUpperCase();
  const field = findQuoteField(text(campo));
  if (!symbol) {
    invocation.setResult(toError(invalid('Informe o ativo, por exemplo "PETR4".')));
    return;
  }
  if (!field) {
    invocation.setResult(toError(invalid(`Campo "${text(campo)}" desconhecido. Use: ${QUOTE_FIELD_CODES.join(', ')}.`)));
    return;
  }
  let unknownSymbol = false;
  let tickSize: number | undefined;
  const handle = runStream<any>(c, invocation, {
    channels: [`quotes:${symbol}`],
    compute: ([view]) => {
      if (unknownSymbol) return invalid(`Ativo "${symbol}" desconhecido no BlackBox.`);
      const blocked = gate(c, view);
      if (blocked) return blocked;
      const v = field.get(view.data as QuoteView, tickSize);
      if (v === undefined) return na(`${symbol}: sem ${field.label.toLowerCase()} ainda.`);
      return value(v);
    },
  });
  c.cachedGet<InstrumentView[]>('/api/instruments', 5 * 60_000)
    .then((list) => {
      if (!Array.isArray(list) || list.length === 0) return;
      const inst = list.find((i) => i.symbol === symbol);
      if (!inst) unknownSymbol = true;
      else tickSize = inst.tickSize;
      handle.refresh();
    })
    .catch(() => undefined);
}

function orderPrice(v: number | undefined, o: OrderView, t?: TickSizes): Cell {
  return typeof v === 'number' && Number.isFinite(v) ? roundTo(v, priceDecimals(t?.get(o.symbol))) : '';
}

const ORDER_FIELDS: Record<string, (o: OrderView, labels?: Map<string, string>, ticks?: TickSizes) => Cell> = {
  STATUS: (o) => statusLabel(o.status),
  STATUS_CODIGO: (o) => o.status,
  MOTIVO: (o) => o.statusReason ?? '',
  ATIVO: (o) => o.symbol,
  LADO: (o) => sideLabel(o.side),
  CLIENTE: (o) => orderClientText(o),
  QUANTIDADE: (o) => o.qty,
  EXECUTADA: (o) => o.filledQty,
  RESTANTE: (o) => Math.max(0, o.qty - o.filledQty),
  PRECO_MEDIO: (o, _l, t) => (o.filledQty > 0 ? orderPrice(o.avgPrice, o, t) : ''),
  PRECO_LIMITE: (o, _l, t) => orderPrice(o.limitPrice, o, t),
  TIPO: (o, l) => l?.get(o.algo?.type) ?? o.algo?.type ?? '',
  PROGRESSO: (o) => (o.qty > 0 ? o.filledQty / o.qty : 0),
  CRIADA_EM: (o) => excelSerial(o.createdAt) ?? '',
  ATUALIZADA_EM: (o) => excelSerial(o.updatedAt) ?? '',
};
const ORDER_FIELD_ALIASES: Record<string, string> = {
  QTD: 'QUANTIDADE',
  QTDE: 'QUANTIDADE',
  EXEC: 'EXECUTADA',
  PM: 'PRECO_MEDIO',
  PRECO: 'PRECO_MEDIO',
  LIMITE: 'PRECO_LIMITE',
  ALGO: 'TIPO',
  CRIADA: 'CRIADA_EM',
};

/**
 * Um campo de uma ordem, ao vivo.
 * @customfunction ORDEM
 * @param id Identificador da ordem (como escrito pelo Enviar boletas).
 * @param campo STATUS, EXECUTADA, RESTANTE, PRECO_MEDIO, PRECO_LIMITE, QUANTIDADE, ATIVO, LADO, CLIENTE, TIPO, PROGRESSO, MOTIVO, CRIADA_EM, ATUALIZADA_EM (datas como números de data do Excel).
 * @param invocation Invocação de streaming (fornecida pelo Excel).
 * @returns Valor do campo, atualizado continuamente.
 */
export function ordem(id: string, campo: CampoOrdem, invocation: CustomFunctions.StreamingInvocation<any>): void {
  const c = client();
  const orderId = text(id);
  const key = fold(text(campo)).toUpperCase().replace(/[\s.-]+/g, '_');
  const fieldName = ORDER_FIELD_ALIASES[key] ?? key;
  const getter = ORDER_FIELDS[fieldName];
  if (!orderId) {
    invocation.setResult(toError(invalid('Informe o id da ordem.')));
    return;
  }
  if (!getter) {
    invocation.setResult(toError(invalid(`Campo "${text(campo)}" desconhecido. Use: ${Object.keys(ORDER_FIELDS).join(', ')}.`)));
    return;
  }
  let fetched: OrderView | undefined;
  let notFound = false;
  let fetching = false;
  const handle = runStream<any>(c, invocation, {
    channels: ['orders'],
    compute: ([view]): StreamOutcome<any> => {
      const blocked = gate(c, view);
      if (blocked) return blocked;
      const live = (view.data as OrderView[]).find((o) => o.id === orderId);
      const order = live ?? fetched;
      if (order) return value(getter(order, labels(c), ticks(c, () => handle.refresh())));
      if (notFound) return na(`Ordem ${orderId} não encontrada.`);
      if (!fetching) {
        // Not in the live blotter (older order): ask once; later changes arrive as deltas.
        fetching = true;
        c.request<OrderView>('GET', `/api/orders/${encodeURIComponent(orderId)}`)
          .then((o) => {
            fetched = o;
          })
          .catch((err: { status?: number }) => {
            if (err?.status === 404) notFound = true;
            else fetching = false;
          })
          .finally(() => handle.refresh());
      }
      return WAIT;
    },
  });
}

function toError(o: StreamOutcome<never>): CustomFunctions.Error {
  return o.kind === 'error' ? excelError(o.code, o.message) : excelError('value', 'Erro interno.');
}
