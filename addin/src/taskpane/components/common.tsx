/** Small shared bits: status badges, side text, stale-data notice, toolbar layout styles. */
import { Badge, MessageBar, MessageBarBody, makeStyles, tokens } from '@fluentui/react-components';
import { Pause12Filled } from '@fluentui/react-icons';
import type { ChannelView } from '../../core/bridge-client.js';
import { fmtMoney, fmtTime, sideLabel, statusLabel } from '../../core/format.js';
import { usePane } from '../context.js';
import { useConnection } from '../hooks.js';

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
    // 150 px holds "R$ 30.500.000,00" at this size: two cards a row at 420 px, one at 320.
    gridTemplateColumns: 'repeat(auto-fit, minmax(150px, 1fr))',
    gap: '8px',
  },
  card: {
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
    padding: '6px 10px',
    backgroundColor: tokens.colorNeutralBackground2,
  },
  cardLabel: { fontSize: tokens.fontSizeBase100, color: tokens.colorNeutralForeground3, textTransform: 'uppercase', letterSpacing: '0.04em' },
  // A figure wraps rather than being cut: "R$ 3.050.00…" would read as a different number.
  cardValue: { fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold, fontVariantNumeric: 'tabular-nums' },
  cardHint: { fontSize: tokens.fontSizeBase100, color: tokens.colorNeutralForeground3, whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' },
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

/**
 * A paused order must never look like a working one at a glance: paused is filled amber with a
 * pause mark, working is a blue tint; the text is always there for who does not read colours.
 */
export function StatusBadge({ status, title }: { status: string; title?: string }): JSX.Element {
  const paused = status === 'paused';
  const rejected = status === 'rejected';
  return (
    <Badge
      appearance={paused || rejected ? 'filled' : 'tint'}
      color={STATUS_COLORS[status] ?? 'informative'}
      size="small"
      data-status={status}
      title={title}
      icon={paused ? <Pause12Filled /> : undefined}
      style={{ flexShrink: 0 }}
    >
      {statusLabel(status)}
    </Badge>
  );
}

/** A money figure, or "—" when the number is not known (never a zero that is not real). */
export function Money({ value, signed }: { value: number | undefined; signed?: boolean }): JSX.Element {
  if (value === undefined || !Number.isFinite(value)) return <span data-unknown="true">—</span>;
  return signed ? <Signed value={value} text={fmtMoney(value)} /> : <span>{fmtMoney(value)}</span>;
}

/**
 * Whether a channel has data to show, and if not, why, in words a PM can act on: an empty table
 * reads as an empty book, so "no data because the token was refused" must say so.
 */
export function useDataState(view: ChannelView): { hasData: boolean; emptyText: (ready: string, loading: string) => string } {
  const { client } = usePane();
  const conn = useConnection(client);
  const hasData = view.data !== undefined;
  const emptyText = (ready: string, loading: string): string => {
    if (hasData) return ready;
    if (view.status === 'error') return `Sem dados: ${view.error ?? 'o BlackBox recusou este pedido.'}`;
    if (conn.state === 'unauthorized') return 'Sem dados: o BlackBox recusou o token (veja o aviso acima).';
    if (conn.state === 'no-token') return 'Sem dados: falta o token do BlackBox (veja o aviso acima).';
    if (conn.state === 'reconnecting') return 'Sem dados: o BlackBox não está respondendo (veja o aviso acima).';
    return loading;
  };
  return { hasData, emptyText };
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
  const { client } = usePane();
  const conn = useConnection(client);
  const waiting = conn.state === 'connecting' || conn.state === 'open';
  const text =
    view.status === 'loading'
      ? waiting
        ? 'carregando…'
        : 'sem dados'
      : view.status === 'error'
        ? 'sem dados'
        : view.status === 'live'
        ? `ao vivo · ${view.updatedAt ? fmtTime(new Date(view.updatedAt).toISOString()) : ''}`
        : 'desatualizado';
  return (
    <span className={s.muted} data-testid="updated-at">
      {text}
    </span>
  );
}
