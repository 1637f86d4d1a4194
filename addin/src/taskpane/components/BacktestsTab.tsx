/**
 * Backtests: run a strategy over stored history through the same OMS, algos and risk gate as live
 * (PRODUCT.md §1). Four views: a new run (the form), the runs (progress, cancel, delete, pick to
 * compare), the comparison, and sweeps (a grid of parameter values, ranked). A run opens in place
 * with its metrics, curves, trades and orders. The lists are live on the `backtests` and `sweeps`
 * channels (polled when the bridge does not offer them).
 */
import { CounterBadge, Tab, TabList } from '@fluentui/react-components';
import { useCallback, useMemo, useState } from 'react';
import type { BacktestRunView, StrategyView, SweepView } from '../../../../common/backtest.js';
import {
  backtestFieldKeys,
  buildBacktestRequest,
  buildSweepRequest,
  emptyBacktestForm,
  isActive,
  mergeLive,
  placeApiErrors,
  runTitle,
  type BacktestForm,
  type FieldErrors,
  type RankBy,
} from '../../core/backtests.js';
import { isBridgeError } from '../../core/bridge-client.js';
import { fmtQty } from '../../core/format.js';
import { STRATEGIES_PATH, type StrategiesListView } from '../../core/strategies.js';
import { usePane } from '../context.js';
import { useAsync, useConnection, useLiveList } from '../hooks.js';
import { BacktestCompare } from './BacktestCompare.js';
import { BacktestFormView } from './BacktestForm.js';
import { BacktestResult, forgetRunDetail } from './BacktestResult.js';
import { BacktestRuns } from './BacktestRuns.js';
import { useTabStyles } from './common.js';
import { SweepsPanel } from './SweepsPanel.js';

type Mode = 'new' | 'runs' | 'compare' | 'sweeps';

const BACK_LABELS: Record<Mode, string> = { new: 'Novo', runs: 'Execuções', compare: 'Comparação', sweeps: 'Varredura' };

const mergeRuns = (known: BacktestRunView[], data: unknown) => mergeLive<BacktestRunView>(known, data);
const mergeSweeps = (known: SweepView[], data: unknown) => mergeLive<SweepView>(known, data);
const anyRunActive = (runs: BacktestRunView[]) => runs.some((r) => isActive(r.state));
const anySweepActive = (s: SweepView[]) => s.some((x) => isActive(x.state));

export function useStrategies(): ReturnType<typeof useAsync<StrategiesListView>> {
  const { client } = usePane();
  const open = useConnection(client).state === 'open';
  return useAsync(() => client.cachedGet<StrategiesListView>(STRATEGIES_PATH, 30_000), [client, open]);
}

