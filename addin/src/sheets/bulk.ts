/**
 * "Enviar boletas": read the selected range or table, validate every row (locally, then with the
 * bridge), preview, send the valid rows in one batch with per-row idempotency keys, and write each
 * row's order id, status or error beside it.
 */
import type { BatchRowResult, BoletaRequest, ClientView, InstrumentView } from '../../../common/types.js';
import { MAX_BATCH_ROWS } from '../../../common/schemas.js';
import type { AlgoDescriptor } from '../core/algos.js';
import { isBridgeError, type BridgeClient, type BridgeError } from '../core/bridge-client.js';
import { fmtQty, statusLabel } from '../core/format.js';
import { columnLetters, intersect, type Rect } from './a1.js';
import {
  COLUMN_LABELS,
  idempotencyKey,
  looksLikeHeader,
  newBatchId,
  parseBoletaRows,
  rowErrorsFromApi,
  type CellValue as ParseCell,
  type ParseResult,
  type ParsedRow,
  type RowError,
} from './boleta-rows.js';
import { parseTsv } from './tsv.js';
import type { CellValue, WorkbookPort } from './workbook-port.js';

export const BATCH_ID_PROPERTY = 'BlackBoxBatchId';
/** Rows above a selection searched for its header. */
const HEADER_SEARCH_ROWS = 50;

export type RowOutcome =
  | { kind: 'sent'; orderId: string; status: string; duplicate: boolean; reason?: string }
  | { kind: 'rejected'; errors: RowError[] }
  | { kind: 'not-sent'; message: string }
  | { kind: 'uncertain'; message: string };

export interface BoletaRow extends ParsedRow {
  key?: string;
  outcome?: RowOutcome;
}

export interface BoletaBatch {
  sheet: string;
  table?: string;
  /** Sheet row of the header, when there is one. */
  headerRow?: number;
  /** Data rows as read (sheet coordinates; all columns of the header span). */
  dataRect: Rect;
  /** Absolute sheet columns where id / status / message are written. */
  resultCols: [number, number, number];
  /** Header cells to write for the result columns (undefined when they already exist). */
  resultHeader?: { row: number; col: number };
  batchId: string;
  parse: ParseResult;
  rows: BoletaRow[];
  /** A warning from bridge-side validation (e.g. bridge unreachable). */
  validationWarning?: string;
}

export interface ReferenceData {
  algos: AlgoDescriptor[];
  instruments?: InstrumentView[];
  clients?: ClientView[];
}

export async function loadReferenceData(client: BridgeClient): Promise<ReferenceData> {
  const algos = await client.getAlgos();
  const [instruments, clients] = await Promise.all([
    client.cachedGet<InstrumentView[]>('/api/instruments', 5 * 60_000).catch(() => undefined),
    client.cachedGet<ClientView[]>('/api/clients', 30_000).catch(() => undefined),
  ]);
  return { algos, instruments, clients };
}

export class BulkError extends Error {}

async function batchIdFor(port: WorkbookPort, sheet: string): Promise<string> {
  const existing = await port.getSheetProperty(sheet, BATCH_ID_PROPERTY);
  if (existing) return existing;
  const id = newBatchId();
  await port.setSheetProperty(sheet, BATCH_ID_PROPERTY, id);
  return id;
}

/** Starts a new batch on the sheet: the same rows will get new keys (an intentional re-send). */
export async function renewBatchId(port: WorkbookPort, sheet: string): Promise<string> {
  const id = newBatchId();
  await port.setSheetProperty(sheet, BATCH_ID_PROPERTY, id);
  return id;
}

