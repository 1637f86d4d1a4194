/**
 * The market database over HTTP (PRODUCT.md §4): coverage, candles, deletion, volume profiles under
 * /api/marketdata; Profit file uploads (multipart, streamed to disk by busboy, never held in memory),
 * job list, cancel and ProfitDLL history downloads under /api/import. Progress goes out on the
 * `imports` WebSocket channel.
 */
import busboy from 'busboy';
import type { Request, Response, Router, NextFunction } from 'express';
import { createWriteStream, rmSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CANDLE_INTERVALS, type CandleRow, type ImportJobView } from '../../common/marketdata.js';
import type { ApiErrorItem } from '../../common/types.js';
import { InvalidDateError, saoPauloDate, saoPauloDayOf } from '../calendar/iso-date.js';
import { coverage } from '../marketdata/coverage.js';
import { QueueFullError, type ImportService } from '../marketdata/import/import-service.js';
import type { Role } from './auth.js';

export interface RouteHelpers {
  need(role: Role): (req: Request, res: Response, next: NextFunction) => void;
  fail(res: Response, status: number, errors: ApiErrorItem[]): void;
  parse<T>(schema: z.ZodType<T>, value: unknown, res: Response): T | undefined;
  actorOf(res: Response): string;
  audit(entry: { actor: string; role: string; action: string; target?: string; details?: unknown }): void;
}

const MAX_FILES_PER_UPLOAD = 20;
const MAX_CANDLES_PER_REQUEST = 100_000;
const SERIES_INTERVALS = [...CANDLE_INTERVALS, 'trades'] as const;
const symbolSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9$@_.]{0,19}$/, 'ativo inválido').transform((s) => s.toUpperCase());
/** `AAAA-MM-DD` (a São Paulo date: the whole day) or an ISO instant. */
const whenSchema = z.string().max(40).refine((s) => parseWhen(s, 'from') !== undefined, 'use AAAA-MM-DD ou um instante ISO 8601');

function parseWhen(s: string, edge: 'from' | 'to'): number | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    try {
      const day = saoPauloDayOf(s);
      return edge === 'from' ? day.startMs : day.endMs;
    } catch (e) {
      if (e instanceof InvalidDateError) return undefined;
      throw e;
    }
  }
  const ms = Date.parse(s);
  if (!Number.isFinite(ms) || !/[zZ]|[+-]\d\d:?\d\d$/.test(s)) return undefined;
  return edge === 'to' ? ms + 1 : ms;
}

