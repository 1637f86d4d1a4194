/**
 * Sweeps: a grid of parameter values (every combination is one backtest), ranked by a metric. The
 * form, the sweeps with their progress, and the chosen sweep's ranked table; a row opens its run,
 * and its check box adds it to the comparison.
 */
import { Button, Checkbox, makeStyles, ProgressBar, tokens, Tooltip } from '@fluentui/react-components';
import { ChevronDown16Regular, ChevronRight16Regular, DismissCircle16Regular } from '@fluentui/react-icons';
import { useEffect, useMemo, useState } from 'react';
import type { StrategyView, SweepRowView, SweepView } from '../../../../common/backtest.js';
import { isActive, paramsText, rankLabel, rankValue, runTitle, shortMetric, sweepProgress } from '../../core/backtests.js';
import { fmtDateTime, fmtQty } from '../../core/format.js';
import { usePane } from '../context.js';
import { BacktestFormView, type BacktestFormProps } from './BacktestForm.js';
import { BacktestStateBadge } from './BacktestRuns.js';
import { VirtualTable, type Column, type CompactRows } from './VirtualTable.js';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: '8px', minHeight: 0, flex: '1 1 auto', overflowY: 'auto', overflowX: 'hidden' },
  toggle: { alignSelf: 'flex-start' },
  list: { display: 'flex', flexDirection: 'column', gap: '6px', flex: '0 0 auto' },
  card: {
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
    padding: '6px 8px',
    display: 'flex',
    flexDirection: 'column',
    gap: '3px',
    cursor: 'pointer',
    ':hover': { backgroundColor: tokens.colorNeutralBackground1Hover },
  },
  cardSelected: { border: `1px solid ${tokens.colorBrandStroke1}`, backgroundColor: tokens.colorBrandBackground2 },
  line: { display: 'flex', alignItems: 'center', gap: '6px', minWidth: 0, whiteSpace: 'nowrap', minHeight: '22px' },
  name: { fontWeight: tokens.fontWeightSemibold, overflow: 'hidden', textOverflow: 'ellipsis', minWidth: 0, flex: '1 1 auto' },
  small: { fontSize: tokens.fontSizeBase200, color: tokens.colorNeutralForeground2, overflow: 'hidden', textOverflow: 'ellipsis', minWidth: 0 },
  table: { height: '340px', display: 'flex', flex: '0 0 auto' },
  rank: { fontWeight: tokens.fontWeightSemibold, minWidth: '24px', flexShrink: 0 },
  err: { color: tokens.colorPaletteRedForeground1, overflow: 'hidden', textOverflow: 'ellipsis', minWidth: 0 },
});

type Row = SweepRowView & { rank: number };

