/**
 * The REST API under /api (PRODUCT.md §4). Every input goes through a schema; errors are JSON
 * `{ errors: [{ field, code, message }] }` naming the field; a rejected request writes nothing.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { amendSchema, batchSchema, boletaSchema, killSwitchSchema, zodErrors } from '../../common/schemas.js';
import type {
  ApiErrorItem,
  BalanceView,
  BatchRowResult,
  ClientView,
  HealthView,
  InstrumentView,
  KillSwitchView,
  OrderView,
  PositionView,
  PositionsChannelView,
  QuoteView,
  ResumeAllResult,
  SettlementDayView,
  TradingState,
} from '../../common/types.js';
import { ORDER_STATUSES } from '../../common/types.js';
import type { AuthFailureLimiter } from './auth-failures.js';
import { duplicateKeyMessage, firstDuplicateKey } from './strict-json.js';
import { hasRole, type Principal, type Role, type TokenAuth } from './auth.js';
import type { BoletaInput } from '../../common/schemas.js';
import type { ImportService } from '../marketdata/import/import-service.js';
import { mountStrategyRoutes } from './strategy-routes.js';
import type { StrategyService } from '../strategy/live/strategy-service.js';
import { mountMarketDataRoutes } from './marketdata-routes.js';
import type { BacktestService } from '../backtest/backtest-service.js';
import { mountBacktestRoutes } from './backtest-routes.js';

export interface OrderCommands {
  submitMany(rows: BoletaInput[], actor: string, allOrNothing: boolean, prefixFor: (i: number) => string): Promise<BatchRowResult[]>;
  validateOnly(rows: BoletaInput[], prefixFor: (i: number) => string): BatchRowResult[];
  list(filter: { client?: string; status?: string }): OrderView[];
  get(id: string): OrderView | undefined;
  cancel(id: string, actor: string): Promise<CommandResult>;
  pause(id: string, actor: string): Promise<CommandResult>;
  resume(id: string, actor: string): Promise<CommandResult>;
  resumeAll(actor: string): Promise<{ ok: true; value: ResumeAllResult } | { ok: false; errors: ApiErrorItem[]; status?: number }>;
  amend(id: string, change: { qty?: number; limitPrice?: number }, actor: string): Promise<CommandResult>;
}

export interface ReplayStatusView {
  state: 'ready' | 'running' | 'done' | 'cancelled' | 'failed';
  events: number;
  simTime?: string;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
  warnings?: string[];
}

export type CommandResult = { ok: true; value: OrderView } | { ok: false; errors: ApiErrorItem[]; status?: number };

export interface ApiServices {
  auth: TokenAuth;
  /** Counts refused logins per source: 429 past a limit, audited as one row per source and minute. */
  authFailures: AuthFailureLimiter;
  health(): HealthView;
  instruments(): InstrumentView[];
  quote(symbol: string): QuoteView | undefined;
  clients(): ClientView[];
  addClient(input: unknown, actor: string): Promise<{ ok: true; client: ClientView } | { ok: false; errors: ApiErrorItem[]; status: number }>;
  orders: OrderCommands;
  positions(client?: string): PositionView[];
  /** Exposure and P&L totals, all clients and each client, as the `positions` channel carries them. */
  positionTotals(): Pick<PositionsChannelView, 'totals' | 'clientTotals'>;
  balances(client?: string): BalanceView[];
  /** What settles for a client on a date (yyyy-mm-dd), trade by trade. */
  settlements(client: string, isoDate: string): SettlementDayView;
  killSwitch(): KillSwitchView;
  setTradingState(state: TradingState, reason: string, actor: string): Promise<HealthView>;
  setKillSwitch(engaged: boolean, reason: string, actor: string): Promise<KillSwitchView>;
  algos(): unknown;
  /** The audit trail, oldest first: the last `limit` entries, or those after `sinceSeq`. */
  auditTrail(query: { limit: number; sinceSeq?: number }): unknown[];
  audit(entry: { actor: string; role: string; action: string; target?: string; details?: unknown; ip?: string }): void;
  isOriginAllowed(origin: string | undefined): boolean;
  addinDir: string | undefined;
  /** The market database and its imports (absent: those routes answer 404). */
  marketData?: ImportService;
  /** Strategies running in the bridge (absent: those routes answer 404). */
  strategies?: StrategyService;
  /** On recorded history (`--replay`): its state, and playing it. */
  replay?: { status(): ReplayStatusView; start(actor: string): ReplayStatusView };
  /** Strategies, backtests and sweeps (absent: those routes answer 404). */
  backtests?: BacktestService;
  log: (level: 'info' | 'warn' | 'error', msg: string, extra?: unknown) => void;
}

