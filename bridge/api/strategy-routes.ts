/**
 * Strategies running in the bridge over HTTP: list, start (armed with limits on a real broker),
 * one run, stop. Runs and their changes also go out on the `strategies` WebSocket channel.
 */
import type { Router } from 'express';
import type { StrategyService } from '../strategy/live/strategy-service.js';
import type { RouteHelpers } from './marketdata-routes.js';

export function mountStrategyRoutes(api: Router, svc: StrategyService, h: RouteHelpers & { nameOf(actor: string): string | undefined }): void {
  // What can run here, and on which market (a real broker asks for arming).
  api.get('/strategies', h.need('viewer'), async (_req, res) => {
    res.json(await svc.catalog());
  });

  api.get('/strategies/runs', h.need('viewer'), (_req, res) => {
    res.json(svc.list());
  });

  api.get('/strategies/runs/:id', h.need('viewer'), (req, res) => {
    const v = svc.get(String(req.params.id));
    if (!v) return h.fail(res, 404, [{ field: 'id', code: 'not_found', message: `execução ${String(req.params.id)} não encontrada` }]);
    res.json(v);
  });

  api.post('/strategies/runs', h.need('trader'), async (req, res) => {
    const actor = h.actorOf(res);
    const r = await svc.start(req.body, actor, h.nameOf(actor));
    if (!r.ok) return h.fail(res, r.status, r.errors);
    res.status(201).json(r.value);
  });

  api.post('/strategies/runs/:id/stop', h.need('trader'), async (req, res) => {
    const r = await svc.stop(String(req.params.id), h.actorOf(res));
    if (!r.ok) return h.fail(res, r.status, r.errors);
    res.json(r.value);
  });
}