/** Reads the selection (or the table it lies in) and parses every row. */
export async function readBoletas(port: WorkbookPort, ref: ReferenceData): Promise<BoletaBatch> {
  const sel = await port.getSelection();
  let headerRow: number | undefined;
  let header: CellValue[];
  let data: Rect;
  let tableName: string | undefined;

  if (sel.table) {
    const t = sel.table;
    tableName = t.name;
    headerRow = t.top;
    header = (await port.readValues(sel.sheet, { top: t.top, left: t.left, rowCount: 1, colCount: t.colCount }))[0] ?? [];
    const body: Rect = { top: t.top + 1, left: t.left, rowCount: t.rowCount - 1, colCount: t.colCount };
    const picked = intersect(body, sel);
    // A single cell or the header selected = the whole table; otherwise the selected body rows.
    const whole = !picked || (sel.rowCount === 1 && sel.colCount === 1) || sel.top <= t.top;
    data = whole ? body : { top: picked.top, left: t.left, rowCount: picked.rowCount, colCount: t.colCount };
  } else {
    if (sel.rowCount === 1 && sel.colCount === 1) {
      throw new BulkError('Selecione as linhas das boletas com o cabeçalho (Cliente, Ativo, Lado, Quantidade…), ou clique dentro da tabela de boletas.');
    }
    // Whole columns (A:K) or rows: keep to the used part of the sheet.
    const used = await port.getUsedRect(sel.sheet);
    const area = used ? intersect(sel, used) : undefined;
    if (!area) throw new BulkError('A seleção está vazia.');
    const values = await port.readValues(sel.sheet, { ...area, rowCount: Math.min(area.rowCount, 1) });
    if (looksLikeHeader(values[0] ?? [], ref.algos)) {
      headerRow = area.top;
      header = values[0]!;
      data = { top: area.top + 1, left: area.left, rowCount: area.rowCount - 1, colCount: area.colCount };
    } else {
      // The header may sit above the selected rows: search the rows just above, then the top of the sheet.
      const from = Math.max(0, area.top - HEADER_SEARCH_ROWS);
      let headerAt: number | undefined;
      let headerValues: CellValue[] | undefined;
      const above = area.top > from ? await port.readValues(sel.sheet, { top: from, left: area.left, rowCount: area.top - from, colCount: area.colCount }) : [];
      for (let i = above.length - 1; i >= 0 && headerAt === undefined; i--) {
        if (looksLikeHeader(above[i]!, ref.algos)) {
          headerAt = from + i;
          headerValues = above[i]!;
        }
      }
      if (headerAt === undefined && from > 0) {
        const top = await port.readValues(sel.sheet, { top: 0, left: area.left, rowCount: Math.min(5, from), colCount: area.colCount });
        for (let i = 0; i < top.length && headerAt === undefined; i++) {
          if (looksLikeHeader(top[i]!, ref.algos)) {
            headerAt = i;
            headerValues = top[i]!;
          }
        }
      }
      if (headerAt === undefined || !headerValues) {
        throw new BulkError('Não encontrei o cabeçalho (Cliente, Ativo, Lado, Quantidade…) acima da seleção. Selecione também a linha de cabeçalho.');
      }
      headerRow = headerAt;
      header = headerValues;
      data = area;
    }
  }

  if (data.rowCount <= 0) throw new BulkError('Não há linhas de boletas abaixo do cabeçalho.');
  if (data.rowCount > MAX_BATCH_ROWS) {
    throw new BulkError(`São ${fmtQty(data.rowCount)} linhas; envie no máximo ${fmtQty(MAX_BATCH_ROWS)} por vez (divida a seleção).`);
  }

  const [values, merged, batchId] = await Promise.all([
    port.readValues(sel.sheet, data),
    port.readMergedAreas(sel.sheet, headerRow !== undefined ? { ...data, top: headerRow, rowCount: data.rowCount + (data.top - headerRow) } : data),
    batchIdFor(port, sel.sheet),
  ]);
  const parse = parseBoletaRows(
    { header: header as ParseCell[], rows: values as ParseCell[][], firstSheetRow: data.top, firstSheetCol: data.left, merged },
    ref,
  );

  // Result columns: the ones in the header, else right after the data.
  const r = parse.columns.result;
  let resultCols: [number, number, number];
  let resultHeader: BoletaBatch['resultHeader'];
  if (r.orderId !== undefined && r.status !== undefined && r.message !== undefined) {
    resultCols = [data.left + r.orderId, data.left + r.status, data.left + r.message];
  } else {
    const next = data.left + data.colCount;
    resultCols = [next, next + 1, next + 2];
    if (headerRow !== undefined) resultHeader = { row: headerRow, col: next };
  }

  return { sheet: sel.sheet, table: tableName, headerRow, dataRect: data, resultCols, resultHeader, batchId, parse, rows: withKeys(parse, batchId) };
}

