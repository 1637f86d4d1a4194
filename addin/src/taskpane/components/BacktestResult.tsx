/**
 * One backtest: what ran, its progress while it runs, and when done the metric cards, the equity
 * curve with its drawdown, the execution quality of its orders, its trades and orders (paged from
 * the bridge as they scroll into view), its warnings and logs; a strategy fault is said plainly with
 * its place (hook, file:line). "Enviar para planilha" (in Excel) writes metrics, curve and trades.
 */
import { Button, makeStyles, MessageBar, MessageBarBody, MessageBarTitle, ProgressBar, Spinner, Tab, TabList, tokens, Tooltip } from '@fluentui/react-components';
import { ArrowLeft20Regular, TableArrowUp20Regular } from '@fluentui/react-icons';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { BacktestFillView, BacktestOrderView, BacktestResultView, BacktestRunView } from '../../../../common/backtest.js';
import { isActive, metricCells, pageRows, paramsText, progressText, runTitle, SOURCE_OPTIONS, specSummary } from '../../core/backtests.js';
import { fmtDateTime, fmtMoney, fmtNumber, fmtPct, fmtPrice, fmtQty } from '../../core/format.js';
import type { BridgeClient } from '../../core/bridge-client.js';
import { writeBacktestSheet } from '../../sheets/backtest-sheet.js';
import { usePane } from '../context.js';
import { BacktestStateBadge } from './BacktestRuns.js';
import { SideText, StatusBadge, useTabStyles } from './common.js';
import { EquityChart, Legend, RUN_COLORS } from './EquityChart.js';
import { slippageText } from './ExecutionQuality.js';
import { VirtualTable, type Column, type CompactRows } from './VirtualTable.js';

export type RunDetail = BacktestRunView & { result?: BacktestResultView & { totalOrders?: number; totalFills?: number } };

/** Finished runs do not change: their detail is fetched once per pane session. */
const finishedCache = new Map<string, RunDetail>();

export function fetchRunDetail(client: BridgeClient, id: string): Promise<RunDetail> {
  const hit = finishedCache.get(id);
  if (hit) return Promise.resolve(hit);
  return client.request<RunDetail>('GET', `/api/backtests/${encodeURIComponent(id)}`).then((d) => {
    if (d && !isActive(d.state) && (d.result || d.state !== 'done')) finishedCache.set(id, d);
    return d;
  });
}

export function forgetRunDetail(id: string): void {
  finishedCache.delete(id);
}

const PAGE = 1_000;
/** Trades written to a sheet at most (a sheet is for reading, not for millions of rows). */
const SHEET_MAX_FILLS = 200_000;