const MAX_BODY = '4mb';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set while reading the body: the first key repeated in one JSON object. */
    duplicateJsonKey?: string;
  }
}

function fail(res: Response, status: number, errors: ApiErrorItem[]): void {
  res.status(status).json({ errors });
}

function principal(res: Response): Principal {
  return res.locals.principal as Principal;
}

function actorOf(res: Response): string {
  return principal(res).tokenId;
}

const queryOrders = z.strictObject({ client: z.string().max(64).optional(), status: z.enum(ORDER_STATUSES).optional() });
const queryClient = z.strictObject({ client: z.string().max(64).optional() });
const querySettlements = z.strictObject({
  client: z.string({ error: 'informe o cliente' }).min(1).max(64),
  date: z
    .string({ error: 'informe a data de liquidação (yyyy-mm-dd)' })
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'data de liquidação inválida: use yyyy-mm-dd')
    .refine((d) => {
      const t = new Date(`${d}T00:00:00Z`);
      return !Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === d;
    }, 'data inexistente'),
});
const queryQuotes = z.strictObject({ symbols: z.string().max(2_000).optional() });
const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(10_000).default(500),
  since: z.coerce.number().int().min(0).optional(),
});
const tradingStateRequest = z.strictObject({ state: z.enum(['ACTIVE', 'REDUCING', 'HALTED']), reason: z.string().max(500).optional() });
// Resuming every paused order is one click away from a mistake: the body must say so on purpose.
const resumeAllRequest = z.strictObject({
  confirm: z.literal(true, { error: 'confirme com {"confirm": true}: todas as ordens pausadas voltam a operar' }),
});
const tokenRequest = z.strictObject({
  role: z.enum(['viewer', 'trader', 'admin']),
  /** The person who will use the token: the PÂNICO banner, the audit trail and orders show it. */
  name: z.string({ error: 'informe o nome da pessoa dona do token' }).trim().min(2, 'informe o nome da pessoa dona do token').max(100),
  label: z.string().max(100).optional(),
});

