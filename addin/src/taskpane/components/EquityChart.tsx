/**
 * Equity curves on lightweight-charts (as the candles of Base de dados): a canvas that stays fast with
 * the 2,000 points a run keeps per curve and several runs overlaid, a time axis that closes nights,
 * weekends and holidays (a B3 session follows the one before, as on a price chart), and a crosshair
 * in pt-BR. One run: patrimônio in R$ above, drawdown in % below (under water). Compare: each run
 * rebased to 100 at its start, one colour per run.
 */
import { makeStyles, tokens } from '@fluentui/react-components';
import { AreaSeries, createChart, LineSeries, type UTCTimestamp } from 'lightweight-charts';
import { useEffect, useRef } from 'react';
import { chartPoints } from '../../core/backtests.js';
import { fmtNumber } from '../../core/format.js';

/** One colour per run of a comparison (distinct for the colour-blind too: blue, orange, green, magenta…). */
export const RUN_COLORS = ['#0f6cbd', '#d83b01', '#107c10', '#b4009e', '#008575', '#8764b8', '#986f0b', '#393939'];

export interface CurveSeries {
  id: string;
  name: string;
  color: string;
  points: ReadonlyArray<{ t: string; value: number }>;
}

const useStyles = makeStyles({
  box: { border: `1px solid ${tokens.colorNeutralStroke2}`, borderRadius: tokens.borderRadiusMedium, overflow: 'hidden', flex: '0 0 auto', position: 'relative' },
  legend: { display: 'flex', flexWrap: 'wrap', gap: '4px 12px', fontSize: tokens.fontSizeBase200, color: tokens.colorNeutralForeground2, padding: '2px 0' },
  key: { display: 'inline-flex', alignItems: 'center', gap: '4px', minWidth: 0, maxWidth: '100%' },
  swatch: { width: '12px', height: '3px', borderRadius: '2px', flexShrink: 0 },
  name: { overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' },
  empty: { padding: '24px', textAlign: 'center', color: tokens.colorNeutralForeground3, fontSize: tokens.fontSizeBase200 },
});

/**
 * Patrimônio on the axis in whole reais ("999.600", "1.000.000": one unit on every tick, where
 * "999,6 mil" beside "1,00 mi" would mislead); in millions only past R$ 100 mi.
 */
function axisMoney(v: number, centavos: boolean): string {
  const abs = Math.abs(v);
  if (abs >= 1e9) return `${fmtNumber(v / 1e9, 3)} bi`;
  if (abs >= 1e8) return `${fmtNumber(v / 1e6, 1)} mi`;
  return fmtNumber(v, centavos ? 2 : 0);
}

/** The crosshair's date: dd/mm/aaaa, with the time for intraday runs (chart seconds are São Paulo wall time). */
function crosshairTime(t: number, intraday: boolean): string {
  const d = new Date(t * 1000);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const date = `${p2(d.getUTCDate())}/${p2(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
  return intraday ? `${date} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}` : date;
}

export function Legend({ series }: { series: ReadonlyArray<{ id: string; name: string; color: string; dashed?: boolean }> }): JSX.Element {
  const s = useStyles();
  return (
    <div className={s.legend}>
      {series.map((x) => (
        <span key={x.id} className={s.key} title={x.name}>
          <span className={s.swatch} style={{ background: x.dashed ? `repeating-linear-gradient(90deg, ${x.color} 0 4px, transparent 4px 6px)` : x.color }} />
          <span className={s.name}>{x.name}</span>
        </span>
      ))}
    </div>
  );
}

/**
 * `mode` 'equity': the first series in R$ with `drawdown` (positive fractions) in a pane below.
 * 'index': every series as given (already rebased to 100).
 */
export function EquityChart(props: {
  series: CurveSeries[];
  drawdown?: ReadonlyArray<{ t: string; value: number }>;
  mode: 'equity' | 'index';
  height: number;
  testId: string;
  ariaLabel: string;
}): JSX.Element {
  const s = useStyles();
  const el = useRef<HTMLDivElement>(null);
  const { series, drawdown, mode, height } = props;
  const total = series.reduce((a, x) => a + x.points.length, 0);

  useEffect(() => {
    const box = el.current;
    if (!box || total === 0) return;
    const spanMs = (() => {
      let lo = Infinity;
      let hi = -Infinity;
      for (const x of series)
        for (const p of x.points) {
          const t = Date.parse(p.t);
          if (t < lo) lo = t;
          if (t > hi) hi = t;
        }
      return hi - lo;
    })();
    const intraday = spanMs < 20 * 86_400_000;
    // A curve that barely moves (a strategy that did not trade) needs centavos to tell its ticks apart.
    const values = series[0]?.points.map((p) => p.value).filter(Number.isFinite) ?? [];
    const centavos = values.length > 0 && Math.max(...values) - Math.min(...values) < 50;
    const money = (v: number) => axisMoney(v, centavos);
    const chart = createChart(box, {
      autoSize: true,
      layout: { fontSize: 11, background: { color: 'transparent' }, attributionLogo: false, panes: { separatorColor: '#e0e0e0' } },
      grid: { vertLines: { visible: false }, horzLines: { color: '#f0f0f0' } },
      rightPriceScale: { borderVisible: false },
      // A wider pane shows the same period wider (not more empty space at the left).
      timeScale: { timeVisible: intraday, secondsVisible: false, borderVisible: false, lockVisibleTimeRangeOnResize: true },
      localization: { locale: 'pt-BR', timeFormatter: (t: number) => crosshairTime(t, intraday) },
      handleScale: { mouseWheel: false },
      handleScroll: { mouseWheel: false, pressedMouseMove: true },
    });
    series.forEach((x, i) => {
      const line = chart.addSeries(LineSeries, {
        color: x.color,
        lineWidth: i === 0 || mode === 'index' ? 2 : 1,
        priceLineVisible: false,
        lastValueVisible: mode === 'index' || i === 0,
        title: '',
        priceFormat: { type: 'custom', minMove: 0.01, formatter: mode === 'equity' ? money : (v: number) => fmtNumber(v, 2) },
      });
      line.setData(chartPoints(x.points).map((p) => ({ time: p.time as UTCTimestamp, value: p.value })));
    });
    if (mode === 'index') {
      const base = series[0] && chartPoints(series[0].points);
      if (base?.length) {
        const ref = chart.addSeries(LineSeries, {
          color: '#8a8886',
          lineWidth: 1,
          lineStyle: 2,
          priceLineVisible: false,
          lastValueVisible: false,
          crosshairMarkerVisible: false,
          priceFormat: { type: 'custom', minMove: 0.01, formatter: (v: number) => fmtNumber(v, 2) },
        });
        ref.setData([base[0]!, base[base.length - 1]!].map((p) => ({ time: p.time as UTCTimestamp, value: 100 })));
      }
    }
    if (mode === 'equity' && drawdown?.length) {
      const dd = chart.addSeries(
        AreaSeries,
        {
          lineColor: '#c50f1f',
          topColor: 'rgba(197, 15, 31, 0.05)',
          bottomColor: 'rgba(197, 15, 31, 0.35)',
          lineWidth: 1,
          priceLineVisible: false,
          invertFilledArea: true,
          priceFormat: { type: 'custom', minMove: 0.001, formatter: (v: number) => `${fmtNumber(v, 2)}%` },
        },
        1,
      );
      dd.setData(chartPoints(drawdown, -100).map((p) => ({ time: p.time as UTCTimestamp, value: p.value })));
      const panes = chart.panes();
      panes[0]?.setStretchFactor(0.68);
      panes[1]?.setStretchFactor(0.32);
    }
    chart.priceScale('right', 0).applyOptions({ scaleMargins: { top: 0.08, bottom: 0.04 } });
    chart.timeScale().fitContent();
    return () => chart.remove();
  }, [series, drawdown, mode, total]);

  return (
    <div className={s.box} style={{ height }} ref={el} data-testid={props.testId} data-points={total} role="img" aria-label={props.ariaLabel}>
      {total === 0 && <div className={s.empty}>Sem pontos para desenhar.</div>}
    </div>
  );
}