const useStyles = makeStyles({
  // A scrolling column: its children keep their height (a message bar squeezed by flex would cut its text).
  root: { display: 'flex', flexDirection: 'column', gap: '10px', overflowY: 'auto', overflowX: 'hidden', minHeight: 0, flex: '1 1 auto', paddingRight: '2px', '& > *': { flexShrink: 0 } },
  head: { display: 'flex', alignItems: 'center', gap: '6px', minWidth: 0, flexWrap: 'wrap' },
  title: { fontWeight: tokens.fontWeightSemibold, fontSize: tokens.fontSizeBase400, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap', minWidth: 0, flex: '1 1 120px' },
  spec: { fontSize: tokens.fontSizeBase200, color: tokens.colorNeutralForeground2, overflowWrap: 'anywhere' },
  h: { fontSize: tokens.fontSizeBase200, fontWeight: tokens.fontWeightSemibold, color: tokens.colorNeutralForeground3, textTransform: 'uppercase', letterSpacing: '0.05em' },
  quality: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(180px, 1fr))', gap: '2px 12px' },
  qItem: { display: 'flex', justifyContent: 'space-between', gap: '8px', fontSize: tokens.fontSizeBase200, borderBottom: `1px solid ${tokens.colorNeutralStroke3}`, padding: '2px 0' },
  qLabel: { color: tokens.colorNeutralForeground3 },
  qValue: { fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' },
  worse: { color: tokens.colorPaletteRedForeground1 },
  better: { color: tokens.colorPaletteGreenForeground1 },
  table: { height: '330px', display: 'flex', flex: '0 0 auto' },
  list: { margin: 0, padding: '6px 8px', fontSize: tokens.fontSizeBase200, fontFamily: tokens.fontFamilyMonospace, backgroundColor: tokens.colorNeutralBackground2, borderRadius: tokens.borderRadiusMedium, overflowY: 'auto', overflowX: 'hidden', height: '310px', listStyle: 'none', overflowWrap: 'anywhere' },
  // Short figures: three cards a row at 420 px, all ten in one row on a desktop.
  cards: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(116px, 1fr))', gap: '6px' },
  card: { border: `1px solid ${tokens.colorNeutralStroke2}`, borderRadius: tokens.borderRadiusMedium, padding: '4px 8px', backgroundColor: tokens.colorNeutralBackground2, minWidth: 0 },
  cardLabel: { fontSize: tokens.fontSizeBase100, color: tokens.colorNeutralForeground3, fontWeight: tokens.fontWeightSemibold },
  cardValue: { fontSize: tokens.fontSizeBase300, fontWeight: tokens.fontWeightSemibold, fontVariantNumeric: 'tabular-nums', overflowWrap: 'anywhere' },
  cardHint: { fontSize: tokens.fontSizeBase100, color: tokens.colorNeutralForeground3 },
  faultMsg: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, overflowWrap: 'anywhere', margin: '2px 0' },
  stats: { fontSize: tokens.fontSizeBase100, color: tokens.colorNeutralForeground3 },
  line: { display: 'flex', alignItems: 'center', gap: '6px', minWidth: 0, height: '20px', whiteSpace: 'nowrap' },
  sub: { color: tokens.colorNeutralForeground2, overflow: 'hidden', textOverflow: 'ellipsis', minWidth: 0 },
  time: { marginLeft: 'auto', color: tokens.colorNeutralForeground3, flexShrink: 0 },
  reason: { color: tokens.colorPaletteRedForeground1, overflow: 'hidden', textOverflow: 'ellipsis', minWidth: 0, flex: '1 1 0' },
});

/** "03/01/24 10:05" — short enough for a 420 px table. */
const shortDateTime = (iso: string) => {
  const f = fmtDateTime(iso);
  return f === '—' ? f : `${f.slice(0, 6)}${f.slice(8, 16)}`;
};

function Slip({ bps }: { bps: number | null | undefined }): JSX.Element {
  const s = useStyles();
  const v = bps ?? undefined;
  return <span className={`${s.qValue} ${v !== undefined && v > 0 ? s.worse : v !== undefined && v < 0 ? s.better : ''}`}>{slippageText(v)}</span>;
}

