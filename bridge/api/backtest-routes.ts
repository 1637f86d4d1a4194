/**
 * Strategies, backtests and sweeps over HTTP (PRODUCT.md §4): the strategy catalogue, runs queued
 * in the bridge's worker pool with their results (orders and fills in pages), cancel and delete;
 * sweeps of a parameter grid ranked by a metric. Progress goes out on the `backtests` and `sweeps`
 * WebSocket channels. Starting, cancelling and deleting land in the audit trail.
 */
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { Principal } from './auth.js';
import type { BacktestService, Outcome } from '../backtest/backtest-service.js';
import type { RouteHelpers } from './marketdata-routes.js';

const pageQuery = z.strictObject({
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(5_000).default(500),
});

export function mountBacktestRoutes(api: Router, svc: BacktestService, h: RouteHelpers): void {
  const role = (res: Response) => (res.locals.principal as Principal).role;
  const answer = <T>(res: Response, r: Outcome<T>, status = 200): r is { ok: true; value: T } => {
    if (!r.ok) {
      h.fail(res, r.status, r.errors);
      return false;
    }
    res.status(status).json(r.value);
    return true;
  };
  const noBody = (req: Request, res: Response): boolean => {
    if (req.body !== undefined && req.body !== null && (typeof req.body !== 'object' || Object.keys(req.body).length > 0)) {
      h.fail(res, 422, [{ field: '(body)', code: 'unexpected_body', message: 'esta ação não aceita corpo' }]);
      return false;
    }
    return true;
  };
  const notFound = (res: Response, what: string, id: string) => h.fail(res, 404, [{ field: 'id', code: 'not_found', message: `${what} não encontrado: ${id}` }]);

  api.post('/backtests', h.need('trader'), async (req, res) => {
    const r = await svc.submit(req.body);
    if (answer(res, r, 201)) {
      h.audit({ actor: h.actorOf(res), role: role(res), action: 'backtest.start', target: r.value.id, details: { strategy: r.value.strategy, symbols: r.value.spec.symbols, from: r.value.spec.from, to: r.value.spec.to, seed: r.value.spec.seed } });
    }
  });

  api.get('/backtests', (_req, res) => {
    res.json(svc.list());
  });

  api.get('/backtests/:id', (req, res) => {
    const id = String(req.params.id);
    const r = svc.get(id);
    if (!r) return notFound(res, 'backtest', id);
    res.json(r);
  });

  for (const [route, kind] of [['orders', 'order'], ['fills', 'fill']] as const) {
    api.get(`/backtests/:id/${route}`, (req, res) => {
      const q = h.parse(pageQuery, req.query, res);
      if (!q) return;
      const id = String(req.params.id);
      const page = svc.rows(id, kind, q.offset, q.limit);
      if (!page) return notFound(res, 'backtest', id);
      res.json({ total: page.total, offset: page.offset, limit: page.limit, [route]: page.rows });
    });
  }

  api.post('/backtests/:id/cancel', h.need('trader'), (req, res) => {
    if (!noBody(req, res)) return;
    const r = svc.cancel(String(req.params.id));
    if (answer(res, r)) h.audit({ actor: h.actorOf(res), role: role(res), action: 'backtest.cancel', target: r.value.id });
  });

  api.delete('/backtests/:id', h.need('trader'), (req, res) => {
    if (!noBody(req, res)) return;
    const r = svc.delete(String(req.params.id));
    if (answer(res, r)) h.audit({ actor: h.actorOf(res), role: role(res), action: 'backtest.delete', target: r.value.id });
  });

  api.post('/sweeps', h.need('trader'), async (req, res) => {
    const r = await svc.submitSweep(req.body);
    if (answer(res, r, 201)) {
      h.audit({ actor: h.actorOf(res), role: role(res), action: 'sweep.start', target: r.value.id, details: { strategy: r.value.strategy, runs: r.value.total, rankBy: r.value.rankBy, workers: r.value.workers } });
    }
  });

  api.get('/sweeps', (_req, res) => {
    res.json(svc.sweeps());
  });

  api.get('/sweeps/:id', (req, res) => {
    const id = String(req.params.id);
    const s = svc.sweep(id);
    if (!s) return h.fail(res, 404, [{ field: 'id', code: 'not_found', message: `varredura não encontrada: ${id}` }]);
    res.json(s);
  });

  api.post('/sweeps/:id/cancel', h.need('trader'), (req, res) => {
    if (!noBody(req, res)) return;
    const r = svc.cancelSweep(String(req.params.id));
    if (answer(res, r)) h.audit({ actor: h.actorOf(res), role: role(res), action: 'sweep.cancel', target: r.value.id });
  });
}