export function SweepsPanel(props: {
  sweeps: SweepView[];
  strategies: StrategyView[] | undefined;
  names: ReadonlyMap<string, string>;
  form: Omit<BacktestFormProps, 'mode'>;
  selectedSweep: string | undefined;
  onSelectSweep: (id: string | undefined) => void;
  compare: ReadonlySet<string>;
  onToggleCompare: (runId: string) => void;
  onOpenRun: (runId: string) => void;
  emptyText: string;
}): JSX.Element {
  const s = useStyles();
  const { client, canTrade, notify } = usePane();
  const [showForm, setShowForm] = useState(props.sweeps.length === 0);
  const [detail, setDetail] = useState<SweepView | undefined>();
  const listed = props.sweeps.find((x) => x.id === props.selectedSweep);

  // The ranked rows: from the list when it carries them, else from GET /api/sweeps/:id, again as it progresses.
  useEffect(() => {
    if (!props.selectedSweep) return setDetail(undefined);
    let alive = true;
    client.request<SweepView>('GET', `/api/sweeps/${encodeURIComponent(props.selectedSweep)}`).then(
      (d) => alive && setDetail(d),
      (e: Error) => alive && notify('error', e.message),
    );
    return () => {
      alive = false;
    };
  }, [client, props.selectedSweep, listed?.done, listed?.state, notify]);

  const sweep = listed && detail && detail.id === listed.id ? { ...detail, ...listed, rows: listed.rows?.length >= (detail.rows?.length ?? 0) ? listed.rows : detail.rows } : (detail ?? listed);
  const strategy = props.strategies?.find((x) => x.id === sweep?.strategy);
  // "Média curta" rather than "Média curta (barras)": a row of a ranking has little room.
  const labels = useMemo(() => new Map((strategy?.params ?? []).map((p) => [p.name, (p.label ?? p.name).replace(/\s*\(.*\)$/, '')])), [strategy]);
  const rows: Row[] = useMemo(() => (sweep?.rows ?? []).map((r, i) => ({ ...r, rank: i + 1 })), [sweep?.rows]);
  const swept = useMemo(() => [...new Set(rows.flatMap((r) => Object.keys(r.params)))], [rows]);

  const cancel = async (id: string) => {
    try {
      await client.request('POST', `/api/sweeps/${encodeURIComponent(id)}/cancel`);
      notify('info', 'Cancelando a varredura…');
    } catch (e) {
      notify('error', (e as Error).message);
    }
  };

  const check = (r: Row) => (
    <span onClick={(e) => e.stopPropagation()}>
      <Checkbox checked={props.compare.has(r.runId)} disabled={r.state !== 'done'} onChange={() => props.onToggleCompare(r.runId)} aria-label={`Comparar a ${r.rank}ª`} data-testid="sweep-row-compare" />
    </span>
  );

  const rankKey = { totalReturn: 'ret', sharpe: 'sharpe', maxDrawdown: 'dd', hitRate: 'hit' }[sweep?.rankBy ?? 'sharpe'];
  const allColumns: Column<Row>[] = [
    { key: 'sel', label: '', width: 40, render: check },
    { key: 'rank', label: '#', width: 40, align: 'right', render: (r) => `${r.rank}º`, sortValue: (r) => r.rank },
    ...swept.map<Column<Row>>((name) => ({
      key: `p.${name}`,
      label: labels.get(name) ?? name,
      width: 100,
      align: 'right',
      render: (r) => paramsText({ [name]: r.params[name]! }).replace(/^.*? /, ''),
      sortValue: (r) => (typeof r.params[name] === 'number' ? (r.params[name] as number) : String(r.params[name])),
    })),
    { key: 'metric', label: rankLabel(sweep?.rankBy ?? 'sharpe'), width: 110, align: 'right', render: (r) => <b>{rankValue(r.metrics, sweep?.rankBy ?? 'sharpe')}</b> },
    { key: 'ret', label: 'Retorno', width: 84, align: 'right', priority: 2, render: (r) => shortMetric(r.metrics, 'totalReturn') },
    { key: 'sharpe', label: 'Sharpe', width: 70, align: 'right', priority: 2, render: (r) => shortMetric(r.metrics, 'sharpe') },
    { key: 'dd', label: 'Drawdown', width: 86, align: 'right', priority: 3, render: (r) => shortMetric(r.metrics, 'maxDrawdown') },
    { key: 'hit', label: 'Acerto', width: 70, align: 'right', priority: 4, render: (r) => shortMetric(r.metrics, 'hitRate') },
    { key: 'trades', label: 'Negócios', width: 80, align: 'right', priority: 4, render: (r) => shortMetric(r.metrics, 'trades') },
    { key: 'state', label: 'Estado', width: 96, priority: 3, flex: true, render: (r) => (r.error ? <span className={s.err} title={r.error}>{r.error}</span> : <BacktestStateBadge state={r.state} />) },
  ];
  // The ranking metric has its own column: not twice.
  const columns = allColumns.filter((c) => c.key !== rankKey);
  const compact: CompactRows<Row> = {
    belowPx: 560,
    rowHeight: 54,
    sortKeys: ['rank'],
    render: (r) => (
      <>
        <div className={s.line}>
          {check(r)}
          <span className={s.rank}>{r.rank}º</span>
          <span className={s.name} title={paramsText(r.params, labels)}>
            {paramsText(r.params, labels)}
          </span>
          {r.state !== 'done' && <BacktestStateBadge state={r.state} />}
        </div>
        <div className={s.line}>
          {r.error ? (
            <span className={s.err} title={r.error}>
              {r.error}
            </span>
          ) : (
            <span className={s.small}>
              {rankLabel(sweep?.rankBy ?? 'sharpe')} <b>{rankValue(r.metrics, sweep?.rankBy ?? 'sharpe')}</b> · retorno {shortMetric(r.metrics, 'totalReturn')} · DD {shortMetric(r.metrics, 'maxDrawdown')}
            </span>
          )}
        </div>
      </>
    ),
  };

  return (
    <div className={s.root} data-testid="sweeps-panel">
      <Button className={s.toggle} size="small" appearance="subtle" icon={showForm ? <ChevronDown16Regular /> : <ChevronRight16Regular />} onClick={() => setShowForm((v) => !v)} data-testid="sweep-form-toggle">
        Nova varredura
      </Button>
      {showForm && <BacktestFormView mode="sweep" {...props.form} />}
      <div className={s.list} aria-label="Varreduras">
        {props.sweeps.length === 0 && <span className={s.small}>{props.emptyText}</span>}
        {props.sweeps.map((x) => (
          <div
            key={x.id}
            className={`${s.card} ${x.id === props.selectedSweep ? s.cardSelected : ''}`}
            onClick={() => props.onSelectSweep(x.id === props.selectedSweep ? undefined : x.id)}
            data-testid="sweep-card"
            data-state={x.state}
          >
            <div className={s.line}>
              <BacktestStateBadge state={x.state} />
              <span className={s.name}>{runTitle(x, props.names)}</span>
              <span className={s.small} title={fmtDateTime(x.createdAt)}>
                {fmtDateTime(x.createdAt).slice(0, 5)} {fmtDateTime(x.createdAt).slice(11, 16)}
              </span>
              {isActive(x.state) && (
                <Tooltip content="Cancelar a varredura" relationship="label">
                  <Button
                    size="small"
                    appearance="subtle"
                    icon={<DismissCircle16Regular />}
                    disabled={!canTrade}
                    onClick={(e) => {
                      e.stopPropagation();
                      void cancel(x.id);
                    }}
                    data-testid="sweep-cancel"
                  />
                </Tooltip>
              )}
            </div>
            {isActive(x.state) && <ProgressBar value={sweepProgress(x)} thickness="medium" />}
            <span className={s.small} data-testid="sweep-progress">
              {fmtQty(x.done)} de {fmtQty(x.total)} combinações · ordenado por {rankLabel(x.rankBy).toLowerCase()}
              {x.workers ? ` · ${x.workers}` : ''}
            </span>
          </div>
        ))}
      </div>
      {sweep && (
        <div className={s.table}>
          <VirtualTable
            ariaLabel="Resultado da varredura"
            testId="sweep-table"
            rows={rows}
            columns={columns}
            rowKey={(r) => r.runId}
            onRowClick={(r) => props.onOpenRun(r.runId)}
            compact={compact}
            defaultSort={{ key: 'rank', dir: 'asc' }}
            emptyText={isActive(sweep.state) ? 'As primeiras combinações estão rodando…' : 'Nenhuma combinação concluída.'}
          />
        </div>
      )}
    </div>
  );
}