export function BacktestResult({ id, live, names, onBack, backLabel }: { id: string; live?: BacktestRunView; names: ReadonlyMap<string, string>; onBack: () => void; backLabel: string }): JSX.Element {
  const t = useTabStyles();
  const s = useStyles();
  const { client, workbook, notify } = usePane();
  const [detail, setDetail] = useState<RunDetail | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [view, setView] = useState<'fills' | 'orders' | 'logs' | 'warnings'>('fills');
  const [fills, setFills] = useState<BacktestFillView[]>([]);
  const [orders, setOrders] = useState<BacktestOrderView[]>([]);
  const [sending, setSending] = useState(false);
  const loading = useRef({ fills: false, orders: false });

  const state = live?.state ?? detail?.state;
  // Load when opened and again when the run ends.
  useEffect(() => {
    let alive = true;
    fetchRunDetail(client, id).then(
      (d) => {
        if (!alive) return;
        setDetail(d);
        setError(undefined);
        setFills(d.result?.fills ?? []);
        setOrders(d.result?.orders ?? []);
      },
      (e: Error) => alive && setError(e.message),
    );
    return () => {
      alive = false;
    };
  }, [client, id, state && isActive(state) ? 'active' : state]);

  const run: BacktestRunView | undefined = live ? { ...detail, ...live } : detail;
  const result = detail?.result;
  const totalFills = result?.totalFills ?? fills.length;
  const totalOrders = result?.totalOrders ?? orders.length;

  const loadMore = useCallback(
    (kind: 'fills' | 'orders') => {
      const have = kind === 'fills' ? fills.length : orders.length;
      const total = kind === 'fills' ? totalFills : totalOrders;
      if (loading.current[kind] || have >= total) return;
      loading.current[kind] = true;
      client
        .request<unknown>('GET', `/api/backtests/${encodeURIComponent(id)}/${kind}?offset=${have}&limit=${PAGE}`)
        .then((data) => {
          const { rows } = pageRows<BacktestFillView & BacktestOrderView>(data, kind);
          if (kind === 'fills') setFills((f) => (f.length === have ? f.concat(rows) : f));
          else setOrders((o) => (o.length === have ? o.concat(rows) : o));
        })
        .catch((e: Error) => notify('error', e.message))
        .finally(() => (loading.current[kind] = false));
    },
    [client, id, fills.length, orders.length, totalFills, totalOrders, notify],
  );
  const moreFills = useCallback(() => loadMore('fills'), [loadMore]);
  const moreOrders = useCallback(() => loadMore('orders'), [loadMore]);

  const equitySeries = useMemo(() => (result ? [{ id, name: 'Patrimônio (R$)', color: RUN_COLORS[0]!, points: result.equity }] : []), [id, result]);

  const toSheet = async () => {
    if (!workbook || !run || !result) return;
    setSending(true);
    try {
      // Every trade, page by page (the detail holds the first thousand).
      let all = fills;
      while (all.length < Math.min(totalFills, SHEET_MAX_FILLS)) {
        const data = await client.request<unknown>('GET', `/api/backtests/${encodeURIComponent(id)}/fills?offset=${all.length}&limit=5000`, undefined, { timeoutMs: 60_000 });
        const { rows } = pageRows<BacktestFillView>(data, 'fills');
        if (rows.length === 0) break;
        all = all.concat(rows);
      }
      const sheet = await writeBacktestSheet(workbook, run, result, all.slice(0, SHEET_MAX_FILLS), names.get(run.strategy));
      const cut = totalFills > SHEET_MAX_FILLS ? ` (os primeiros ${fmtQty(SHEET_MAX_FILLS)} de ${fmtQty(totalFills)} negócios)` : '';
      notify('success', `Métricas, curva e ${fmtQty(Math.min(all.length, SHEET_MAX_FILLS))} negócios na planilha "${sheet}"${cut}.`);
    } catch (e) {
      notify('error', `Não consegui escrever na planilha: ${(e as Error).message}`);
    } finally {
      setSending(false);
    }
  };

  const fillColumns: Column<BacktestFillView>[] = [
    { key: 't', label: 'Data', width: 104, render: (f) => shortDateTime(f.t), title: (f) => fmtDateTime(f.t) },
    { key: 'symbol', label: 'Ativo', width: 66, render: (f) => <b>{f.symbol}</b> },
    { key: 'side', label: 'Lado', width: 72, render: (f) => <SideText side={f.side} /> },
    { key: 'qty', label: 'Qtd', width: 66, align: 'right', render: (f) => fmtQty(f.qty) },
    { key: 'price', label: 'Preço', width: 76, align: 'right', render: (f) => fmtPrice(f.price) },
    { key: 'fees', label: 'Custos', width: 84, align: 'right', priority: 2, render: (f) => fmtMoney(f.feesBrl) },
    { key: 'order', label: 'Ordem', width: 130, priority: 3, flex: true, render: (f) => <span style={{ fontFamily: 'monospace', fontSize: 11 }}>{f.orderId}</span> },
  ];

  const orderColumns: Column<BacktestOrderView>[] = [
    { key: 'status', label: 'Status', width: 100, render: (o) => <StatusBadge status={o.status} title={o.statusReason} /> },
    { key: 't', label: 'Data', width: 104, render: (o) => shortDateTime(o.createdAt), title: (o) => fmtDateTime(o.createdAt) },
    { key: 'symbol', label: 'Ativo', width: 66, render: (o) => <b>{o.symbol}</b> },
    { key: 'side', label: 'Lado', width: 72, render: (o) => <SideText side={o.side} /> },
    { key: 'qty', label: 'Qtd', width: 70, align: 'right', render: (o) => fmtQty(o.qty) },
    { key: 'filled', label: 'Executado', width: 80, align: 'right', render: (o) => fmtQty(o.filledQty) },
    { key: 'avg', label: 'Preço médio', width: 88, align: 'right', render: (o) => (o.filledQty > 0 ? fmtPrice(o.avgPrice) : '—') },
    { key: 'algo', label: 'Tipo', width: 70, render: (o) => o.algo },
    { key: 'slipA', label: 'Desvio chegada', width: 110, align: 'right', priority: 2, render: (o) => <Slip bps={o.slippageVsArrivalBps} /> },
    { key: 'slipV', label: 'Desvio VWAP', width: 110, align: 'right', priority: 2, render: (o) => <Slip bps={o.slippageVsVwapBps} /> },
    { key: 'part', label: 'Part.', width: 64, align: 'right', priority: 3, render: (o) => (o.participationRate !== undefined ? fmtPct(o.participationRate * 100, 1) : '—') },
    { key: 'reason', label: 'Motivo', width: 140, priority: 4, flex: true, render: (o) => o.statusReason ?? '', title: (o) => o.statusReason },
  ];
  const orderCompact: CompactRows<BacktestOrderView> = {
    belowPx: 720,
    rowHeight: 48,
    sortKeys: [],
    render: (o) => (
      <>
        <div className={s.line}>
          <StatusBadge status={o.status} title={o.statusReason} />
          <b>{o.symbol}</b>
          <SideText side={o.side} />
          <span>{fmtQty(o.qty)}</span>
          <span className={s.sub}>{o.limitPrice ? `@ ${fmtPrice(o.limitPrice)}` : 'mercado'}</span>
          <span className={s.time} title={fmtDateTime(o.createdAt)}>
            {shortDateTime(o.createdAt)}
          </span>
        </div>
        <div className={s.line}>
          <span className={s.sub}>
            exec. {fmtQty(o.filledQty)} · PM {o.filledQty > 0 ? fmtPrice(o.avgPrice) : '—'} · chegada {slippageText(o.slippageVsArrivalBps)}
          </span>
          {o.statusReason && (
            <span className={s.reason} title={o.statusReason}>
              {o.statusReason}
            </span>
          )}
        </div>
      </>
    ),
  };

  const active = run ? isActive(run.state) : false;
  const q = result?.executionQuality;
  const spec = run?.spec;

  return (
    <div className={s.root} data-testid="backtest-result" data-state={run?.state}>
      <div className={s.head}>
        <Button size="small" appearance="subtle" icon={<ArrowLeft20Regular />} onClick={onBack} data-testid="result-back">
          {backLabel}
        </Button>
        {run && <BacktestStateBadge state={run.state} />}
        <span className={s.title} title={run ? runTitle(run, names) : ''}>
          {run ? runTitle(run, names) : 'Backtest'}
        </span>
        {workbook ? (
          <Button size="small" icon={<TableArrowUp20Regular />} disabled={!result || sending} onClick={() => void toSheet()} data-testid="result-to-sheet">
            {sending ? 'Enviando…' : 'Enviar para planilha'}
          </Button>
        ) : (
          <Tooltip content="No Excel, escreve métricas, curva e negócios como tabelas numa planilha. Aqui no navegador não há planilha." relationship="description">
            <Button size="small" icon={<TableArrowUp20Regular />} disabled data-testid="result-to-sheet">
              Enviar para planilha
            </Button>
          </Tooltip>
        )}
      </div>
      {error && !run && (
        <MessageBar intent="error">
          <MessageBarBody>{error}</MessageBarBody>
        </MessageBar>
      )}
      {!run && !error && <Spinner size="small" label="Carregando…" />}
      {run && spec && (
        <div className={s.spec} data-testid="result-spec">
          {names.get(run.strategy) ?? run.strategy} · {specSummary(spec)}
          {Object.keys(spec.params ?? {}).length > 0 && ` · ${paramsText(spec.params)}`} · clientes {(spec.clients ?? []).join(', ')} com {fmtMoney(spec.cashBrl)} cada · semente {spec.seed}
          {spec.riskFreeAnnual ? ` · CDI ${fmtPct(spec.riskFreeAnnual * 100)} a.a.` : ''} · fonte {SOURCE_OPTIONS.find((o) => o.value === spec.source)?.label.replace(/ \(.*\)$/, '').toLowerCase() ?? spec.source}
        </div>
      )}
      {run && active && (
        <div data-testid="result-progress">
          <ProgressBar value={run.state === 'queued' ? undefined : run.progress} thickness="large" />
          <span className={s.spec}>{progressText(run)}</span>
        </div>
      )}
      {run?.fault && (
        <MessageBar intent="error" layout="multiline" data-testid="result-fault">
          <MessageBarBody>
            <MessageBarTitle>A estratégia falhou{run.fault.hook ? ` em ${run.fault.hook}` : ''}</MessageBarTitle>
            <div className={s.faultMsg}>{run.fault.message}</div>
            <div className={s.spec} data-testid="result-fault-place">
              {run.fault.location ? `Onde: ${run.fault.location}${run.fault.hook ? ` (no ${run.fault.hook})` : ''}. Corrija a estratégia e rode de novo.` : 'Corrija a estratégia e rode de novo.'}
            </div>
          </MessageBarBody>
        </MessageBar>
      )}
      {run?.error && !run.fault && (
        <MessageBar intent={run.state === 'cancelled' ? 'warning' : 'error'} layout="multiline" data-testid="result-error">
          <MessageBarBody>{run.error}</MessageBarBody>
        </MessageBar>
      )}
      {result && result.warnings.length > 0 && (
        <MessageBar intent="warning" layout="multiline" data-testid="result-warnings-bar">
          <MessageBarBody>
            {result.warnings.length === 1 ? result.warnings[0] : `${fmtQty(result.warnings.length)} avisos: ${result.warnings[0]} …`}{' '}
            {result.warnings.length > 1 && (
              <Button size="small" appearance="transparent" onClick={() => setView('warnings')}>
                ver todos
              </Button>
            )}
          </MessageBarBody>
        </MessageBar>
      )}
      {(result?.metrics ?? run?.metrics) && (
        <div className={s.cards} data-testid="result-cards">
          {metricCells(result?.metrics ?? run?.metrics).map((c) => (
            <div key={c.key} className={s.card}>
              <div className={s.cardLabel}>{c.label}</div>
              <div className={`${s.cardValue} ${c.tone === 'pos' ? t.pos : c.tone === 'neg' ? t.neg : ''}`} data-testid={`metric-${c.key}`}>
                {c.text}
              </div>
              {c.hint && <div className={s.cardHint}>{c.hint}</div>}
            </div>
          ))}
        </div>
      )}
      {result && (
        <>
          <div>
            <div className={s.h}>Patrimônio e drawdown</div>
            <Legend
              series={[
                { id: 'eq', name: 'Patrimônio (R$)', color: RUN_COLORS[0]! },
                { id: 'dd', name: 'Drawdown (% abaixo do pico)', color: '#c50f1f' },
              ]}
            />
          </div>
          <EquityChart
            series={equitySeries}
            drawdown={result.drawdown}
            mode="equity"
            height={300}
            testId="equity-chart"
            ariaLabel={`Patrimônio de ${fmtMoney(result.metrics.startEquityBrl)} a ${fmtMoney(result.metrics.endEquityBrl)}; drawdown máximo ${fmtPct(result.metrics.maxDrawdown * 100)}`}
          />
          {q && (
            <div data-testid="result-quality">
              <div className={s.h}>Qualidade de execução ({fmtQty(q.orders)} ordens)</div>
              <div className={s.quality}>
                <div className={s.qItem}>
                  <span className={s.qLabel}>Desvio vs chegada</span>
                  <Slip bps={q.slippageVsArrivalBps} />
                </div>
                <div className={s.qItem}>
                  <span className={s.qLabel}>Desvio vs VWAP</span>
                  <Slip bps={q.slippageVsVwapBps} />
                </div>
                <div className={s.qItem}>
                  <span className={s.qLabel}>Participação no volume</span>
                  <span className={s.qValue}>{q.participationRate !== null && q.participationRate !== undefined ? fmtPct(q.participationRate * 100, 1) : '—'}</span>
                </div>
                <div className={s.qItem}>
                  <span className={s.qLabel}>Ordens filhas</span>
                  <span className={s.qValue}>{fmtQty(q.children)}</span>
                </div>
                <div className={s.qItem}>
                  <span className={s.qLabel}>Re-preços</span>
                  <span className={s.qValue}>{fmtQty(q.reprices)}</span>
                </div>
              </div>
              <span className={s.stats}>Desvios em bps ponderados pela quantidade; positivo = pior para o lado da ordem.</span>
            </div>
          )}
          <TabList size="small" selectedValue={view} onTabSelect={(_, d) => setView(d.value as typeof view)}>
            <Tab value="fills" data-testid="result-tab-fills">
              Negócios ({fmtQty(totalFills)})
            </Tab>
            <Tab value="orders" data-testid="result-tab-orders">
              Ordens ({fmtQty(totalOrders)})
            </Tab>
            <Tab value="logs" data-testid="result-tab-logs">
              Logs ({fmtQty(result.logs.length)})
            </Tab>
            <Tab value="warnings" data-testid="result-tab-warnings">
              Avisos ({fmtQty(result.warnings.length)})
            </Tab>
          </TabList>
          {view === 'fills' && (
            <div className={s.table}>
              <VirtualTable
                ariaLabel="Negócios do backtest"
                testId="result-fills"
                rows={fills}
                columns={fillColumns}
                rowKey={(f) => `${f.orderId}|${f.t}|${f.qty}|${f.price}`}
                onEndReached={moreFills}
                emptyText="A estratégia não negociou neste período."
              />
            </div>
          )}
          {view === 'orders' && (
            <div className={s.table}>
              <VirtualTable ariaLabel="Ordens do backtest" testId="result-orders" rows={orders} columns={orderColumns} rowKey={(o) => o.id} compact={orderCompact} onEndReached={moreOrders} emptyText="A estratégia não enviou ordens neste período." />
            </div>
          )}
          {view === 'logs' && (
            <ul className={s.list} data-testid="result-logs">
              {result.logs.length === 0 && <li>A estratégia não escreveu no log (ctx.log).</li>}
              {result.logs.map((l, i) => (
                <li key={i}>
                  {shortDateTime(l.t)} {l.message}
                </li>
              ))}
            </ul>
          )}
          {view === 'warnings' && (
            <ul className={s.list} data-testid="result-warnings">
              {result.warnings.length === 0 && <li>Nenhum aviso.</li>}
              {result.warnings.map((w, i) => (
                <li key={i}>{w}</li>
              ))}
            </ul>
          )}
          <div className={s.stats} data-testid="result-stats">
            {fmtNumber(result.stats.events, 0)} eventos em {fmtNumber(result.stats.elapsedMs / 1000, 1)} s ({fmtNumber(result.stats.eventsPerSec, 0)}/s) · {fmtNumber(result.stats.rows, 0)} linhas ({result.stats.source.replace(/ trades\b/g, ' negócios')})
            {run?.finishedAt ? ` · concluído ${fmtDateTime(run.finishedAt)}` : ''}
          </div>
        </>
      )}
      {run && run.state === 'done' && !result && !error && <Spinner size="small" label="Carregando resultado…" />}
      {error && run && (
        <MessageBar intent="error">
          <MessageBarBody>{error}</MessageBarBody>
        </MessageBar>
      )}
      {run && !active && !result && run.state !== 'done' && (
        <span className={s.stats}>
          Criado em {fmtDateTime(run.createdAt)}
          {run.finishedAt ? ` · encerrado em ${fmtDateTime(run.finishedAt)}` : ''}
        </span>
      )}
    </div>
  );
}