function withKeys(parse: ParseResult, batchId: string): BoletaRow[] {
  return parse.rows.map((row) => {
    if (row.state !== 'valid' || !row.request) return row;
    const key = idempotencyKey(batchId, row.sheetRow, row.request);
    return { ...row, key, request: { ...row.request, idempotencyKey: key } };
  });
}

/**
 * Browser mode: rows pasted from a spreadsheet (header included). The batch id belongs to the
 * paste session, so sending the same text twice re-uses the keys.
 */
export function batchFromPastedText(text: string, ref: ReferenceData, batchId: string): BoletaBatch {
  const all = parseTsv(text);
  const headerIdx = all.findIndex((r) => looksLikeHeader(r, ref.algos));
  if (headerIdx < 0) throw new BulkError('Cole as linhas com o cabeçalho (Cliente, Ativo, Lado, Quantidade…).');
  const header = all[headerIdx]!;
  const rows = all.slice(headerIdx + 1);
  while (rows.length && rows[rows.length - 1]!.every((c) => c.trim() === '')) rows.pop();
  if (rows.length === 0) throw new BulkError('Não há linhas de boletas abaixo do cabeçalho.');
  if (rows.length > MAX_BATCH_ROWS) throw new BulkError(`São ${fmtQty(rows.length)} linhas; envie no máximo ${fmtQty(MAX_BATCH_ROWS)} por vez.`);
  const width = Math.max(header.length, ...rows.map((r) => r.length));
  const parse = parseBoletaRows({ header, rows, firstSheetRow: headerIdx + 1 }, ref);
  return {
    sheet: '(colagem)',
    headerRow: headerIdx,
    dataRect: { top: headerIdx + 1, left: 0, rowCount: rows.length, colCount: width },
    resultCols: [width, width + 1, width + 2],
    batchId,
    parse,
    rows: withKeys(parse, batchId),
  };
}

/** Asks the bridge to validate the locally valid rows (nothing is sent). Marks rows it refuses. */
export async function validateWithBridge(client: BridgeClient, batch: BoletaBatch, ref: ReferenceData): Promise<BoletaBatch> {
  const candidates = batch.rows.filter((r) => r.state === 'valid' && r.request);
  if (candidates.length === 0) return batch;
  let results: BatchRowResult[];
  try {
    const res = await client.request<{ results: BatchRowResult[] }>(
      'POST',
      '/api/orders/batch/validate',
      { rows: candidates.map((r) => r.request!) },
      { timeoutMs: 30_000 },
    );
    results = res?.results ?? [];
  } catch (err) {
    return { ...batch, validationWarning: `Validação no BlackBox indisponível: ${(err as Error).message}` };
  }
  const byRow = new Map<number, BatchRowResult>();
  candidates.forEach((r, i) => {
    const res = results[i];
    if (res) byRow.set(r.sheetRow, res);
  });
  const rows = batch.rows.map((row): BoletaRow => {
    const res = byRow.get(row.sheetRow);
    if (!res || res.ok) return row;
    return { ...row, state: 'invalid', errors: [...row.errors, ...rowErrorsFromApi(res.errors, batch.parse.columns, ref.algos)] };
  });
  return { ...batch, rows, validationWarning: undefined };
}

