/**
 * Order detail: cumulative filled quantity over time, against the algo's schedule when it has one
 * (TWAP/VWAP). recharts draws it as SVG that resizes with the pane (320–1280 px).
 */
import { makeStyles, tokens } from '@fluentui/react-components';
import { useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { OrderView } from '../../../../common/types.js';
import { fmtQty, fmtTime } from '../../core/format.js';
import { progressSeries } from '../../core/order-progress.js';
import { useTicker } from '../hooks.js';

const useStyles = makeStyles({
  section: { marginTop: '14px' },
  h: {
    fontSize: tokens.fontSizeBase200,
    fontWeight: tokens.fontWeightSemibold,
    color: tokens.colorNeutralForeground3,
    textTransform: 'uppercase',
    letterSpacing: '0.05em',
    marginBottom: '4px',
  },
  note: { color: tokens.colorNeutralForeground3, fontSize: tokens.fontSizeBase200 },
});

const FILLED_COLOR = '#0f6cbd';
const TARGET_COLOR = '#8a8886';

export function ProgressChart({ order }: { order: OrderView }): JSX.Element {
  const s = useStyles();
  useTicker(5_000); // a working order's line runs on to "now"
  const now = Date.now();
  const series = useMemo(() => progressSeries(order, now), [order, Math.floor(now / 5_000)]);
  // Seconds on the axis only when the span is short enough for them to differ.
  const short = series.toMs - series.fromMs < 15 * 60_000;
  const tickText = (t: number) => fmtTime(new Date(t).toISOString()).slice(0, short ? 8 : 5);
  return (
    <div className={s.section} data-testid="detail-progress-chart" data-has-schedule={series.target ? 'yes' : 'no'}>
      <div className={s.h}>Progresso{series.target ? ' × plano' : ''}</div>
      <div style={{ width: '100%', height: 180 }}>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart margin={{ top: 6, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid stroke={tokens.colorNeutralStroke3} strokeDasharray="3 3" />
            <XAxis dataKey="t" type="number" scale="time" domain={[series.fromMs, series.toMs]} tickFormatter={tickText} tick={{ fontSize: 11 }} minTickGap={28} padding={{ left: 6, right: 6 }} />
            <YAxis type="number" domain={[0, Math.max(series.totalQty, 1)]} tickFormatter={(v: number) => fmtQty(v)} tick={{ fontSize: 11 }} width={56} allowDecimals={false} />
            <Tooltip
              labelFormatter={(t) => fmtTime(new Date(Number(t)).toISOString())}
              formatter={(v, name) => [fmtQty(Number(v)), name]}
              contentStyle={{ fontSize: 12 }}
            />
            <ReferenceLine y={series.totalQty} stroke={TARGET_COLOR} strokeDasharray="2 4" />
            {series.target && (
              <Line data={series.target} dataKey="qty" name="Plano" type="linear" stroke={TARGET_COLOR} strokeDasharray="5 4" dot={false} isAnimationActive={false} />
            )}
            <Line data={series.filled} dataKey="qty" name="Executado" type="stepAfter" stroke={FILLED_COLOR} strokeWidth={2} dot={false} isAnimationActive={false} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      {!series.target && <div className={s.note}>Este tipo de ordem não tem plano de execução: só o executado.</div>}
    </div>
  );
}
