/**
 * Runs side by side: their metrics in columns (the best of each row in bold) and their equity curves
 * overlaid, each rebased to 100 at its start so a run with more cash does not look better.
 * The table fits the pane at any width: fixed layout, values wrap rather than scroll.
 */
import { Button, makeStyles, MessageBar, MessageBarBody, Spinner, tokens } from '@fluentui/react-components';
import { Dismiss12Regular } from '@fluentui/react-icons';
import { useEffect, useMemo, useState } from 'react';
import type { RunMetricsView } from '../../../../common/backtest.js';
import { fmtDate } from '../../core/format.js';
import { dailyLast, INTERVAL_LABELS, metricCells, normalisedCurve, paramsText, runTitle, type MetricCell } from '../../core/backtests.js';
import { usePane } from '../context.js';
import { fetchRunDetail, type RunDetail } from './BacktestResult.js';
import { EquityChart, RUN_COLORS } from './EquityChart.js';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: '10px', overflowY: 'auto', overflowX: 'hidden', minHeight: 0, flex: '1 1 auto' },
  chips: { display: 'flex', flexWrap: 'wrap', gap: '4px 8px' },
  // Table and chart side by side on a desktop, one under the other in a task pane.
  body: { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(min(100%, 440px), 1fr))', gap: '12px', alignItems: 'start' },
  col: { display: 'flex', flexDirection: 'column', gap: '6px', minWidth: 0 },
  chip: {
    display: 'inline-flex',
    alignItems: 'center',
    gap: '4px',
    maxWidth: '100%',
    minWidth: 0,
    fontSize: tokens.fontSizeBase200,
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusCircular,
    padding: '0 2px 0 8px',
  },
  chipName: { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap', minWidth: 0, cursor: 'pointer' },
  swatch: { width: '12px', height: '4px', borderRadius: '2px', flexShrink: 0 },
  table: {
    width: '100%',
    tableLayout: 'fixed',
    borderCollapse: 'collapse',
    fontSize: tokens.fontSizeBase200,
    fontVariantNumeric: 'tabular-nums',
    '& th, & td': { padding: '3px 4px', borderBottom: `1px solid ${tokens.colorNeutralStroke3}`, overflowWrap: 'anywhere', verticalAlign: 'top' },
    '& th': { textAlign: 'right', color: tokens.colorNeutralForeground2, fontWeight: tokens.fontWeightSemibold },
    '& td': { textAlign: 'right' },
    '& th:first-child, & td:first-child': { textAlign: 'left', color: tokens.colorNeutralForeground3, fontWeight: tokens.fontWeightRegular },
  },
  best: { fontWeight: tokens.fontWeightBold },
  pos: { color: tokens.colorPaletteGreenForeground1 },
  neg: { color: tokens.colorPaletteRedForeground1 },
  h: { fontSize: tokens.fontSizeBase200, fontWeight: tokens.fontWeightSemibold, color: tokens.colorNeutralForeground3, textTransform: 'uppercase', letterSpacing: '0.05em' },
  muted: { color: tokens.colorNeutralForeground3, fontSize: tokens.fontSizeBase200 },
});

/** Which way is better, for the rows where "best" means something. */
const BETTER: Partial<Record<MetricCell['key'], 'max' | 'min'>> = {
  totalReturn: 'max',
  annualReturn: 'max',
  sharpe: 'max',
  maxDrawdown: 'min',
  hitRate: 'max',
  feesBrl: 'min',
};