export interface SendSummary {
  sent: number;
  duplicates: number;
  rejected: number;
  notSent: number;
  uncertain: number;
  message: string;
}

/** Sheet rows (1-based, as the user sees them) of valid rows that repeat another valid row. */
export function duplicateRows(batch: BoletaBatch): number[] {
  return batch.rows.filter((r) => r.state === 'valid' && r.duplicateOf?.length).map((r) => r.sheetRow + 1);
}

/**
 * Sends the valid rows in one batch. With allOrNothing, any invalid row stops the whole batch
 * before anything leaves (and the bridge is asked to be atomic too). Identical rows (each has its
 * own idempotency key, so the bridge would take them all) go only with `confirmDuplicates`.
 */
export async function sendBatch(
  client: BridgeClient,
  batch: BoletaBatch,
  ref: ReferenceData,
  opts: { allOrNothing: boolean; confirmDuplicates?: boolean },
): Promise<{ batch: BoletaBatch; summary: SendSummary }> {
  const invalid = batch.rows.filter((r) => r.state === 'invalid');
  const toSend = batch.rows.filter((r) => r.state === 'valid' && r.request);
  const outcomes = new Map<number, RowOutcome>();
  const repeated = duplicateRows(batch);
  if (repeated.length > 0 && !opts.confirmDuplicates) {
    const message = `Nada foi enviado: as linhas ${repeated.join(', ')} são iguais (cliente, ativo, lado, quantidade e preço). Confirme que são ordens distintas ou apague as repetidas.`;
    for (const r of toSend) outcomes.set(r.sheetRow, { kind: 'not-sent', message });
    return finish(batch, outcomes, message);
  }
  if (opts.allOrNothing && invalid.length > 0) {
    const message = `Tudo ou nada: nada foi enviado porque ${invalid.length} linha(s) têm erro.`;
    for (const r of toSend) outcomes.set(r.sheetRow, { kind: 'not-sent', message });
    return finish(batch, outcomes, message);
  }
  if (toSend.length === 0) return finish(batch, outcomes, 'Nenhuma linha válida para enviar.');

  const body: { rows: BoletaRequest[]; allOrNothing?: boolean } = { rows: toSend.map((r) => r.request!) };
  if (opts.allOrNothing) body.allOrNothing = true;
  try {
    const res = await client.request<{ results: BatchRowResult[] }>('POST', '/api/orders/batch', body, { timeoutMs: 60_000 });
    const results = res?.results ?? [];
    toSend.forEach((row, i) => {
      const r = results[i];
      if (!r) {
        outcomes.set(row.sheetRow, { kind: 'uncertain', message: 'O BlackBox não devolveu resultado para esta linha; confira em Ordens.' });
      } else if (r.ok) {
        outcomes.set(row.sheetRow, {
          kind: 'sent',
          orderId: r.order.id,
          status: r.order.status,
          duplicate: r.duplicate === true,
          reason: r.order.statusReason,
        });
      } else {
        outcomes.set(row.sheetRow, { kind: 'rejected', errors: rowErrorsFromApi(r.errors, batch.parse.columns, ref.algos) });
      }
    });
  } catch (err) {
    const e = err as BridgeError;
    if (isBridgeError(e) && e.status !== 0 && e.status !== 401 && e.status !== 403 && e.errors.length > 0) {
      const errors = rowErrorsFromApi(e.errors, batch.parse.columns, ref.algos);
      for (const r of toSend) outcomes.set(r.sheetRow, { kind: 'rejected', errors });
    } else if (isBridgeError(e) && e.status !== 0) {
      for (const r of toSend) outcomes.set(r.sheetRow, { kind: 'not-sent', message: e.message });
    } else {
      const message = `${e.message} O envio pode ou não ter chegado: confira em Ordens. Reenviar é seguro (mesmas chaves, nenhuma ordem duplicada).`;
      for (const r of toSend) outcomes.set(r.sheetRow, { kind: 'uncertain', message });
    }
  }
  return finish(batch, outcomes);
}

