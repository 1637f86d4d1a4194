/// <reference types="custom-functions-runtime" />
/**
 * Streaming machinery for the custom functions: each invocation listens to bridge channels, and
 * on every change recomputes its value from the client's current state (pull, latest wins),
 * at most once per `minIntervalMs` (leading + trailing edge). Identical values are not re-sent.
 * Disconnected or stale data becomes #N/A with a message, never a frozen number shown as live; a
 * spilled blotter keeps its last rows instead and says in its header that they are not live.
 */
import type { BridgeClient, ChannelView } from '../core/bridge-client.js';
import { fmtTime } from '../core/format.js';

/** A result computed from the client state. */
export type StreamOutcome<T> =
  | { kind: 'value'; value: T }
  /** Not ready yet: keep whatever the cell shows (Excel shows #BUSY! before the first result). */
  | { kind: 'wait' }
  /** `outage`: the data cannot be live right now (bridge unreachable, channel stale), as opposed to a bad argument. */
  | { kind: 'error'; code: 'na' | 'value'; message: string; outage?: boolean };

export interface StreamSink<T> {
  setResult(value: T | CustomFunctions.Error): void;
  onCanceled?: () => void;
}

export interface StreamSpec<T> {
  channels: string[];
  compute(views: ChannelView[]): StreamOutcome<T>;
  minIntervalMs?: number;
}

export const DEFAULT_MIN_INTERVAL_MS = 400;

export function value<T>(v: T): StreamOutcome<T> {
  return { kind: 'value', value: v };
}
export function na(message: string): StreamOutcome<never> {
  return { kind: 'error', code: 'na', message };
}
export function invalid(message: string): StreamOutcome<never> {
  return { kind: 'error', code: 'value', message };
}
export function outage(message: string): StreamOutcome<never> {
  return { kind: 'error', code: 'na', message, outage: true };
}
export const WAIT: StreamOutcome<never> = { kind: 'wait' };

/** Builds the Excel error (CustomFunctions.Error exists inside Excel; tests provide a stand-in). */
export function excelError(code: 'na' | 'value', message: string): CustomFunctions.Error {
  const CF = (globalThis as { CustomFunctions?: typeof CustomFunctions }).CustomFunctions;
  const ErrorCode = CF?.ErrorCode;
  const ErrorCtor = CF?.Error;
  const c = code === 'na' ? (ErrorCode?.notAvailable ?? '#N/A') : (ErrorCode?.invalidValue ?? '#VALUE!');
  // Excel limits the message length shown in the error tooltip; keep it short and readable.
  const text = message.length > 250 ? `${message.slice(0, 247)}...` : message;
  if (typeof ErrorCtor === 'function') return new ErrorCtor(c as CustomFunctions.ErrorCode, text);
  return { code: c, message: text } as unknown as CustomFunctions.Error;
}

/** Connection-level reason why data cannot be shown as live, or undefined when it can. */
export function connectionProblem(client: BridgeClient): string | undefined {
  const c = client.connection;
  switch (c.state) {
    case 'open':
    case 'connecting': // first attempt: let the channel say whether there is data (Excel shows #BUSY!)
      return undefined;
    case 'no-token':
      return 'BlackBox sem token: abra o painel BlackBox e cole o token em Configurações.';
    case 'unauthorized':
      return 'Token do BlackBox recusado: confira-o no painel BlackBox.';
    default:
      return 'BlackBox desconectado: reconectando…';
  }
}

/**
 * Standard gatekeeping for a channel view: disconnected or stale → #N/A; refused → #VALUE!;
 * no data yet → wait. Returns undefined when the data is live and may be used.
 */
export function gate(client: BridgeClient, view: ChannelView): StreamOutcome<never> | undefined {
  const problem = connectionProblem(client);
  if (problem) return outage(problem);
  if (view.status === 'error') return invalid(view.error ?? `Canal ${view.name} recusado pelo BlackBox.`);
  if (view.status === 'stale') return outage('Dados desatualizados: aguardando novo retrato do BlackBox.');
  if (view.status === 'loading' || view.data === undefined) return WAIT;
  return undefined;
}

export type Table = Array<Array<string | number | boolean>>;

/**
 * For spilled blotters (header row + rows): during an outage, keep the last rows, so =SOMA(A2#)
 * and charts on the spill keep working, and mark the first header cell "⚠ DESATUALIZADO desde
 * hh:mm:ss (why)". #N/A only when there never was a value. `now` is injectable for tests.
 */
export function keepLastOnOutage(compute: StreamSpec<Table>['compute'], now: () => number = Date.now): StreamSpec<Table>['compute'] {
  let last: { table: Table; atMs: number } | undefined;
  return (views) => {
    const o = compute(views);
    if (o.kind === 'value') last = { table: o.value, atMs: now() };
    if (o.kind !== 'error' || !o.outage || !last) return o;
    return value(staleTable(last.table, o.message, last.atMs));
  };
}

export const STALE_MARK = '⚠ DESATUALIZADO';

export function staleTable(table: Table, reason: string, sinceMs: number): Table {
  const [header = [], ...rows] = table;
  const first = `${STALE_MARK} desde ${fmtTime(new Date(sinceMs).toISOString())} (${reason}) · ${String(header[0] ?? '')}`;
  return [[first, ...header.slice(1)], ...rows];
}

/**
 * Runs one stream until Excel cancels it. `cancel` is also installed as `invocation.onCanceled`;
 * cancelling twice, or after the successor started, is harmless. `refresh` recomputes (for state
 * the stream keeps outside the channels, such as a REST lookup that just finished).
 */
export interface StreamHandle {
  cancel(): void;
  refresh(): void;
}

export function runStream<T>(client: BridgeClient, sink: StreamSink<T>, spec: StreamSpec<T>): StreamHandle {
  const minInterval = spec.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
  let canceled = false;
  let lastEmitAt = -Infinity;
  let lastKey: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const unsubs: Array<() => void> = [];

  const emit = () => {
    timer = undefined;
    if (canceled) return;
    let outcome: StreamOutcome<T>;
    try {
      outcome = spec.compute(spec.channels.map((c) => client.channel(c)));
    } catch (err) {
      outcome = invalid(`Erro ao calcular: ${(err as Error).message}`);
    }
    if (outcome.kind === 'wait') return;
    const key = outcome.kind === 'value' ? `v:${safeKey(outcome.value)}` : `e:${outcome.code}:${outcome.message}`;
    if (key === lastKey) return;
    lastKey = key;
    lastEmitAt = Date.now();
    sink.setResult(outcome.kind === 'value' ? outcome.value : excelError(outcome.code, outcome.message));
  };

  const schedule = () => {
    if (canceled || timer) return;
    const wait = lastEmitAt + minInterval - Date.now();
    if (wait <= 0) emit();
    else timer = setTimeout(emit, wait);
  };

  const cancel = () => {
    if (canceled) return;
    canceled = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
    unsubConn();
    for (const u of unsubs.splice(0)) u();
  };

  const unsubConn = client.onConnection(() => schedule());
  for (const c of spec.channels) unsubs.push(client.subscribe(c, () => schedule()));
  sink.onCanceled = cancel;
  schedule();
  return { cancel, refresh: schedule };
}

function safeKey(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(Math.random());
  }
}