function metricValue(m: RunMetricsView | undefined, key: MetricCell['key']): number | undefined {
  if (!m) return undefined;
  const v = key === 'endEquity' ? m.endEquityBrl : (m[key] as number | null);
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function BacktestCompare({ ids, names, onRemove, onOpen }: { ids: string[]; names: ReadonlyMap<string, string>; onRemove: (id: string) => void; onOpen: (id: string) => void }): JSX.Element {
  const s = useStyles();
  const { client } = usePane();
  const [details, setDetails] = useState<Map<string, RunDetail>>(new Map());
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    let alive = true;
    for (const id of ids) {
      if (details.has(id)) continue;
      fetchRunDetail(client, id).then(
        (d) => alive && setDetails((m) => new Map(m).set(id, d)),
        (e: Error) => alive && setError(e.message),
      );
    }
    return () => {
      alive = false;
    };
  }, [client, ids.join('|')]);

  const runs = ids.map((id, i) => ({ id, color: RUN_COLORS[i % RUN_COLORS.length]!, n: i + 1, d: details.get(id) }));
  const loaded = runs.filter((r) => r.d?.result);
  const series = useMemo(() => {
    // Over more than a few weeks, one point a day per run: a 1-minute run and a daily one then share
    // the time axis fairly (the chart gives every distinct instant the same width).
    const curves = loaded.map((r) => normalisedCurve(r.d!.result!.equity));
    const times = curves.flat().map((p) => Date.parse(p.t));
    const long = times.length > 0 && Math.max(...times) - Math.min(...times) > 20 * 86_400_000;
    return loaded.map((r, i) => ({ id: r.id, name: `#${r.n} ${runTitle(r.d!, names)}`, color: r.color, points: long ? dailyLast(curves[i]!) : curves[i]! }));
  }, [loaded.map((r) => r.id).join('|'), names]);

  if (ids.length < 2) {
    return (
      <div className={s.root} data-testid="compare-empty">
        <MessageBar intent="info">
          <MessageBarBody>Marque duas ou mais execuções concluídas em Execuções (ou numa varredura) para compará-las lado a lado.</MessageBarBody>
        </MessageBar>
      </div>
    );
  }

  const cells = runs.map((r) => metricCells(r.d?.result?.metrics ?? r.d?.metrics));
  const keys = cells[0]!.map((c) => c.key);
  const bestOf = (key: MetricCell['key']): number | undefined => {
    const dir = BETTER[key];
    if (!dir) return undefined;
    const vals = runs.map((r) => metricValue(r.d?.result?.metrics ?? r.d?.metrics, key)).filter((v): v is number => v !== undefined);
    if (vals.length < 2) return undefined;
    return dir === 'max' ? Math.max(...vals) : Math.min(...vals);
  };

  return (
    <div className={s.root} data-testid="backtest-compare">
      <div className={s.chips}>
        {runs.map((r) => (
          <span key={r.id} className={s.chip} data-testid="compare-chip">
            <span className={s.swatch} style={{ background: r.color }} />
            <span className={s.chipName} title={r.d ? runTitle(r.d, names) : r.id} onClick={() => onOpen(r.id)}>
              #{r.n} {r.d ? runTitle(r.d, names) : '…'}
            </span>
            <Button size="small" appearance="transparent" icon={<Dismiss12Regular />} aria-label={`Tirar #${r.n} da comparação`} onClick={() => onRemove(r.id)} style={{ minWidth: 20 }} />
          </span>
        ))}
      </div>
      {error && (
        <MessageBar intent="error">
          <MessageBarBody>{error}</MessageBarBody>
        </MessageBar>
      )}
      <div className={s.body}>
      <table className={s.table} data-testid="compare-table">
        <colgroup>
          <col style={{ width: runs.length > 3 ? '28%' : '34%' }} />
        </colgroup>
        <thead>
          <tr>
            <th>Métrica</th>
            {runs.map((r) => (
              <th key={r.id} title={r.d ? runTitle(r.d, names) : r.id}>
                <span className={s.swatch} style={{ background: r.color, display: 'inline-block', marginRight: 4, verticalAlign: 'middle' }} />#{r.n}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {keys.map((key, k) => {
            const best = bestOf(key);
            return (
              <tr key={key} data-metric={key}>
                <td>{cells[0]![k]!.label}</td>
                {runs.map((r, i) => {
                  const c = cells[i]![k]!;
                  const v = metricValue(r.d?.result?.metrics ?? r.d?.metrics, key);
                  const cls = [c.tone === 'pos' ? s.pos : c.tone === 'neg' ? s.neg : '', best !== undefined && v === best ? s.best : ''].join(' ');
                  return (
                    <td key={r.id} className={cls}>
                      {r.d ? c.text : '…'}
                    </td>
                  );
                })}
              </tr>
            );
          })}
          <tr>
            <td>Ativos</td>
            {runs.map((r) => (
              <td key={r.id}>{r.d?.spec.symbols.join(', ') ?? '…'}</td>
            ))}
          </tr>
          <tr>
            <td>Período</td>
            {runs.map((r) => (
              <td key={r.id}>{r.d ? `${fmtDate(r.d.spec.from)} a ${fmtDate(r.d.spec.to)}` : '…'}</td>
            ))}
          </tr>
          <tr>
            <td>Intervalo</td>
            {runs.map((r) => (
              <td key={r.id}>{r.d ? INTERVAL_LABELS[r.d.spec.interval] ?? r.d.spec.interval : '…'}</td>
            ))}
          </tr>
          <tr>
            <td>Parâmetros</td>
            {runs.map((r) => (
              <td key={r.id}>{r.d ? paramsText(r.d.spec.params ?? {}) || 'padrão' : '…'}</td>
            ))}
          </tr>
        </tbody>
      </table>
      <div className={s.col}>
        <div className={s.h}>Patrimônio, base 100 no início</div>
        {loaded.length < runs.length && <Spinner size="tiny" label="Carregando curvas…" />}
        <EquityChart series={series} mode="index" height={300} testId="compare-chart" ariaLabel={`Curvas de ${series.map((x) => x.name).join(', ')}, base 100`} />
        <span className={s.muted}>Em negrito, o melhor de cada linha. Clique no nome de uma execução para abri-la.</span>
      </div>
      </div>
    </div>
  );
}
