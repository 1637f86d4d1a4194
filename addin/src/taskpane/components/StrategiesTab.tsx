/**
 * Estratégias: strategies (TypeScript modules, bundled or files in the data folder) that send
 * boletas by themselves. Start one on the simulated market with a click; on a real broker only
 * after the arming step (its own limits, and ARMAR typed by the person). The runs: state, market,
 * limits, orders and fills, logs, a fault with its place; stop after a confirmation. PÂNICO stops
 * every run and blocks starting: the tab says so.
 */
import {
  Badge,
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  makeStyles,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Select,
  Spinner,
  tokens,
} from '@fluentui/react-components';
import { ArrowClockwise20Regular, Pause12Filled, Play20Regular, ShieldError20Filled, Stop16Regular, Warning12Filled } from '@fluentui/react-icons';
import { useMemo, useState } from 'react';
import type { StrategyRunState, StrategyRunView, StrategyView } from '../../../../common/backtest.js';
import type { ClientView, HealthView, KillSwitchView, OrderView } from '../../../../common/types.js';
import { faultPlace, INTERVAL_OPTIONS, INTERVAL_LABELS, paramsText, placeApiErrors, type FieldErrors } from '../../core/backtests.js';
import { isBridgeError } from '../../core/bridge-client.js';
import { PANIC_BLOCKS_START, strategyStartMessage } from '../../core/errors.js';
import { fmtDateTime, fmtQty } from '../../core/format.js';
import {
  ARM_WORD,
  buildStartRequest,
  emptyLimitsForm,
  emptyStartForm,
  isLive,
  limitsText,
  MARKET_LABELS,
  mergeRuns,
  runStateLabel,
  startFieldKeys,
  type LimitsForm,
  type MarketKind,
  type StartForm,
} from '../../core/strategies.js';
import { usePane } from '../context.js';
import { focusOrders } from '../order-focus.js';
import { useAsync, useChannel, useConnection, useLiveList } from '../hooks.js';
import { useStrategies } from './BacktestsTab.js';
import { useTabStyles } from './common.js';
import { StrategyParamsFields } from './StrategyParamsFields.js';

const useStyles = makeStyles({
  // The tab scrolls as one page; nothing in it is squeezed by the flex column.
  page: { overflowY: 'auto', overflowX: 'hidden', '& > *': { flexShrink: 0 } },
  cols: { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(min(100%, 340px), 1fr))', gap: '12px', alignItems: 'start' },
  faultMsg: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, overflowWrap: 'anywhere' },
  col: { display: 'flex', flexDirection: 'column', gap: '8px', minWidth: 0 },
  h: { fontSize: tokens.fontSizeBase200, fontWeight: tokens.fontWeightSemibold, color: tokens.colorNeutralForeground3, textTransform: 'uppercase', letterSpacing: '0.05em' },
  card: { border: `1px solid ${tokens.colorNeutralStroke2}`, borderRadius: tokens.borderRadiusMedium, padding: '8px 10px', display: 'flex', flexDirection: 'column', gap: '4px', minWidth: 0, backgroundColor: tokens.colorNeutralBackground1 },
  cardHalted: { borderLeft: `4px solid ${tokens.colorPaletteDarkOrangeBorder2}` },
  cardFailed: { borderLeft: `4px solid ${tokens.colorPaletteRedBorder2}` },
  cardRunning: { borderLeft: `4px solid ${tokens.colorBrandStroke1}` },
  pick: { cursor: 'pointer', ':hover': { backgroundColor: tokens.colorNeutralBackground1Hover } },
  picked: { border: `1px solid ${tokens.colorBrandStroke1}`, backgroundColor: tokens.colorBrandBackground2 },
  line: { display: 'flex', alignItems: 'center', gap: '6px', minWidth: 0, flexWrap: 'wrap' },
  name: { fontWeight: tokens.fontWeightSemibold, overflow: 'hidden', textOverflow: 'ellipsis', minWidth: 0, flex: '1 1 auto', whiteSpace: 'nowrap' },
  small: { fontSize: tokens.fontSizeBase200, color: tokens.colorNeutralForeground2, overflowWrap: 'anywhere', minWidth: 0 },
  reason: { fontSize: tokens.fontSizeBase200, color: tokens.colorPaletteDarkOrangeForeground1, overflowWrap: 'anywhere' },
  logs: { margin: 0, padding: '4px 6px', listStyle: 'none', fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase100, backgroundColor: tokens.colorNeutralBackground2, borderRadius: tokens.borderRadiusSmall, maxHeight: '140px', overflowY: 'auto', overflowWrap: 'anywhere' },
  form: { display: 'flex', flexDirection: 'column', gap: '8px', borderTop: `1px solid ${tokens.colorNeutralStroke2}`, paddingTop: '8px', marginTop: '4px' },
  grid: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(150px, 1fr))', gap: '8px 10px', alignItems: 'start' },
  wide: { gridColumn: '1 / -1' },
  full: { width: '100%', minWidth: 0 },
  live: { backgroundColor: '#c50f1f', color: 'white' },
  armBtn: {
    backgroundColor: '#c50f1f',
    color: 'white',
    ':enabled:hover': { backgroundColor: '#a80d1a', color: 'white' },
    ':disabled': { backgroundColor: tokens.colorNeutralBackgroundDisabled, color: tokens.colorNeutralForegroundDisabled, cursor: 'not-allowed' },
    ':disabled:hover': { backgroundColor: tokens.colorNeutralBackgroundDisabled, color: tokens.colorNeutralForegroundDisabled },
  },
});

