/**
 * The runs: state, what ran, progress while running (percent, events per second, time left), the
 * headline figures when done; cancel, delete (after a confirmation), and a check box to compare.
 * Columns on a wide pane; two-line rows in a task pane.
 */
import { Badge, Button, Checkbox, Dialog, DialogActions, DialogBody, DialogContent, DialogSurface, DialogTitle, makeStyles, ProgressBar, tokens, Tooltip } from '@fluentui/react-components';
import { Delete16Regular, DismissCircle16Regular } from '@fluentui/react-icons';
import { useState } from 'react';
import type { BacktestRunView, BacktestState } from '../../../../common/backtest.js';
import { BACKTEST_STATE_LABELS, isActive, metricCells, progressText, runTitle, shortMetric, specSummary } from '../../core/backtests.js';
import { fmtDateTime } from '../../core/format.js';
import { usePane } from '../context.js';
import { VirtualTable, type Column, type CompactRows } from './VirtualTable.js';

const COLORS: Record<BacktestState, 'brand' | 'success' | 'danger' | 'informative' | 'subtle'> = {
  queued: 'informative',
  running: 'brand',
  done: 'success',
  failed: 'danger',
  cancelled: 'subtle',
};

export function BacktestStateBadge({ state }: { state: BacktestState }): JSX.Element {
  return (
    <Badge appearance={state === 'failed' ? 'filled' : 'tint'} color={COLORS[state]} size="small" data-state={state} style={{ flexShrink: 0 }}>
      {BACKTEST_STATE_LABELS[state] ?? state}
    </Badge>
  );
}

const useStyles = makeStyles({
  line: { display: 'flex', alignItems: 'center', gap: '6px', minWidth: 0, height: '22px', whiteSpace: 'nowrap' },
  title: { fontWeight: tokens.fontWeightSemibold, overflow: 'hidden', textOverflow: 'ellipsis', minWidth: 0, flex: '1 1 auto' },
  sub: { color: tokens.colorNeutralForeground2, overflow: 'hidden', textOverflow: 'ellipsis', minWidth: 0 },
  time: { color: tokens.colorNeutralForeground3, flexShrink: 0 },
  bar: { width: '70px', flexShrink: 0 },
  progress: { display: 'flex', alignItems: 'center', gap: '6px', minWidth: 0 },
  err: { color: tokens.colorPaletteRedForeground1, overflow: 'hidden', textOverflow: 'ellipsis', minWidth: 0 },
  pos: { color: tokens.colorPaletteGreenForeground1 },
  neg: { color: tokens.colorPaletteRedForeground1 },
  actions: { display: 'flex', gap: '2px', flexShrink: 0 },
});

const stop = (e: React.SyntheticEvent) => e.stopPropagation();

/** "dd/mm hh:mm" — the year is rarely news in a list of today's runs. */
const shortWhen = (iso: string) => fmtDateTime(iso).slice(0, 5) + ' ' + fmtDateTime(iso).slice(11, 16);

