/**
 * The preview of sheet boletas, built for the task pane's width (320–450 px): one compact card per
 * row that wraps instead of scrolling sideways, so the status, what will be sent (client(s), side,
 * quantity, symbol, price or MERCADO, ticket and parameters, notional in R$) and every error
 * message are readable without horizontal scrolling; then totals per client and side.
 */
import { Badge, makeStyles, mergeClasses, tokens } from '@fluentui/react-components';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import type { InstrumentView } from '../../../../common/types.js';
import { statusLabel } from '../../core/format.js';
import { rowPreview, sideTotalText, type ClientTotal } from '../../sheets/boleta-preview.js';
import { resultCells, type BoletaRow } from '../../sheets/bulk.js';

const useStyles = makeStyles({
  scroller: {
    flex: '1 0 320px',
    overflowY: 'auto',
    overflowX: 'hidden',
    position: 'relative',
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
    backgroundColor: tokens.colorNeutralBackground1,
  },
  row: {
    position: 'absolute',
    left: 0,
    width: '100%',
    boxSizing: 'border-box',
    padding: '6px 8px',
    borderBottom: `1px solid ${tokens.colorNeutralStroke3}`,
    fontSize: tokens.fontSizeBase200,
    fontVariantNumeric: 'tabular-nums',
    display: 'flex',
    flexDirection: 'column',
    gap: '2px',
    overflowWrap: 'anywhere',
  },
  invalid: { backgroundColor: tokens.colorPaletteRedBackground1 },
  head: { display: 'flex', alignItems: 'center', gap: '6px', flexWrap: 'wrap' },
  line: { color: tokens.colorNeutralForeground2 },
  rowNo: { color: tokens.colorNeutralForeground3, minWidth: '52px' },
  who: { fontWeight: tokens.fontWeightSemibold },
  notional: { marginLeft: 'auto', fontWeight: tokens.fontWeightSemibold, whiteSpace: 'nowrap' },
  order: { fontWeight: tokens.fontWeightSemibold },
  error: { color: tokens.colorPaletteRedForeground1 },
  warn: { color: tokens.colorPaletteDarkOrangeForeground1 },
  empty: { padding: '24px', textAlign: 'center', color: tokens.colorNeutralForeground3 },
  totals: {
    display: 'grid',
    gridTemplateColumns: 'minmax(48px, auto) 1fr 1fr',
    gap: '2px 8px',
    fontSize: tokens.fontSizeBase200,
    fontVariantNumeric: 'tabular-nums',
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusMedium,
    padding: '6px 8px',
    overflowWrap: 'anywhere',
  },
  th: { fontWeight: tokens.fontWeightSemibold, color: tokens.colorNeutralForeground3 },
});

function rowBadge(r: BoletaRow): JSX.Element {
  const o = r.outcome;
  if (o?.kind === 'sent') return <Badge color={o.duplicate ? 'warning' : 'success'} appearance="tint" size="small">{o.duplicate ? 'Já enviada' : statusLabel(o.status)}</Badge>;
  if (o?.kind === 'rejected') return <Badge color="danger" appearance="tint" size="small">Recusada</Badge>;
  if (o?.kind === 'uncertain') return <Badge color="warning" appearance="tint" size="small">Sem confirmação</Badge>;
  if (o?.kind === 'not-sent') return <Badge color="subtle" appearance="tint" size="small">Não enviada</Badge>;
  if (r.state === 'valid') return <Badge color="success" appearance="outline" size="small">OK</Badge>;
  if (r.state === 'sent') return <Badge color="informative" appearance="tint" size="small">Já enviada</Badge>;
  if (r.state === 'empty') return <Badge color="subtle" appearance="outline" size="small">Vazia</Badge>;
  return <Badge color="danger" appearance="filled" size="small">Erro</Badge>;
}

function rowMessage(r: BoletaRow): string {
  const [id, , msg] = resultCells(r);
  if (r.outcome?.kind === 'sent') return `${id}${msg ? ` · ${msg}` : ''}`;
  if (r.state === 'sent') return r.errors[0]?.message ?? '';
  return String(msg ?? '');
}

export function BoletaPreviewList(props: { rows: readonly BoletaRow[]; instruments: ReadonlyMap<string, InstrumentView> }): JSX.Element {
  const s = useStyles();
  const scrollRef = useRef<HTMLDivElement>(null);
  const { rows, instruments } = props;
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => 64,
    overscan: 8,
  });
  return (
    <div ref={scrollRef} className={s.scroller} role="list" aria-label="Prévia das boletas" data-testid="bulk-preview">
      {rows.length === 0 ? (
        <div className={s.empty}>Nenhuma linha.</div>
      ) : (
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((v) => {
            const r = rows[v.index]!;
            const p = rowPreview(r, instruments);
            const d = r.display;
            const message = rowMessage(r);
            const bad = r.state === 'invalid' || r.outcome?.kind === 'rejected';
            return (
              <div
                key={r.sheetRow}
                ref={virtualizer.measureElement}
                data-index={v.index}
                role="listitem"
                data-testid="bulk-row"
                data-row={r.sheetRow + 1}
                data-state={r.outcome?.kind ?? r.state}
                className={mergeClasses(s.row, bad && s.invalid)}
                style={{ transform: `translateY(${v.start}px)` }}
              >
                <div className={s.head}>
                  <span className={s.rowNo}>Linha {r.sheetRow + 1}</span>
                  {rowBadge(r)}
                  <span className={s.who}>{p?.clients ?? d.client}</span>
                  {p && <span className={s.notional} data-testid="bulk-row-notional">{p.notional}</span>}
                </div>
                {p ? (
                  <>
                    <span className={s.order} data-testid="bulk-row-order">{p.order}</span>
                    <span className={s.line}>{p.ticket}</span>
                  </>
                ) : (
                  r.state !== 'empty' && (
                    <span className={s.line}>
                      {[d.side, d.qty, d.symbol].filter(Boolean).join(' ')}
                      {d.limitPrice ? ` a ${d.limitPrice}` : ''}
                      {d.algo ? ` · ${d.algo}` : ''}
                    </span>
                  )
                )}
                {r.duplicateOf?.length && !r.outcome ? (
                  <span className={s.warn} data-testid="bulk-row-duplicate">
                    Possível duplicata: igual à{r.duplicateOf.length > 1 ? 's' : ''} linha{r.duplicateOf.length > 1 ? 's' : ''} {r.duplicateOf.map((x) => x + 1).join(', ')}
                  </span>
                ) : null}
                {message && <span className={bad ? s.error : undefined} data-testid="bulk-row-message">{message}</span>}
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}

export function BoletaTotals(props: { totals: readonly ClientTotal[] }): JSX.Element | null {
  const s = useStyles();
  if (props.totals.length === 0) return null;
  return (
    <div className={s.totals} role="table" aria-label="Totais por cliente e lado" data-testid="bulk-totals">
      <span className={s.th} role="columnheader">Cliente</span>
      <span className={s.th} role="columnheader">Compra</span>
      <span className={s.th} role="columnheader">Venda</span>
      {props.totals.map((t) => (
        <div key={t.client} role="row" style={{ display: 'contents' }} data-testid="bulk-total" data-client={t.client}>
          <span role="cell">{t.client}</span>
          <span role="cell">{sideTotalText(t.buy)}</span>
          <span role="cell">{sideTotalText(t.sell)}</span>
        </div>
      ))}
    </div>
  );
}