export function BacktestsTab(): JSX.Element {
  const t = useTabStyles();
  const { client, notify } = usePane();
  const [mode, setMode] = useState<Mode>('new');
  const [open, setOpen] = useState<{ id: string; back: Mode } | undefined>();
  const runs = useLiveList<BacktestRunView>(client, 'backtests', '/api/backtests', mergeRuns, anyRunActive);
  const sweeps = useLiveList<SweepView>(client, 'sweeps', '/api/sweeps', mergeSweeps, anySweepActive);
  const strategies = useStrategies();
  const list: StrategyView[] | undefined = strategies.data?.strategies;
  const names = useMemo(() => new Map((list ?? []).map((x) => [x.id, x.name])), [list]);

  const [form, setForm] = useState<BacktestForm>(() => emptyBacktestForm());
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [grid, setGrid] = useState<Record<string, string>>({});
  const [rankBy, setRankBy] = useState<RankBy>('sharpe');
  const [sweepErrors, setSweepErrors] = useState<FieldErrors>({});
  const [sweepGeneral, setSweepGeneral] = useState<string[]>([]);
  const [selectedSweep, setSelectedSweep] = useState<string | undefined>();
  const [compare, setCompare] = useState<string[]>([]);

  const strategy = list?.find((x) => x.id === form.strategy);
  const onForm = (f: BacktestForm) => {
    if (f.strategy !== form.strategy) setGrid({});
    setForm(f);
  };

  const fail = (e: unknown, keys: string[], setF: (f: FieldErrors) => void, setG: (g: string[]) => void) => {
    if (isBridgeError(e) && e.errors.length > 0) {
      const placed = placeApiErrors(e.errors, keys);
      setF(placed.fields);
      setG(placed.general);
    } else {
      setF({});
      setG([(e as Error).message]);
    }
  };

  const submitRun = async () => {
    const built = buildBacktestRequest(form, strategy);
    setGeneral([]);
    if (!built.ok) return setErrors(built.errors);
    setErrors({});
    setBusy(true);
    try {
      const run = await client.request<BacktestRunView>('POST', '/api/backtests', built.body);
      runs.apply(run);
      notify('success', `Backtest de ${runTitle(run, names)} iniciado.`);
      setMode('runs');
    } catch (e) {
      fail(e, backtestFieldKeys(strategy), setErrors, setGeneral);
    } finally {
      setBusy(false);
    }
  };

  const submitSweep = async () => {
    const built = buildSweepRequest(form, strategy, grid, rankBy);
    setSweepGeneral([]);
    if (!built.ok) return setSweepErrors(built.errors);
    setSweepErrors({});
    setBusy(true);
    try {
      const sweep = await client.request<SweepView>('POST', '/api/sweeps', built.body);
      sweeps.apply(sweep);
      setSelectedSweep(sweep.id);
      notify('success', `Varredura de ${fmtQty(sweep.total)} combinações iniciada.`);
    } catch (e) {
      fail(e, backtestFieldKeys(strategy, true), setSweepErrors, setSweepGeneral);
    } finally {
      setBusy(false);
    }
  };

  const toggleCompare = useCallback((id: string) => setCompare((c) => (c.includes(id) ? c.filter((x) => x !== id) : [...c, id])), []);
  const openRun = (id: string, back: Mode) => setOpen({ id, back });
  const onDeleted = (id: string) => {
    runs.apply({ id, deleted: true });
    forgetRunDetail(id);
    setCompare((c) => c.filter((x) => x !== id));
  };

  // A sweep's runs live in its ranked table (the bridge lists them there, not here).
  const shown = runs.items.filter((r) => !r.sweepId);
  const running = shown.filter((r) => isActive(r.state)).length;
  const emptyRuns = runs.error && runs.items.length === 0 ? runs.error : runs.loaded ? 'Nenhum backtest ainda: preencha Novo e clique em Rodar backtest.' : 'Carregando…';
  const live = open ? runs.items.find((r) => r.id === open.id) : undefined;

  const formProps = {
    form,
    onForm,
    strategies: list,
    strategiesError: strategies.error?.message,
  };

  return (
    <div className={t.root} data-testid="tab-backtests">
      <TabList
        size="small"
        style={{ flexWrap: 'wrap', flexShrink: 0 }}
        selectedValue={mode}
        onTabSelect={(_, d) => {
          setMode(d.value as Mode);
          setOpen(undefined);
        }}
      >
        <Tab value="new" data-testid="backtests-new">
          Novo
        </Tab>
        <Tab value="runs" data-testid="backtests-runs">
          Execuções
          {running > 0 && (
            <CounterBadge count={running} size="small" color="informative" appearance="filled" title={`${running} rodando`} style={{ marginLeft: 4 }} />
          )}
        </Tab>
        <Tab value="compare" data-testid="backtests-compare">
          Comparar{compare.length ? ` (${compare.length})` : ''}
        </Tab>
        <Tab value="sweeps" data-testid="backtests-sweeps">
          Varreduras
        </Tab>
      </TabList>
      {open ? (
        <BacktestResult key={open.id} id={open.id} live={live} names={names} onBack={() => setOpen(undefined)} backLabel={BACK_LABELS[open.back]} />
      ) : mode === 'new' ? (
        <div style={{ overflowY: 'auto', overflowX: 'hidden', minHeight: 0 }}>
          <BacktestFormView mode="run" {...formProps} errors={errors} general={general} busy={busy} onSubmit={() => void submitRun()} />
        </div>
      ) : mode === 'runs' ? (
        <>
          <div className={t.toolbar}>
            <span className={t.muted} data-testid="runs-count">
              {fmtQty(shown.length)} {shown.length === 1 ? 'execução' : 'execuções'}
              {running ? ` · ${running} rodando` : ''}
              {compare.length ? ` · ${compare.length} marcadas` : ''}
            </span>
          </div>
          <BacktestRuns
            runs={shown}
            names={names}
            selected={new Set(compare)}
            onToggle={toggleCompare}
            onOpen={(id) => openRun(id, 'runs')}
            onDeleted={onDeleted}
            emptyText={emptyRuns}
            testId="backtest-runs"
          />
        </>
      ) : mode === 'compare' ? (
        <BacktestCompare ids={compare} names={names} onRemove={toggleCompare} onOpen={(id) => openRun(id, 'compare')} />
      ) : (
        <SweepsPanel
          sweeps={sweeps.items}
          strategies={list}
          names={names}
          form={{ ...formProps, grid, onGrid: setGrid, rankBy, onRankBy: setRankBy, errors: sweepErrors, general: sweepGeneral, busy, onSubmit: () => void submitSweep() }}
          selectedSweep={selectedSweep}
          onSelectSweep={setSelectedSweep}
          compare={new Set(compare)}
          onToggleCompare={toggleCompare}
          onOpenRun={(id) => openRun(id, 'sweeps')}
          emptyText={sweeps.error && sweeps.items.length === 0 ? sweeps.error : 'Nenhuma varredura ainda.'}
        />
      )}
    </div>
  );
}
