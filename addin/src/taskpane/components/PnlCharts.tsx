/**
 * Resultado (realizado + aberto) by asset and by client as horizontal bars: which name is hurting
 * the book is a glance, not a read. Horizontal bars keep long labels (client names) legible in a
 * 320–450 px pane, and the bars are limited so the table below keeps its room.
 */
import { makeStyles, tokens } from '@fluentui/react-components';
import { Bar, BarChart, Cell, ReferenceLine, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import { fmtMoney } from '../../core/format.js';

export interface PnlBar {
  label: string;
  /** Full name for the tooltip-free reader (title). */
  title?: string;
  value: number;
}

/** At most this many bars; the rest are summed into one "outros" bar. */
export const MAX_BARS = 6;
const BAR_PX = 22;

const useStyles = makeStyles({
  box: {
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
    padding: '4px 6px 2px',
    backgroundColor: tokens.colorNeutralBackground1,
    minWidth: 0,
  },
  title: { fontSize: tokens.fontSizeBase100, color: tokens.colorNeutralForeground3, textTransform: 'uppercase', letterSpacing: '0.04em' },
  empty: { fontSize: tokens.fontSizeBase200, color: tokens.colorNeutralForeground3, padding: '6px 0' },
});

/** The largest bars by size, the others folded into "outros (n)". */
export function topBars(bars: PnlBar[], max = MAX_BARS): PnlBar[] {
  const sorted = [...bars].sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  if (sorted.length <= max) return sorted;
  const rest = sorted.slice(max - 1);
  return [...sorted.slice(0, max - 1), { label: `outros (${rest.length})`, value: rest.reduce((a, b) => a + b.value, 0) }];
}

function compactMoney(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e6) return `${(v / 1e6).toLocaleString('pt-BR', { maximumFractionDigits: 1 })} mi`;
  if (abs >= 1e4) return `${(v / 1e3).toLocaleString('pt-BR', { maximumFractionDigits: 1 })} mil`;
  return v.toLocaleString('pt-BR', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

export function PnlChart({ title, bars, testId }: { title: string; bars: PnlBar[]; testId: string }): JSX.Element {
  const s = useStyles();
  // The value is the right axis's label: beside its bar, never over the name, whatever the sign.
  const data = topBars(bars).map((b) => ({ ...b, text: compactMoney(b.value) }));
  const green = tokens.colorPaletteGreenBackground3;
  const red = tokens.colorPaletteRedBackground3;
  return (
    <div className={s.box} data-testid={testId} aria-label={`${title}: ${data.map((d) => `${d.label} ${fmtMoney(d.value)}`).join('; ')}`}>
      <div className={s.title}>{title}</div>
      {data.length === 0 ? (
        <div className={s.empty}>Sem resultado ainda.</div>
      ) : (
        <ResponsiveContainer width="100%" height={data.length * BAR_PX + 8}>
          <BarChart data={data} layout="vertical" margin={{ top: 2, right: 4, bottom: 2, left: 0 }} barCategoryGap={3}>
            <XAxis type="number" hide domain={([min, max]: readonly number[]) => [Math.min(0, min ?? 0), Math.max(0, max ?? 0)]} />
            <YAxis yAxisId="name" type="category" dataKey="label" width={84} tickLine={false} axisLine={false} tick={{ fontSize: 11, fill: tokens.colorNeutralForeground2 }} interval={0} />
            <YAxis
              yAxisId="value"
              orientation="right"
              type="category"
              dataKey="text"
              width={64}
              tickLine={false}
              axisLine={false}
              tick={{ fontSize: 11, fill: tokens.colorNeutralForeground1 }}
              interval={0}
            />
            <ReferenceLine yAxisId="name" x={0} stroke={tokens.colorNeutralStroke1} />
            <Bar yAxisId="name" dataKey="value" isAnimationActive={false}>
              {data.map((d) => (
                <Cell key={d.label} fill={d.value >= 0 ? green : red} />
              ))}
            </Bar>
          </BarChart>
        </ResponsiveContainer>
      )}
    </div>
  );
}