export function createHttpApp(s: ApiServices): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // CORS for the add-in's dev server and other allowed origins; the add-in served by the bridge is same-origin.
  app.use((req, res, next) => {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!s.isOriginAllowed(origin)) return fail(res, 403, [{ field: 'origin', code: 'origin_refused', message: `origem não permitida: ${origin}` }]);
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PATCH, DELETE, OPTIONS');
      res.setHeader('Access-Control-Allow-Private-Network', 'true');
      if (req.method === 'OPTIONS') return void res.status(204).end();
    }
    next();
  });

  const api = express.Router();
  // Multipart bodies (Profit file uploads) are streamed to disk by their route, never parsed here.
  api.use(
    express.json({
      limit: MAX_BODY,
      strict: true,
      type: (req) => !String(req.headers['content-type'] ?? '').startsWith('multipart/'),
      // Runs before JSON.parse; a malformed body is left to the parser's own error.
      verify: (req, _res, buf) => {
        try {
          (req as Request).duplicateJsonKey = firstDuplicateKey(buf.toString('utf8'));
        } catch {
          // Not JSON at all: express.json answers invalid_json next.
        }
      },
    }),
  );
  api.use((req, res, next) => {
    const field = req.duplicateJsonKey;
    if (field !== undefined) return fail(res, 422, [{ field, code: 'duplicate_key', message: duplicateKeyMessage(field) }]);
    next();
  });

  api.get('/health', (_req, res) => {
    res.json(s.health());
  });

  api.use((req, res, next) => {
    const h = req.headers.authorization;
    const token = h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
    const p = s.auth.authenticate(token);
    if (!p) {
      if (s.authFailures.refuse(req.ip, `http ${req.method} ${req.path}`.slice(0, 200), token ? 'invalid_token' : 'missing_token')) {
        res.setHeader('Retry-After', String(s.authFailures.retryAfterSec(req.ip)));
        return fail(res, 429, [{ field: 'token', code: 'auth_rate_limited', message: 'muitas tentativas com token inválido desta origem: aguarde um minuto e confira o token (arquivo token na pasta de dados)' }]);
      }
      return fail(res, 401, [{ field: 'token', code: token ? 'invalid_token' : 'missing_token', message: token ? 'token inválido' : 'token ausente: envie Authorization: Bearer <token>' }]);
    }
    res.locals.principal = p;
    next();
  });

  // Per-token rate limit: generous for a desk, tight enough that a runaway script cannot flood the OMS.
  api.use(
    rateLimit({
      windowMs: 1_000,
      limit: 200,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (_req, res) => principal(res).tokenId,
      handler: (_req, res) => fail(res, 429, [{ field: 'token', code: 'rate_limited', message: 'muitas requisições: tente de novo em instantes' }]),
    }),
  );

  const need = (role: Role) => (_req: Request, res: Response, next: NextFunction) => {
    if (!hasRole(principal(res), role)) return fail(res, 403, [{ field: 'token', code: 'forbidden', message: `ação exige papel ${role}` }]);
    next();
  };

  const parse = <T>(schema: z.ZodType<T>, value: unknown, res: Response, prefix = ''): T | undefined => {
    const r = schema.safeParse(value);
    if (r.success) return r.data;
    fail(res, 422, zodErrors(r.error, prefix));
    return undefined;
  };

  api.get('/instruments', (_req, res) => {
    res.json(s.instruments());
  });

  api.get('/quotes', (req, res) => {
    const q = parse(queryQuotes, req.query, res);
    if (!q) return;
    const symbols = q.symbols ? q.symbols.split(',').map((x) => x.trim().toUpperCase()).filter(Boolean) : s.instruments().map((i) => i.symbol);
    const out: QuoteView[] = [];
    const errors: ApiErrorItem[] = [];
    symbols.forEach((sym, i) => {
      const v = s.quote(sym);
      if (v) out.push(v);
      else errors.push({ field: `symbols[${i}]`, code: 'unknown_symbol', message: `ativo desconhecido: ${sym}` });
    });
    if (errors.length) return fail(res, 422, errors);
    res.json(out);
  });

  api.get('/algos', (_req, res) => {
    res.json(s.algos());
  });

  api.get('/clients', (_req, res) => {
    res.json(s.clients());
  });

  api.post('/clients', need('admin'), async (req, res) => {
    const r = await s.addClient(req.body, actorOf(res));
    if (!r.ok) return fail(res, r.status, r.errors);
    res.status(201).json(r.client);
  });

  api.post('/orders', need('trader'), async (req, res) => {
    const b = parse(boletaSchema, req.body, res);
    if (!b) return;
    const [row] = await s.orders.submitMany([b], actorOf(res), false, () => '');
    if (!row.ok) return fail(res, 422, row.errors);
    res.status(row.duplicate ? 200 : 201).json(row.order);
  });

  const parseRows = (body: unknown, res: Response): { rows: BoletaInput[]; bad: BatchRowResult[]; allOrNothing: boolean; index: number[] } | undefined => {
    const batch = parse(batchSchema, body, res);
    if (!batch) return undefined;
    const rows: BoletaInput[] = [];
    const index: number[] = [];
    const bad: BatchRowResult[] = [];
    batch.rows.forEach((raw, i) => {
      const r = boletaSchema.safeParse(raw);
      if (r.success) {
        rows.push(r.data);
        index.push(i);
      } else bad.push({ row: i, ok: false, errors: zodErrors(r.error, `rows[${i}]`) });
    });
    return { rows, bad, allOrNothing: batch.allOrNothing ?? false, index };
  };

  const mergeRows = (total: number, bad: BatchRowResult[], good: BatchRowResult[], index: number[]): BatchRowResult[] => {
    const out: BatchRowResult[] = new Array(total);
    for (const b of bad) out[b.row] = b;
    good.forEach((g, k) => (out[index[k]] = { ...g, row: index[k] }));
    return out;
  };

  api.post('/orders/batch/validate', need('trader'), (req, res) => {
    const p = parseRows(req.body, res);
    if (!p) return;
    const good = s.orders.validateOnly(p.rows, (k) => `rows[${p.index[k]}]`);
    res.json({ results: mergeRows(p.rows.length + p.bad.length, p.bad, good, p.index) });
  });

  api.post('/orders/batch', need('trader'), async (req, res) => {
    const p = parseRows(req.body, res);
    if (!p) return;
    if (p.allOrNothing && p.bad.length > 0) {
      const good = s.orders.validateOnly(p.rows, (k) => `rows[${p.index[k]}]`).map((g, k) =>
        g.ok ? ({ row: k, ok: false, errors: [{ field: `rows[${p.index[k]}]`, code: 'batch_aborted', message: 'lote tudo-ou-nada: outra linha tem erro, nada foi enviado' }] } as BatchRowResult) : g,
      );
      return res.json({ results: mergeRows(p.rows.length + p.bad.length, p.bad, good, p.index) });
    }
    const good = await s.orders.submitMany(p.rows, actorOf(res), p.allOrNothing, (k) => `rows[${p.index[k]}]`);
    res.json({ results: mergeRows(p.rows.length + p.bad.length, p.bad, good, p.index) });
  });

  api.get('/orders', (req, res) => {
    const q = parse(queryOrders, req.query, res);
    if (!q) return;
    res.json(s.orders.list(q));
  });

  api.get('/orders/:id', (req, res) => {
    const o = s.orders.get(String(req.params.id));
    if (!o) return fail(res, 404, [{ field: 'id', code: 'not_found', message: `ordem não encontrada: ${req.params.id}` }]);
    res.json(o);
  });

  const action = (fn: (id: string, actor: string) => Promise<CommandResult>) => async (req: Request, res: Response) => {
    if (req.body !== undefined && req.body !== null && (typeof req.body !== 'object' || Object.keys(req.body).length > 0)) {
      return fail(res, 422, [{ field: '(body)', code: 'unexpected_body', message: 'esta ação não aceita corpo' }]);
    }
    const r = await fn(String(req.params.id), actorOf(res));
    if (!r.ok) return fail(res, r.status ?? 422, r.errors);
    res.json(r.value);
  };
  api.post('/orders/resume-all', need('trader'), async (req, res) => {
    const body = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {};
    if (!parse(resumeAllRequest, body, res)) return;
    const r = await s.orders.resumeAll(actorOf(res));
    if (!r.ok) return fail(res, r.status ?? 422, r.errors);
    res.json(r.value);
  });
  api.post('/orders/:id/cancel', need('trader'), action((id, a) => s.orders.cancel(id, a)));
  api.post('/orders/:id/pause', need('trader'), action((id, a) => s.orders.pause(id, a)));
  api.post('/orders/:id/resume', need('trader'), action((id, a) => s.orders.resume(id, a)));

  api.patch('/orders/:id', need('trader'), async (req, res) => {
    const b = parse(amendSchema, req.body, res);
    if (!b) return;
    if (b.qty === undefined && b.limitPrice === undefined) return fail(res, 422, [{ field: 'qty', code: 'required', message: 'informe qty e/ou limitPrice' }]);
    const r = await s.orders.amend(String(req.params.id), b, actorOf(res));
    if (!r.ok) return fail(res, r.status ?? 422, r.errors);
    res.json(r.value);
  });

  api.get('/positions', (req, res) => {
    const q = parse(queryClient, req.query, res);
    if (!q) return;
    res.json(s.positions(q.client));
  });

  api.get('/positions/totals', (_req, res) => {
    res.json(s.positionTotals());
  });

  api.get('/balances', (req, res) => {
    const q = parse(queryClient, req.query, res);
    if (!q) return;
    if (q.client && !s.clients().some((c) => c.id === q.client)) {
      return fail(res, 404, [{ field: 'client', code: 'unknown_client', message: `cliente desconhecido: ${q.client}` }]);
    }
    res.json(s.balances(q.client));
  });

  api.get('/settlements', (req, res) => {
    const q = parse(querySettlements, req.query, res);
    if (!q) return;
    if (!s.clients().some((c) => c.id === q.client)) {
      return fail(res, 404, [{ field: 'client', code: 'unknown_client', message: `cliente desconhecido: ${q.client}` }]);
    }
    res.json(s.settlements(q.client, q.date));
  });

  api.get('/kill-switch', (_req, res) => {
    res.json(s.killSwitch());
  });

  api.post('/kill-switch', need('trader'), async (req, res) => {
    const b = parse(killSwitchSchema, req.body, res);
    if (!b) return;
    // Anyone who trades may pull PÂNICO; only the risk officer (admin) may release it (PRODUCT.md).
    if (!b.engaged && !hasRole(principal(res), 'admin')) {
      return fail(res, 403, [{ field: 'engaged', code: 'forbidden', message: 'liberar o PÂNICO exige papel admin (o responsável pelo risco); o seu token é de papel ' + principal(res).role }]);
    }
    const reason = b.reason ?? (b.engaged ? 'PÂNICO acionado' : 'PÂNICO liberado');
    res.json(await s.setKillSwitch(b.engaged, reason, actorOf(res)));
  });

  // The risk officer's switch between ACTIVE, REDUCING and HALTED (the kill switch is separate and wins).
  api.post('/trading-state', need('admin'), async (req, res) => {
    const b = parse(tradingStateRequest, req.body, res);
    if (!b) return;
    res.json(await s.setTradingState(b.state, b.reason ?? '', actorOf(res)));
  });

  // The risk officer's and auditor's read of the append-only trail (orders, kill switch, logins).
  api.get('/audit', need('admin'), (req, res) => {
    const q = parse(auditQuery, req.query, res);
    if (!q) return;
    res.json(s.auditTrail({ limit: q.limit, sinceSeq: q.since }));
  });

  api.post('/tokens', need('admin'), async (req, res) => {
    const b = parse(tokenRequest, req.body, res);
    if (!b) return;
    const t = await s.auth.create(b.role, b.name, b.label);
    s.audit({ actor: actorOf(res), role: 'admin', action: 'token.create', target: t.id });
    res.status(201).json(t);
  });

  if (s.marketData) mountMarketDataRoutes(api, s.marketData, { need, fail, parse, actorOf, audit: s.audit });
  if (s.strategies) mountStrategyRoutes(api, s.strategies, { need, fail, parse, actorOf, audit: s.audit, nameOf: (a) => s.auth.displayName(a) });
  // Recorded history: a bridge started with --replay plays it when asked, with its strategies armed first.
  api.get('/replay', need('viewer'), (_req, res) => {
    if (!s.replay) return fail(res, 404, [{ field: 'path', code: 'not_replay', message: 'a ponte não foi iniciada sobre um histórico gravado (--replay)' }]);
    res.json(s.replay.status());
  });
  api.post('/replay/run', need('trader'), (_req, res) => {
    if (!s.replay) return fail(res, 404, [{ field: 'path', code: 'not_replay', message: 'a ponte não foi iniciada sobre um histórico gravado (--replay)' }]);
    res.status(202).json(s.replay.start(actorOf(res)));
  });
  if (s.backtests) mountBacktestRoutes(api, s.backtests, { need, fail, parse, actorOf, audit: s.audit });

  api.use((_req, res) => fail(res, 404, [{ field: 'path', code: 'not_found', message: 'rota inexistente' }]));

  // Malformed JSON, oversize bodies and anything unexpected end here: a clear 4xx/5xx, never a crash.
  api.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed') return fail(res, 400, [{ field: '(body)', code: 'invalid_json', message: `JSON malformado: ${e.message}` }]);
    if (e.type === 'entity.too.large') return fail(res, 413, [{ field: '(body)', code: 'too_large', message: `corpo acima de ${MAX_BODY}` }]);
    if (e.status && e.status < 500) return fail(res, e.status, [{ field: '(body)', code: 'bad_request', message: e.message ?? 'requisição inválida' }]);
    s.log('error', 'unhandled API error', err);
    fail(res, 500, [{ field: '(server)', code: 'internal', message: 'erro interno; nada foi alterado além do que a resposta confirma' }]);
  });

  app.use('/api', api);
  if (s.addinDir) {
    // `/` is browser mode (index.html, no Office.js); Excel loads taskpane.html from the manifest.
    app.use(express.static(s.addinDir, { index: 'index.html', maxAge: 0 }));
  }
  return app;
}