const RUN_BADGE: Record<StrategyRunState, { color: 'brand' | 'subtle' | 'danger' | 'warning'; appearance: 'tint' | 'filled'; icon?: JSX.Element }> = {
  running: { color: 'brand', appearance: 'tint' },
  stopped: { color: 'subtle', appearance: 'tint' },
  failed: { color: 'danger', appearance: 'filled', icon: <Warning12Filled /> },
  // As a paused order: filled amber with a pause mark, never mistaken for a running one.
  halted: { color: 'warning', appearance: 'filled', icon: <Pause12Filled /> },
};

export function RunStateBadge({ state }: { state: StrategyRunState }): JSX.Element {
  const b = RUN_BADGE[state] ?? RUN_BADGE.stopped;
  return (
    <Badge appearance={b.appearance} color={b.color} size="small" icon={b.icon} data-run-state={state} style={{ flexShrink: 0 }}>
      {runStateLabel(state)}
    </Badge>
  );
}

function MarketBadge({ market }: { market: string }): JSX.Element {
  const live = isLive(market);
  return (
    <Badge appearance={live ? 'filled' : 'outline'} color={live ? 'danger' : 'informative'} size="small" data-market={market} style={{ flexShrink: 0 }}>
      {live ? 'REAL' : market === 'replay' ? 'Replay' : 'Simulado'}
    </Badge>
  );
}

