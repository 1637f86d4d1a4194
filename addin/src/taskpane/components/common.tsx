/** Small shared bits: status badges, side text, stale-data notice, toolbar layout styles. */
import { Badge, MessageBar, MessageBarBody, makeStyles, tokens } from '@fluentui/react-components';
import type { ChannelView } from '../../core/bridge-client.js';
import { fmtTime, sideLabel, statusLabel } from '../../core/format.js';

export const useTabStyles = makeStyles({
  root: {
    display: 'flex',
    flexDirection: 'column',
    gap: '8px',
    height: '100%',
    minHeight: 0,
    padding: '8px 10px 10px',
    boxSizing: 'border-box',
  },
  toolbar: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: '8px',
  },
  grow: { flex: '1 1 auto' },
  search: { minWidth: '160px', flex: '1 1 180px', maxWidth: '320px' },
  muted: { color: tokens.colorNeutralForeground3, fontSize: tokens.fontSizeBase200 },
  cards: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fit, minmax(130px, 1fr))',
    gap: '8px',
  },
  card: {
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
    padding: '6px 10px',
    backgroundColor: tokens.colorNeutralBackground2,
  },
  cardLabel: { fontSize: tokens.fontSizeBase100, color: tokens.colorNeutralForeground3, textTransform: 'uppercase', letterSpacing: '0.04em' },
  cardValue: { fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold, fontVariantNumeric: 'tabular-nums' },
  pos: { color: tokens.colorPaletteGreenForeground1 },
  neg: { color: tokens.colorPaletteRedForeground1 },
  buy: { color: tokens.colorPaletteBlueForeground2, fontWeight: tokens.fontWeightSemibold },
  sell: { color: tokens.colorPaletteRedForeground1, fontWeight: tokens.fontWeightSemibold },
});

const STATUS_COLORS: Record<string, 'brand' | 'success' | 'warning' | 'danger' | 'informative' | 'subtle' | 'important'> = {
  pending_new: 'informative',
  working: 'brand',
  partially_filled: 'brand',
  filled: 'success',
  pending_cancel: 'warning',
  canceled: 'subtle',
  rejected: 'danger',
  expired: 'subtle',
  paused: 'warning',
};

export function StatusBadge({ status }: { status: string }): JSX.Element {
  return (
    <Badge appearance="tint" color={STATUS_COLORS[status] ?? 'informative'} size="small" data-status={status}>
      {statusLabel(status)}
    </Badge>
  );
}

export function SideText({ side }: { side: string }): JSX.Element {
  const s = useTabStyles();
  return <span className={side === 'buy' ? s.buy : s.sell}>{sideLabel(side)}</span>;
}

export function Signed({ value, text }: { value: number | undefined; text: string }): JSX.Element {
  const s = useTabStyles();
  return <span className={value && value > 0 ? s.pos : value && value < 0 ? s.neg : undefined}>{text}</span>;
}

/** Tells the user the numbers are not live (never show frozen data as if it were). */
export function StaleNotice({ view }: { view: ChannelView }): JSX.Element | null {
  if (view.status === 'stale') {
    return (
      <MessageBar intent="warning" data-testid="stale-notice">
        <MessageBarBody>
          Sem conexão: dados congelados desde {view.updatedAt ? fmtTime(new Date(view.updatedAt).toISOString()) : '—'}, não estão ao vivo.
        </MessageBarBody>
      </MessageBar>
    );
  }
  if (view.status === 'error') {
    return (
      <MessageBar intent="error">
        <MessageBarBody>{view.error ?? 'O BlackBox recusou este canal.'}</MessageBarBody>
      </MessageBar>
    );
  }
  return null;
}

export function UpdatedAt({ view }: { view: ChannelView }): JSX.Element {
  const s = useTabStyles();
  const text =
    view.status === 'loading'
      ? 'carregando…'
      : view.status === 'live'
        ? `ao vivo · ${view.updatedAt ? fmtTime(new Date(view.updatedAt).toISOString()) : ''}`
        : 'desatualizado';
  return (
    <span className={s.muted} data-testid="updated-at">
      {text}
    </span>
  );
}