export function BacktestRuns(props: {
  runs: BacktestRunView[];
  names: ReadonlyMap<string, string>;
  selected: ReadonlySet<string>;
  onToggle: (id: string) => void;
  onOpen: (id: string) => void;
  onDeleted?: (id: string) => void;
  emptyText: string;
  testId: string;
}): JSX.Element {
  const s = useStyles();
  const { client, canTrade, notify } = usePane();
  const [confirmDelete, setConfirmDelete] = useState<BacktestRunView | undefined>();
  const [busy, setBusy] = useState(false);

  const cancel = async (r: BacktestRunView) => {
    try {
      await client.request('POST', `/api/backtests/${encodeURIComponent(r.id)}/cancel`);
      notify('info', `Cancelando ${runTitle(r, props.names)}…`);
    } catch (e) {
      notify('error', (e as Error).message);
    }
  };
  const remove = async () => {
    const r = confirmDelete;
    if (!r) return;
    setBusy(true);
    try {
      await client.request('DELETE', `/api/backtests/${encodeURIComponent(r.id)}`);
      notify('success', `${runTitle(r, props.names)} apagado.`);
      props.onDeleted?.(r.id);
    } catch (e) {
      notify('error', (e as Error).message);
    } finally {
      setBusy(false);
      setConfirmDelete(undefined);
    }
  };

  const headline = (r: BacktestRunView): JSX.Element => {
    if (isActive(r.state)) {
      return (
        <span className={s.progress} data-testid="run-progress">
          <ProgressBar className={s.bar} value={r.state === 'queued' ? undefined : Math.max(0.01, r.progress ?? 0)} thickness="medium" />
          <span className={s.sub}>{progressText(r)}</span>
        </span>
      );
    }
    if (r.state === 'failed') return <span className={s.err} title={r.fault?.message ?? r.error}>{r.fault ? `falha em ${r.fault.hook}: ${r.fault.message}` : r.error ?? 'falhou'}</span>;
    if (r.state === 'cancelled') return <span className={s.sub}>cancelado{r.metrics ? ` · retorno até ali ${shortMetric(r.metrics, 'totalReturn')}` : ''}</span>;
    const ret = metricCells(r.metrics).find((c) => c.key === 'totalReturn')!;
    return (
      <span className={s.sub}>
        <span className={ret.tone === 'pos' ? s.pos : ret.tone === 'neg' ? s.neg : undefined}>{ret.text}</span> · Sharpe {shortMetric(r.metrics, 'sharpe')} · DD {shortMetric(r.metrics, 'maxDrawdown')}
      </span>
    );
  };

  const actions = (r: BacktestRunView): JSX.Element => (
    <span className={s.actions} onClick={stop}>
      {isActive(r.state) ? (
        <Tooltip content="Cancelar" relationship="label">
          <Button size="small" appearance="subtle" icon={<DismissCircle16Regular />} disabled={!canTrade} onClick={() => void cancel(r)} data-testid="run-cancel" />
        </Tooltip>
      ) : r.sweepId ? null : (
        <Tooltip content="Apagar" relationship="label">
          <Button size="small" appearance="subtle" icon={<Delete16Regular />} disabled={!canTrade} onClick={() => setConfirmDelete(r)} data-testid="run-delete" />
        </Tooltip>
      )}
    </span>
  );

  const check = (r: BacktestRunView): JSX.Element => (
    <span onClick={stop}>
      <Checkbox
        checked={props.selected.has(r.id)}
        disabled={r.state !== 'done'}
        onChange={() => props.onToggle(r.id)}
        aria-label={`Comparar ${runTitle(r, props.names)}`}
        data-testid="run-compare"
        size="medium"
      />
    </span>
  );

  const columns: Column<BacktestRunView>[] = [
    { key: 'sel', label: '', width: 40, render: check },
    { key: 'state', label: 'Estado', width: 96, render: (r) => <BacktestStateBadge state={r.state} />, sortValue: (r) => r.state },
    { key: 'title', label: 'Execução', width: 170, render: (r) => <b title={runTitle(r, props.names)}>{runTitle(r, props.names)}</b>, sortValue: (r) => runTitle(r, props.names) },
    { key: 'spec', label: 'Ativos e período', width: 240, priority: 2, render: (r) => specSummary(r.spec), title: (r) => specSummary(r.spec) },
    { key: 'result', label: 'Progresso / resultado', width: 260, flex: true, render: headline },
    { key: 'created', label: 'Criado', width: 96, priority: 3, render: (r) => shortWhen(r.createdAt), sortValue: (r) => r.createdAt, title: (r) => fmtDateTime(r.createdAt) },
    { key: 'actions', label: '', width: 44, render: actions },
  ];

  const compact: CompactRows<BacktestRunView> = {
    belowPx: 720,
    rowHeight: 70,
    sortKeys: ['created', 'state', 'title'],
    render: (r) => (
      <>
        <div className={s.line}>
          {check(r)}
          <BacktestStateBadge state={r.state} />
          <span className={s.title} title={runTitle(r, props.names)}>
            {runTitle(r, props.names)}
          </span>
          <span className={s.time}>{shortWhen(r.createdAt)}</span>
          {actions(r)}
        </div>
        <div className={s.line}>
          <span className={s.sub} title={specSummary(r.spec)}>
            {specSummary(r.spec)}
          </span>
        </div>
        <div className={s.line}>{headline(r)}</div>
      </>
    ),
  };

  return (
    <>
      <VirtualTable
        ariaLabel="Execuções de backtest"
        testId={props.testId}
        rows={props.runs}
        columns={columns}
        rowKey={(r) => r.id}
        onRowClick={(r) => props.onOpen(r.id)}
        compact={compact}
        rowHeight={34}
        defaultSort={{ key: 'created', dir: 'desc' }}
        emptyText={props.emptyText}
      />
      <Dialog open={!!confirmDelete} onOpenChange={(_, d) => !d.open && setConfirmDelete(undefined)}>
        <DialogSurface data-testid="run-delete-confirm">
          <DialogBody>
            <DialogTitle>Apagar o backtest?</DialogTitle>
            <DialogContent>
              {confirmDelete &&
                `Apagar “${runTitle(confirmDelete, props.names)}” (${specSummary(confirmDelete.spec)}), com suas ordens, negócios e curvas? Para ter o mesmo resultado de novo, rode com os mesmos dados e a mesma semente.`}
            </DialogContent>
            <DialogActions>
              <Button appearance="secondary" onClick={() => setConfirmDelete(undefined)}>
                Manter
              </Button>
              <Button appearance="primary" onClick={() => void remove()} disabled={busy} data-testid="run-delete-yes">
                Apagar
              </Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
    </>
  );
}