function RunCard({ run, orders, onStop }: { run: StrategyRunView; orders: OrderView[] | undefined; onStop: () => void }): JSX.Element {
  const s = useStyles();
  const { canTrade, goTo } = usePane();
  const [showLogs, setShowLogs] = useState(false);
  const mine = useMemo(() => (orders ?? []).filter((o) => o.origin?.strategyRunId === run.id), [orders, run.id]);
  const cls = run.state === 'halted' ? s.cardHalted : run.state === 'failed' ? s.cardFailed : run.state === 'running' ? s.cardRunning : '';
  return (
    <div className={`${s.card} ${cls}`} data-testid="strategy-run" data-run={run.id} data-state={run.state}>
      <div className={s.line}>
        <RunStateBadge state={run.state} />
        <MarketBadge market={run.market} />
        <span className={s.name} title={`${run.name} (${run.strategy})`}>
          {run.name}
        </span>
        {run.state === 'running' && (
          <Button size="small" icon={<Stop16Regular />} disabled={!canTrade} onClick={onStop} data-testid="strategy-stop">
            Parar
          </Button>
        )}
      </div>
      <span className={s.small}>
        {run.symbols.join(', ')} · {INTERVAL_LABELS[run.interval] ?? run.interval} · {run.clients.length > 1 ? 'clientes' : 'cliente'} {run.clients.join(', ')}
        {Object.keys(run.params).length ? ` · ${paramsText(run.params)}` : ''}
      </span>
      <span className={s.small}>
        iniciada {fmtDateTime(run.startedAt)}
        {run.startedBy ? ` por ${run.startedBy}` : ''}
        {run.stoppedAt ? ` · parada ${fmtDateTime(run.stoppedAt)}` : ''}
      </span>
      {run.limits && <span className={s.small}>Limites: {limitsText(run.limits)}</span>}
      {run.reason && run.state !== 'running' && (
        <span className={run.state === 'halted' ? s.reason : s.small} data-testid="strategy-run-reason">
          {run.reason}
        </span>
      )}
      {run.fault && (
        <MessageBar intent="error" layout="multiline" data-testid="strategy-run-fault">
          <MessageBarBody>
            <MessageBarTitle>Falhou{faultPlace(run.fault) ? ` ${faultPlace(run.fault)}` : ''}</MessageBarTitle>
            <div className={s.faultMsg}>{run.fault.message}</div>
          </MessageBarBody>
        </MessageBar>
      )}
      <div className={s.line}>
        <span className={s.small} data-testid="strategy-run-counts">
          {fmtQty(run.orders)} {run.orders === 1 ? 'ordem' : 'ordens'} · {fmtQty(run.fills)} {run.fills === 1 ? 'negócio' : 'negócios'}
        </span>
        {goTo && mine.length > 0 && (
          <Button
            size="small"
            appearance="transparent"
            onClick={() => {
              focusOrders({ label: `da estratégia ${run.name}`, ids: new Set(mine.map((o) => o.id)) });
              goTo('orders');
            }}
            data-testid="strategy-run-orders"
          >
            Ver ordens
          </Button>
        )}
        <Button size="small" appearance="transparent" onClick={() => setShowLogs((v) => !v)} data-testid="strategy-run-logs-toggle">
          {showLogs ? 'Esconder log' : `Log (${fmtQty(run.logs.length)})`}
        </Button>
      </div>
      {showLogs && (
        <ul className={s.logs} data-testid="strategy-run-logs">
          {run.logs.length === 0 && <li>Nada no log ainda.</li>}
          {run.logs.slice(-200).map((l, i) => (
            <li key={i}>
              {fmtDateTime(l.t).slice(11)} {l.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ArmDialog(props: {
  open: boolean;
  strategy: StrategyView | undefined;
  form: StartForm;
  limits: LimitsForm;
  onLimits: (l: LimitsForm) => void;
  errors: FieldErrors;
  general: string[];
  busy: boolean;
  onCancel: () => void;
  onArm: () => void;
}): JSX.Element {
  const s = useStyles();
  const { limits: l, onLimits, errors } = props;
  const set = (k: keyof LimitsForm, v: string) => onLimits({ ...l, [k]: v });
  const field = (k: string) => ({ validationMessage: errors[k], validationState: errors[k] ? ('error' as const) : ('none' as const) });
  const armed = l.confirm.trim() === ARM_WORD;
  return (
    <Dialog open={props.open} onOpenChange={(_, d) => !d.open && props.onCancel()} modalType="alert">
      <DialogSurface data-testid="arm-dialog" style={{ maxWidth: 'min(560px, calc(100vw - 24px))' }}>
        <DialogBody>
          <DialogTitle>Armar na corretora real</DialogTitle>
          <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 10 }}>
            <MessageBar intent="error" layout="multiline" icon={<ShieldError20Filled />}>
              <MessageBarBody>
                <MessageBarTitle>Isto opera dinheiro de verdade.</MessageBarTitle>
                {props.strategy?.name ?? props.form.strategy} vai enviar ordens reais à corretora, sozinha, na conta de {props.form.clients || '—'}, até ser parada ou até o PÂNICO. A ponte recusa qualquer boleta dela que passe dos limites abaixo.
              </MessageBarBody>
            </MessageBar>
            <span className={s.small}>
              {props.form.symbols.toUpperCase()} · {INTERVAL_LABELS[props.form.interval]} · semente {props.form.seed || '1'}
              {Object.entries(props.form.params)
                .filter(([, v]) => v.trim() !== '')
                .map(([k, v]) => ` · ${props.strategy?.params.find((p) => p.name === k)?.label ?? k} ${v.trim()}`)
                .join('')}
            </span>
            <div className={s.grid}>
              <Field label="Valor máximo por ordem (R$)" size="small" required {...field('limits.maxOrderNotionalBrl')}>
                <Input className={s.full} size="small" value={l.maxOrderNotionalBrl} onChange={(_, d) => set('maxOrderNotionalBrl', d.value)} inputMode="decimal" placeholder="ex.: 50.000,00" data-testid="arm-max-order" />
              </Field>
              <Field label="Valor máximo somado (R$)" size="small" required hint="Todas as ordens da execução" {...field('limits.maxTotalNotionalBrl')}>
                <Input className={s.full} size="small" value={l.maxTotalNotionalBrl} onChange={(_, d) => set('maxTotalNotionalBrl', d.value)} inputMode="decimal" placeholder="ex.: 500.000,00" data-testid="arm-max-total" />
              </Field>
              <Field label="Ordens por minuto, no máximo" size="small" required {...field('limits.maxOrdersPerMinute')}>
                <Input className={s.full} size="small" value={l.maxOrdersPerMinute} onChange={(_, d) => set('maxOrdersPerMinute', d.value)} inputMode="numeric" placeholder="ex.: 10" data-testid="arm-max-per-minute" />
              </Field>
              <Field label="Ativos permitidos" size="small" hint="Vazio = os ativos da execução" {...field('limits.symbols')}>
                <Input className={s.full} size="small" value={l.symbols} onChange={(_, d) => set('symbols', d.value)} placeholder={props.form.symbols.toUpperCase()} data-testid="arm-symbols" />
              </Field>
              <Field className={s.wide} label={`Digite ${ARM_WORD} para confirmar`} size="small" required {...field('confirm')}>
                <Input className={s.full} size="small" value={l.confirm} onChange={(_, d) => set('confirm', d.value)} autoComplete="off" spellCheck={false} data-testid="arm-confirm" />
              </Field>
            </div>
            {props.general.length > 0 && (
              <MessageBar intent="error" layout="multiline" data-testid="arm-error">
                <MessageBarBody>{props.general.join(' ')}</MessageBarBody>
              </MessageBar>
            )}
          </DialogContent>
          <DialogActions>
            <Button appearance="secondary" onClick={props.onCancel} data-testid="arm-cancel">
              Cancelar
            </Button>
            <Button className={s.armBtn} disabled={!armed || props.busy} onClick={props.onArm} icon={props.busy ? <Spinner size="tiny" /> : <Play20Regular />} data-testid="arm-start">
              Armar e iniciar
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

const inDialog = (key: string) => key.startsWith('limits.') || key === 'confirm';

/** Errors of fields the person cannot see right now (the form behind the arming dialog, or the dialog's once closed). */
function elsewhere(errors: FieldErrors, arming: boolean): string[] {
  return Object.entries(errors)
    .filter(([k]) => (arming ? !inDialog(k) : inDialog(k)))
    .map(([, v]) => v);
}

export function StrategiesTab(): JSX.Element {
  const t = useTabStyles();
  const s = useStyles();
  const { client, canTrade, notify } = usePane();
  const open = useConnection(client).state === 'open';
  const strategies = useStrategies();
  const runs = useLiveList<StrategyRunView>(client, 'strategies', '/api/strategies/runs', mergeRuns, () => false);
  const clients = useAsync(() => client.cachedGet<ClientView[]>('/api/clients', 30_000), [client, open]);
  const orders = useChannel<OrderView[]>(client, 'orders', 2000);
  const ks = useChannel<KillSwitchView>(client, 'killswitch', 200).data;
  const panic = !!ks?.engaged;
  const health = useChannel<HealthView>(client, 'health', 2000).data;
  // A bridge that asks for arming is a real broker, whatever it said before (or did not say).
  const [armingAsked, setArmingAsked] = useState(false);
  const market: MarketKind = armingAsked ? 'live' : (strategies.data?.market ?? (health && health.broker.name !== 'sim' ? 'live' : 'sim'));
  const list = strategies.data?.strategies ?? [];

  const [form, setForm] = useState<StartForm>(() => emptyStartForm());
  const [limits, setLimits] = useState<LimitsForm>(() => emptyLimitsForm());
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [arming, setArming] = useState(false);
  const [stopping, setStopping] = useState<StrategyRunView | undefined>();
  const strategy = list.find((x) => x.id === form.strategy);

  const pick = (id: string) => {
    if (id === form.strategy) return;
    setForm((f) => ({ ...f, strategy: id, params: {} }));
    setErrors({});
    setGeneral([]);
  };

  const start = async () => {
    const built = buildStartRequest(form, strategy, market, isLive(market) ? limits : undefined);
    setGeneral([]);
    if (!built.ok) {
      setErrors(built.errors);
      setGeneral(elsewhere(built.errors, arming));
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const run = await client.request<StrategyRunView>('POST', '/api/strategies/runs', built.body);
      runs.apply(run);
      setArming(false);
      setLimits(emptyLimitsForm());
      notify('success', `${run.name} rodando (${MARKET_LABELS[market].toLowerCase()}).`);
    } catch (e) {
      if (isBridgeError(e) && e.status === 409) {
        setGeneral([strategyStartMessage(409, e.errors, e.message)]);
      } else if (isBridgeError(e) && !arming && e.errors.some((x) => x.code === 'arming_required')) {
        setArmingAsked(true);
        setArming(true);
        setGeneral([]);
      } else if (isBridgeError(e) && e.errors.length) {
        const placed = placeApiErrors(e.errors, startFieldKeys(strategy));
        setErrors(placed.fields);
        setGeneral([...placed.general, ...elsewhere(placed.fields, arming)]);
      } else {
        setGeneral([(e as Error).message]);
      }
    } finally {
      setBusy(false);
    }
  };

  const stop = async () => {
    const r = stopping;
    if (!r) return;
    setBusy(true);
    try {
      const v = await client.request<StrategyRunView>('POST', `/api/strategies/runs/${encodeURIComponent(r.id)}/stop`);
      if (v && typeof v === 'object' && 'id' in v) runs.apply(v);
      notify('info', `${r.name} parada.`);
    } catch (e) {
      notify('error', (e as Error).message);
    } finally {
      setBusy(false);
      setStopping(undefined);
    }
  };

  const err = (k: string) => errors[k];
  const fieldState = (k: string) => ({ validationMessage: err(k), validationState: err(k) ? ('error' as const) : ('none' as const) });
  const running = runs.items.filter((r) => r.state === 'running').length;
  const knownClients = (clients.data ?? []).map((c) => c.id);

  return (
    <div className={`${t.root} ${s.page}`} data-testid="tab-strategies">
      <div className={t.toolbar}>
        <Badge appearance="filled" color={isLive(market) ? 'danger' : 'informative'} data-testid="strategies-market" data-market={market} className={isLive(market) ? s.live : undefined}>
          {isLive(market) ? 'CORRETORA REAL: ordens de verdade' : MARKET_LABELS[market]}
        </Badge>
        <span className={t.muted}>{running ? `${running} rodando` : strategies.data ? 'nenhuma rodando' : ''}</span>
        <span className={t.grow} />
        <Button
          size="small"
          icon={<ArrowClockwise20Regular />}
          onClick={() => {
            client.invalidate('/api/strategies');
            strategies.reload();
            runs.reload();
          }}
          data-testid="strategies-refresh"
        >
          Atualizar
        </Button>
      </div>
      {panic && (
        <MessageBar intent="error" layout="multiline" data-testid="strategies-panic">
          <MessageBarBody>{PANIC_BLOCKS_START}</MessageBarBody>
        </MessageBar>
      )}
      {strategies.error && !strategies.data && (
        <MessageBar intent="error">
          <MessageBarBody>Não consegui carregar as estratégias: {strategies.error.message}</MessageBarBody>
        </MessageBar>
      )}
      {(strategies.data?.broken ?? []).length > 0 && (
        <MessageBar intent="warning" layout="multiline" data-testid="strategies-broken">
          <MessageBarBody>
            <MessageBarTitle>Arquivos de estratégia que não carregaram</MessageBarTitle>
            {strategies.data!.broken.map((b) => (
              <div key={b.id}>
                <b>{b.id}</b>: {b.error}
              </div>
            ))}
          </MessageBarBody>
        </MessageBar>
      )}
      <div className={s.cols}>
        <section className={s.col} aria-label="Execuções">
          <div className={s.h}>Execuções</div>
          {runs.items.length === 0 && (
            <span className={t.muted} data-testid="strategies-no-runs">
              {runs.error ?? (runs.loaded ? 'Nenhuma estratégia rodou desde que a ponte abriu.' : 'Carregando…')}
            </span>
          )}
          {runs.items.map((r) => (
            <RunCard key={r.id} run={r} orders={orders.data} onStop={() => setStopping(r)} />
          ))}
        </section>
        <section className={s.col} aria-label="Estratégias">
          <div className={s.h}>Estratégias</div>
          {!strategies.data && !strategies.error && <Spinner size="tiny" label="Carregando…" />}
          {strategies.data && list.length === 0 && <span className={t.muted}>Nenhuma estratégia disponível.</span>}
          {list.map((x) => {
            const picked = x.id === form.strategy;
            return (
              <div key={x.id} className={`${s.card} ${s.pick} ${picked ? s.picked : ''}`} onClick={() => pick(x.id)} data-testid="strategy-card" data-strategy={x.id}>
                <div className={s.line}>
                  <span className={s.name}>{x.name}</span>
                  <Badge appearance="outline" color="informative" size="small">
                    {x.source === 'bundled' ? 'incluída' : 'arquivo'}
                  </Badge>
                </div>
                {x.description && <span className={s.small}>{x.description}</span>}
                <span className={s.small} style={{ color: tokens.colorNeutralForeground3 }}>
                  {x.id}
                  {x.params.length ? ` · ${x.params.length} ${x.params.length === 1 ? 'parâmetro' : 'parâmetros'}` : ''}
                  {x.wants.trades ? ' · usa negócios' : ''}
                  {x.wants.quotes ? ' · usa cotações' : ''}
                </span>
                {picked && (
                  <form
                    className={s.form}
                    onClick={(e) => e.stopPropagation()}
                    onSubmit={(e) => {
                      e.preventDefault();
                      if (isLive(market)) {
                        setArming(true);
                        setGeneral([]);
                      } else void start();
                    }}
                    data-testid="strategy-start-form"
                  >
                    <div className={s.grid}>
                      <Field className={s.wide} label="Ativos" size="small" required hint="Separados por vírgula" {...fieldState('symbols')}>
                        <Input className={s.full} size="small" value={form.symbols} onChange={(_, d) => setForm({ ...form, symbols: d.value })} placeholder="PETR4, VALE3" data-testid="strategy-symbols" />
                      </Field>
                      <Field
                        className={s.wide}
                        label="Clientes"
                        size="small"
                        required
                        hint={knownClients.length ? `Cadastrados: ${knownClients.slice(0, 8).join(', ')}${knownClients.length > 8 ? '…' : ''}` : 'Os ids do cadastro de clientes'}
                        {...fieldState('clients')}
                      >
                        <Input className={s.full} size="small" value={form.clients} onChange={(_, d) => setForm({ ...form, clients: d.value })} placeholder="ALFA" data-testid="strategy-clients" />
                      </Field>
                      <Field label="Intervalo das barras" size="small" {...fieldState('interval')}>
                        <Select size="small" value={form.interval} onChange={(_, d) => setForm({ ...form, interval: d.value as StartForm['interval'] })} data-testid="strategy-interval">
                          {INTERVAL_OPTIONS.map((o) => (
                            <option key={o.value} value={o.value}>
                              {o.label}
                            </option>
                          ))}
                        </Select>
                      </Field>
                      <Field label="Semente" size="small" {...fieldState('seed')}>
                        <Input className={s.full} size="small" value={form.seed} onChange={(_, d) => setForm({ ...form, seed: d.value })} inputMode="numeric" data-testid="strategy-seed" />
                      </Field>
                      <Field label="Barras de aquecimento" size="small" hint="Da base de dados, lidas já no começo" {...fieldState('warmupBars')}>
                        <Input className={s.full} size="small" value={form.warmup} onChange={(_, d) => setForm({ ...form, warmup: d.value })} inputMode="numeric" placeholder="0" data-testid="strategy-warmup" />
                      </Field>
                    </div>
                    <StrategyParamsFields params={x.params} values={form.params} onChange={(name, v) => setForm({ ...form, params: { ...form.params, [name]: v } })} errorFor={(name) => err(`params.${name}`)} testPrefix="strategy" />
                    {general.length > 0 && !arming && (
                      <MessageBar intent="error" layout="multiline" data-testid="strategy-start-error">
                        <MessageBarBody>{general.join(' ')}</MessageBarBody>
                      </MessageBar>
                    )}
                    <div className={s.line}>
                      <Button
                        type="submit"
                        appearance="primary"
                        className={isLive(market) ? s.armBtn : undefined}
                        icon={busy && !arming ? <Spinner size="tiny" /> : <Play20Regular />}
                        disabled={busy || !canTrade || panic}
                        data-testid="strategy-start"
                      >
                        {isLive(market) ? 'Armar e iniciar…' : market === 'replay' ? 'Iniciar no replay' : 'Iniciar no simulado'}
                      </Button>
                      {!canTrade && <span className={t.muted}>Seu token é só de consulta.</span>}
                      {panic && <span className={t.muted}>Bloqueado pelo PÂNICO.</span>}
                    </div>
                  </form>
                )}
              </div>
            );
          })}
        </section>
      </div>
      <ArmDialog
        open={arming}
        strategy={strategy}
        form={form}
        limits={limits}
        onLimits={setLimits}
        errors={errors}
        general={general}
        busy={busy}
        onCancel={() => setArming(false)}
        onArm={() => void start()}
      />
      <Dialog open={!!stopping} onOpenChange={(_, d) => !d.open && setStopping(undefined)}>
        <DialogSurface data-testid="strategy-stop-confirm">
          <DialogBody>
            <DialogTitle>Parar a estratégia?</DialogTitle>
            <DialogContent>
              {stopping &&
                `Parar ${stopping.name} (${stopping.symbols.join(', ')}, ${isLive(stopping.market) ? 'corretora real' : 'simulado'})? Ela deixa de enviar boletas, e as boletas dela ainda em execução são canceladas. O que já foi executado fica nas posições.`}
            </DialogContent>
            <DialogActions>
              <Button appearance="secondary" onClick={() => setStopping(undefined)}>
                Continuar rodando
              </Button>
              <Button appearance="primary" onClick={() => void stop()} disabled={busy} data-testid="strategy-stop-yes">
                Parar
              </Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
    </div>
  );
}
