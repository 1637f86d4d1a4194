/**
 * The add-in side of the market database: multipart upload of Profit files (the JSON client does not
 * carry files), candles as an Excel table (dates as Excel serials in São Paulo time), chart times.
 */
import { DateTime } from 'luxon';
import type { CandleRow, ImportJobView } from '../../../common/marketdata.js';
import { BridgeError, type BridgeClient } from './bridge-client.js';

const ZONE = 'America/Sao_Paulo';
const UPLOAD_TIMEOUT_MS = 10 * 60_000;

/** Sends the files in one multipart request; the bridge answers with one job per accepted file. */
export async function uploadProfitFiles(client: BridgeClient, files: File[]): Promise<{ jobs: ImportJobView[]; errors: Array<{ field: string; message: string }> }> {
  const { url, token } = client.config;
  if (!token) throw new BridgeError('Token do BlackBox não configurado (Configurações).', 401);
  const form = new FormData();
  for (const f of files) form.append('file', f, f.name);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), UPLOAD_TIMEOUT_MS);
  let res: Response;
  try {
    res = await fetch(new URL('/api/import', url).toString(), { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form, signal: controller.signal });
  } catch (e) {
    throw new BridgeError(`Não consegui enviar os arquivos ao BlackBox: ${(e as Error).message}`, 0);
  } finally {
    clearTimeout(timer);
  }
  const body = (await res.json().catch(() => ({}))) as { jobs?: ImportJobView[]; errors?: Array<{ field: string; message: string }> };
  if (!res.ok && !body.jobs?.length) throw new BridgeError(body.errors?.map((e) => e.message).join('; ') || `Erro ${res.status} ao enviar os arquivos.`, res.status);
  return { jobs: body.jobs ?? [], errors: body.errors ?? [] };
}

/** Excel date serial (days since 1899-12-30) of an instant, as the São Paulo wall clock shows it. */
export function excelSerial(iso: string): number {
  const d = DateTime.fromISO(iso, { zone: ZONE });
  return (d.toMillis() + d.offset * 60_000) / 86_400_000 + 25_569;
}

/** Chart time (seconds) that lightweight-charts, which draws UTC, shows as São Paulo time. */
export function chartTime(iso: string): number {
  const d = DateTime.fromISO(iso, { zone: ZONE });
  return Math.floor((d.toMillis() + d.offset * 60_000) / 1000);
}

export const CANDLE_SHEET_HEADER = ['Data', 'Abertura', 'Máxima', 'Mínima', 'Fechamento', 'Volume (R$)', 'Quantidade', 'Negócios'];
export const CANDLE_SHEET_FORMATS = ['dd/mm/yyyy hh:mm', '#,##0.00', '#,##0.00', '#,##0.00', '#,##0.00', '#,##0.00', '#,##0', '#,##0'];

export function candleSheetRows(rows: CandleRow[]): Array<Array<number>> {
  return rows.map((c) => [excelSerial(c.t), c.open, c.high, c.low, c.close, c.volume, c.qty, c.trades]);
}

/** A table name Excel accepts: letters, digits and underscores. */
export function candleTableName(symbol: string, interval: string): string {
  return `BBDados_${symbol}_${interval}`.replace(/[^A-Za-z0-9_]/g, '_');
}

const STAGE: Record<ImportJobView['state'], number> = { queued: 0, running: 1, done: 2, failed: 2, cancelled: 2 };

/**
 * Merges a snapshot (array) or a delta (one job) of the `imports` channel, or an HTTP answer, into the
 * known jobs. A small file can finish before the upload's answer arrives: a view never goes back to
 * an earlier stage.
 */
export function mergeJobs(known: Map<string, ImportJobView>, data: unknown): Map<string, ImportJobView> {
  const next = new Map(known);
  for (const j of (Array.isArray(data) ? data : [data]) as ImportJobView[]) {
    if (!j || typeof j.id !== 'string') continue;
    const old = next.get(j.id);
    if (!old || STAGE[j.state] >= STAGE[old.state]) next.set(j.id, j);
  }
  return next;
}