function fmtSize(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1).replace('.', ',')} GB`;
  if (bytes >= 1024 ** 2) return `${Math.round(bytes / 1024 ** 2)} MB`;
  return `${Math.round(bytes / 1024)} KB`;
}

const rangeQuery = z.strictObject({ symbol: symbolSchema, interval: z.enum(SERIES_INTERVALS), from: whenSchema, to: whenSchema });
const profileQuery = z.strictObject({ symbol: symbolSchema, sessions: z.coerce.number().int().min(1).max(250).optional() });
const historyBody = z.strictObject({ symbol: symbolSchema, from: whenSchema, to: whenSchema });
const uploadQuery = z.strictObject({ interval: z.enum(CANDLE_INTERVALS).optional() });

export function mountMarketDataRoutes(api: Router, svc: ImportService, h: RouteHelpers): void {
  const range = (q: z.infer<typeof rangeQuery>, res: Response) => {
    const fromMs = parseWhen(q.from, 'from')!;
    const toMs = parseWhen(q.to, 'to')!;
    if (toMs <= fromMs) {
      h.fail(res, 422, [{ field: 'to', code: 'invalid_range', message: 'o fim deve ser depois do início' }]);
      return undefined;
    }
    return { fromMs, toMs };
  };

  api.get('/marketdata/coverage', (_req, res) => {
    res.json(coverage(svc.db));
  });

  api.get('/marketdata/candles', (req, res) => {
    const q = h.parse(rangeQuery, req.query, res);
    if (!q) return;
    if (q.interval === 'trades') return h.fail(res, 422, [{ field: 'interval', code: 'not_candles', message: 'negócios não são velas: escolha um intervalo (1m, 5m, …, 1d)' }]);
    const r = range(q, res);
    if (!r) return;
    const rows = svc.db.candles(q.symbol, q.interval, r.fromMs, r.toMs, MAX_CANDLES_PER_REQUEST + 1);
    if (rows.length > MAX_CANDLES_PER_REQUEST) {
      return h.fail(res, 422, [{ field: 'from', code: 'too_many_rows', message: `mais de ${MAX_CANDLES_PER_REQUEST} velas no intervalo: peça um período menor` }]);
    }
    const out: CandleRow[] = rows.map((c) => ({
      t: new Date(c.startMs).toISOString(),
      open: c.openH / 100,
      high: c.highH / 100,
      low: c.lowH / 100,
      close: c.closeH / 100,
      volume: c.volumeCentavos / 100,
      qty: c.qty,
      trades: c.trades ?? 0,
    }));
    res.json(out);
  });

  api.post('/marketdata/delete', h.need('trader'), async (req, res) => {
    const b = h.parse(rangeQuery, req.body, res);
    if (!b) return;
    const r = range(b, res);
    if (!r) return;
    if (svc.db.find(b.symbol, b.interval) === undefined) return h.fail(res, 404, [{ field: 'symbol', code: 'not_found', message: `nada guardado de ${b.symbol} ${b.interval}` }]);
    const rows = await svc.deleteRange(b.symbol, b.interval, r.fromMs, r.toMs, saoPauloDate(r.fromMs), saoPauloDate(r.toMs - 1));
    h.audit({ actor: h.actorOf(res), role: 'trader', action: 'marketdata.delete', target: `${b.symbol} ${b.interval}`, details: { from: b.from, to: b.to, rows } });
    res.json({ deleted: rows });
  });

  api.get('/marketdata/volume-profile', (req, res) => {
    const q = h.parse(profileQuery, req.query, res);
    if (!q) return;
    const p = svc.profiles.volumeProfile(q.symbol, q.sessions);
    if (!p) return h.fail(res, 404, [{ field: 'symbol', code: 'no_data', message: `sem velas de 1 ou 5 min nem negócios de ${q.symbol} na base` }]);
    res.json(p);
  });

  api.get('/import', (_req, res) => {
    res.json({ jobs: svc.list(), historyAvailable: svc.historyAvailable, maxFileBytes: svc.maxFileBytes });
  });

  api.get('/import/:id', (req, res) => {
    const j = svc.get(String(req.params.id));
    if (!j) return h.fail(res, 404, [{ field: 'id', code: 'not_found', message: `importação não encontrada: ${req.params.id}` }]);
    res.json(j);
  });

  api.post('/import/:id/cancel', h.need('trader'), (req, res) => {
    const j = svc.cancel(String(req.params.id));
    if (!j) return h.fail(res, 404, [{ field: 'id', code: 'not_found', message: `importação não encontrada: ${req.params.id}` }]);
    res.json(j);
  });

  api.post('/import/history', h.need('trader'), (req, res) => {
    const b = h.parse(historyBody, req.body, res);
    if (!b) return;
    if (!svc.historyAvailable) return h.fail(res, 409, [{ field: 'broker', code: 'no_history', message: 'histórico direto só com a corretora profitdll (blackbox start --broker profitdll)' }]);
    const fromMs = parseWhen(b.from, 'from')!;
    const toMs = parseWhen(b.to, 'to')! - 1;
    if (toMs < fromMs) return h.fail(res, 422, [{ field: 'to', code: 'invalid_range', message: 'o fim deve ser depois do início' }]);
    try {
      res.status(202).json(svc.downloadHistory(b.symbol, fromMs, toMs, `${b.symbol} ${b.from}…${b.to}`));
    } catch (e) {
      h.fail(res, e instanceof QueueFullError ? 429 : 409, [{ field: 'symbol', code: 'refused', message: (e as Error).message }]);
    }
  });

  api.post('/import', h.need('trader'), (req, res) => {
    const q = h.parse(uploadQuery, req.query, res);
    if (!q) return;
    if (!String(req.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
      return h.fail(res, 415, [{ field: '(body)', code: 'multipart_required', message: 'envie os arquivos como multipart/form-data (campo file)' }]);
    }
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: { files: MAX_FILES_PER_UPLOAD, fileSize: svc.maxFileBytes, fields: 0 } });
    } catch (e) {
      return h.fail(res, 400, [{ field: '(body)', code: 'bad_multipart', message: `multipart inválido: ${(e as Error).message}` }]);
    }
    const accepted: ImportJobView[] = [];
    const errors: ApiErrorItem[] = [];
    const writes: Promise<void>[] = [];
    const received: Array<{ temp: string; label: string; bytes: number } | undefined> = [];
    let index = 0;
    bb.on('file', (_field, stream, info) => {
      const i = index++;
      const label = path.basename(info.filename || `arquivo-${i + 1}.csv`).slice(0, 200);
      const temp = svc.tempPath();
      const out = createWriteStream(temp, { mode: 0o600 });
      let bytes = 0;
      stream.on('data', (c: Buffer) => (bytes += c.length));
      writes.push(
        new Promise<void>((resolve) => {
          const drop = (message: string) => {
            errors.push({ field: `files[${i}]`, code: 'refused', message: `${label}: ${message}` });
            // The temp file may still be opening: remove it once the stream has closed.
            if (out.closed) {
              rmSync(temp, { force: true });
              resolve();
            } else {
              out.once('close', () => {
                rmSync(temp, { force: true });
                resolve();
              });
              out.destroy();
            }
          };
          stream.on('limit', () => {
            stream.unpipe(out);
            stream.resume();
            drop(`acima do limite de ${fmtSize(svc.maxFileBytes)} por arquivo: exporte do Profit em períodos menores`);
          });
          out.on('error', (e) => drop(`não consegui gravar o envio: ${e.message}`));
          out.on('finish', () => {
            if ((stream as { truncated?: boolean }).truncated) return;
            received[i] = { temp, label, bytes };
            resolve();
          });
          stream.pipe(out);
        }),
      );
    });
    bb.on('filesLimit', () => errors.push({ field: 'files', code: 'too_many_files', message: `no máximo ${MAX_FILES_PER_UPLOAD} arquivos por envio` }));
    bb.on('error', (e) => {
      if (!res.headersSent) h.fail(res, 400, [{ field: '(body)', code: 'bad_multipart', message: `envio interrompido: ${(e as Error).message}` }]);
    });
    bb.on('close', async () => {
      await Promise.all(writes);
      // Queued in the order the files were sent, once all of them are on disk.
      received.forEach((f, i) => {
        if (!f) return;
        try {
          accepted.push(svc.importFile(f.temp, f.label, f.bytes, q.interval));
        } catch (e) {
          rmSync(f.temp, { force: true });
          errors.push({ field: `files[${i}]`, code: 'refused', message: `${f.label}: ${(e as Error).message}` });
        }
      });
      if (res.headersSent) return;
      if (accepted.length === 0 && errors.length === 0) return h.fail(res, 422, [{ field: 'file', code: 'required', message: 'nenhum arquivo no envio (campo file)' }]);
      h.audit({ actor: h.actorOf(res), role: 'trader', action: 'marketdata.import', details: { files: accepted.map((j) => j.label) } });
      res.status(accepted.length ? 202 : 422).json({ jobs: accepted, errors });
    });
    req.pipe(bb);
  });
}