function finish(batch: BoletaBatch, outcomes: Map<number, RowOutcome>, headline?: string): { batch: BoletaBatch; summary: SendSummary } {
  const rows = batch.rows.map((r): BoletaRow => (outcomes.has(r.sheetRow) ? { ...r, outcome: outcomes.get(r.sheetRow) } : r));
  const s: SendSummary = { sent: 0, duplicates: 0, rejected: 0, notSent: 0, uncertain: 0, message: '' };
  for (const o of outcomes.values()) {
    if (o.kind === 'sent') o.duplicate ? s.duplicates++ : s.sent++;
    else if (o.kind === 'rejected') s.rejected++;
    else if (o.kind === 'not-sent') s.notSent++;
    else s.uncertain++;
  }
  const invalid = rows.filter((r) => r.state === 'invalid').length;
  const parts: string[] = [];
  if (s.sent) parts.push(`${s.sent} enviada(s)`);
  if (s.duplicates) parts.push(`${s.duplicates} já enviada(s) antes (nenhuma ordem nova)`);
  if (s.rejected) parts.push(`${s.rejected} recusada(s) pelo BlackBox`);
  if (invalid) parts.push(`${invalid} com erro na planilha`);
  if (s.uncertain) parts.push(`${s.uncertain} sem confirmação`);
  if (s.notSent) parts.push(`${s.notSent} não enviada(s)`);
  s.message = headline ?? (parts.join(', ') || 'Nada a enviar.');
  return { batch: { ...batch, rows }, summary: s };
}

function joinErrors(errors: readonly RowError[]): string {
  return errors.map((e) => e.message).join('; ');
}

/** The three result cells of a row (null = leave the cell as it is). */
export function resultCells(row: BoletaRow): [CellValue | null, CellValue | null, CellValue | null] {
  if (row.state === 'empty' || row.state === 'sent') return [null, null, null];
  const o = row.outcome;
  if (o?.kind === 'sent') {
    const msg = o.duplicate ? 'Já enviada antes (mesma chave): nenhuma ordem nova.' : (o.reason ?? '');
    return [o.orderId, statusLabel(o.status), msg];
  }
  if (o?.kind === 'rejected') return ['', 'Recusada', joinErrors(o.errors)];
  if (o?.kind === 'uncertain') return ['', 'Sem confirmação', o.message];
  if (o?.kind === 'not-sent') return ['', 'Não enviada', o.message];
  if (row.state === 'invalid') return ['', 'Erro', joinErrors(row.errors)];
  return [null, null, null];
}

/** Writes id / status / message beside every row that was part of the send, in one block. */
export async function writeBack(port: WorkbookPort, batch: BoletaBatch): Promise<void> {
  const rows = batch.rows;
  if (rows.length === 0) return;
  const [c0, c1, c2] = batch.resultCols;
  const contiguous = c1 === c0 + 1 && c2 === c0 + 2;
  if (batch.resultHeader) {
    await port.writeValues(batch.sheet, batch.resultHeader.row, batch.resultHeader.col, [
      [COLUMN_LABELS.orderId, COLUMN_LABELS.status, COLUMN_LABELS.message],
    ]);
  }
  const first = rows[0]!.sheetRow;
  const cells = rows.map(resultCells);
  if (contiguous) {
    await port.writeValues(batch.sheet, first, c0, cells);
  } else {
    for (const [i, col] of [c0, c1, c2].entries()) {
      await port.writeValues(batch.sheet, first, col, cells.map((c) => [c[i] ?? null]));
    }
  }
}

/** "Linha 12" / column letter helpers for the preview. */
export function rowLabel(sheetRow: number): string {
  return `Linha ${sheetRow + 1}`;
}

export function resultColumnsText(batch: BoletaBatch): string {
  return batch.resultCols.map(columnLetters).join(', ');
}
