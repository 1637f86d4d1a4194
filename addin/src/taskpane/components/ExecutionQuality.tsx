/**
 * Order detail: how well the order executed (OrderView.metrics), for every ticket type. Slippage
 * is in basis points, positive = worse than the benchmark for the order's side, and says so.
 */
import { makeStyles, tokens } from '@fluentui/react-components';
import type { OrderMetrics } from '../../../../common/types.js';
import { fmtBps, fmtMoney, fmtPct, fmtPrice, fmtQty } from '../../core/format.js';

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
  // Label and value side by side, in columns that wrap: one at 420 px, two in a wider drawer.
  grid: { display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(200px, 1fr))', gap: '4px 12px' },
  item: { display: 'flex', justifyContent: 'space-between', gap: '8px', fontSize: tokens.fontSizeBase300, borderBottom: `1px solid ${tokens.colorNeutralStroke3}`, padding: '2px 0' },
  label: { color: tokens.colorNeutralForeground3 },
  value: { fontVariantNumeric: 'tabular-nums', textAlign: 'right', whiteSpace: 'nowrap' },
  worse: { color: tokens.colorPaletteRedForeground1 },
  better: { color: tokens.colorPaletteGreenForeground1 },
});

/** "+12,3 bps (pior)", "−4,0 bps (melhor)": the sign alone is easy to misread. */
export function slippageText(bps: number | undefined): string {
  if (bps === undefined || !Number.isFinite(bps)) return '—';
  if (bps === 0) return fmtBps(0);
  return `${bps > 0 ? '+' : '−'}${fmtBps(Math.abs(bps))} (${bps > 0 ? 'pior' : 'melhor'})`;
}

/** `childCount`: the detail's own count of children, until the bridge reports `metrics.children`. */
export function ExecutionQuality({ metrics, childCount }: { metrics: OrderMetrics | undefined; childCount?: number }): JSX.Element {
  const s = useStyles();
  const m = metrics;
  const slip = (bps: number | undefined) => (
    <span className={`${s.value} ${bps !== undefined && bps > 0 ? s.worse : bps !== undefined && bps < 0 ? s.better : ''}`}>{slippageText(bps)}</span>
  );
  const rows: Array<[string, string, JSX.Element | string]> = [
    ['arrival', 'Preço de chegada', fmtPrice(m?.arrivalPrice)],
    ['avg', 'Preço médio', fmtPrice(m?.avgPrice)],
    ['slipArrival', 'Desvio vs chegada', slip(m?.slippageVsArrivalBps)],
    ['vwap', 'VWAP do intervalo', fmtPrice(m?.intervalVwap)],
    ['slipVwap', 'Desvio vs VWAP', slip(m?.slippageVsVwapBps)],
    ['participation', 'Participação no volume', m?.participationRate !== undefined ? fmtPct(m.participationRate * 100, 1) : '—'],
    ['children', 'Ordens filhas', fmtQty(m?.children ?? childCount)],
    ['reprices', 'Re-preços', fmtQty(m?.reprices)],
    ['fees', 'Custos', fmtMoney(m?.feesBrl)],
  ];
  return (
    <div className={s.section} data-testid="detail-metrics">
      <div className={s.h}>Qualidade de execução</div>
      <div className={s.grid}>
        {rows.map(([key, label, value]) => (
          <div key={key} className={s.item} data-testid={`metric-${key}`}>
            <span className={s.label}>{label}</span>
            {typeof value === 'string' ? <span className={s.value}>{value}</span> : value}
          </div>
        ))}
      </div>
    </div>
  );
}
