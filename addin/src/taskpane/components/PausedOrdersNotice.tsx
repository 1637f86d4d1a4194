/**
 * Ordens: paused orders shown plainly. PÂNICO (or a reconnection held for review) leaves parents
 * paused, and releasing PÂNICO does not restart them: a person decides. This notice counts them,
 * filters to them, and opens the review dialog to resume one by one or all at once.
 */
import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  makeStyles,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Spinner,
  tokens,
} from '@fluentui/react-components';
import { Dismiss12Regular, Play16Regular } from '@fluentui/react-icons';
import { useState } from 'react';
import type { KillSwitchView, OrderView } from '../../../../common/types.js';
import { orderClientText } from '../../core/blotters.js';
import { fmtDateTime, fmtQty, sideLabel } from '../../core/format.js';
import { usePane } from '../context.js';
import { useChannel } from '../hooks.js';
import type { OrderFocus } from '../order-focus.js';

const useStyles = makeStyles({
  list: { display: 'flex', flexDirection: 'column', gap: '4px', maxHeight: '45vh', overflowY: 'auto', margin: '8px 0' },
  row: {
    display: 'grid',
    gridTemplateColumns: 'minmax(0, 1fr) auto',
    gap: '8px',
    alignItems: 'center',
    padding: '4px 6px',
    borderRadius: tokens.borderRadiusMedium,
    backgroundColor: tokens.colorNeutralBackground2,
    fontSize: tokens.fontSizeBase200,
  },
  muted: { color: tokens.colorNeutralForeground3 },
  focus: { display: 'flex', alignItems: 'center', gap: '6px', padding: '2px 8px', fontSize: tokens.fontSizeBase200, flexWrap: 'wrap' },
});

export function PausedOrdersNotice({ orders, onShowPaused }: { orders: readonly OrderView[]; onShowPaused: () => void }): JSX.Element | null {
  const { client, canTrade } = usePane();
  const ks = useChannel<KillSwitchView>(client, 'killswitch', 250).data;
  const [open, setOpen] = useState(false);
  const paused = orders.filter((o) => o.status === 'paused');
  if (paused.length === 0 && !open) return null;
  const engaged = !!ks?.engaged;
  const why = engaged
    ? 'PÂNICO acionado: libere o PÂNICO para poder retomá-las.'
    : ks?.at
      ? `PÂNICO liberado em ${fmtDateTime(ks.at)}${ks.by ? ` por ${ks.by}` : ''}. Ordens pausadas não voltam sozinhas: retome uma a uma ou todas.`
      : 'Ordens pausadas não voltam sozinhas: retome uma a uma ou todas.';
  return (
    <>
      {paused.length > 0 && (
        <MessageBar intent="warning" layout="multiline" data-testid="paused-notice">
          <MessageBarBody>
            <MessageBarTitle>
              {paused.length === 1 ? '1 ordem pausada' : `${fmtQty(paused.length)} ordens pausadas`}
            </MessageBarTitle>
            {why}
          </MessageBarBody>
          <MessageBarActions>
            <Button size="small" onClick={onShowPaused} data-testid="paused-filter">
              Pausadas ({fmtQty(paused.length)})
            </Button>
            <Button size="small" appearance="primary" icon={<Play16Regular />} disabled={engaged || !canTrade} onClick={() => setOpen(true)} data-testid="paused-resume-open">
              Retomar todas…
            </Button>
          </MessageBarActions>
        </MessageBar>
      )}
      {open && <ResumeDialog paused={paused} engaged={engaged} onClose={() => setOpen(false)} />}
    </>
  );
}

function ResumeDialog({ paused, engaged, onClose }: { paused: readonly OrderView[]; engaged: boolean; onClose: () => void }): JSX.Element {
  const s = useStyles();
  const { client, notify } = usePane();
  const [busy, setBusy] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();

  const resumeOne = async (o: OrderView) => {
    setBusy(o.id);
    setError(undefined);
    try {
      await client.request('POST', `/api/orders/${encodeURIComponent(o.id)}/resume`);
      notify('success', `Retomada: ${o.id}`);
    } catch (e) {
      setError(`${o.id}: ${(e as Error).message}`);
    } finally {
      setBusy(undefined);
    }
  };
  const resumeAll = async () => {
    setBusy('all');
    setError(undefined);
    try {
      const r = await client.resumeAll();
      notify(r.skipped.length ? 'warning' : 'success', `${fmtQty(r.resumed.length)} ordens retomadas${r.skipped.length ? `, ${fmtQty(r.skipped.length)} não` : ''}.`);
      if (r.skipped.length) setError(r.skipped.map((x) => `${x.id}: ${x.reason}`).join('; '));
      else onClose();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <Dialog open onOpenChange={(_, d) => !d.open && !busy && onClose()}>
      <DialogSurface style={{ maxWidth: 460 }} data-testid="resume-dialog">
        <DialogBody>
          <DialogTitle>Retomar ordens pausadas?</DialogTitle>
          <DialogContent>
            {paused.length === 0 ? (
              <span>Nenhuma ordem pausada agora.</span>
            ) : (
              <span>
                Cada ordem retomada volta a operar no mercado agora, com o que falta executar. Retome uma a uma, ou as {fmtQty(paused.length)} de uma vez.
              </span>
            )}
            <div className={s.list}>
              {paused.map((o) => (
                <div key={o.id} className={s.row} data-testid="resume-row" data-order={o.id}>
                  <span>
                    <b>{o.symbol}</b> {sideLabel(o.side)} {fmtQty(o.qty - o.filledQty)} de {fmtQty(o.qty)} · {orderClientText(o)}
                    {o.statusReason && <div className={s.muted}>{o.statusReason}</div>}
                  </span>
                  <Button size="small" disabled={engaged || !!busy} onClick={() => resumeOne(o)} data-testid="resume-one">
                    Retomar
                  </Button>
                </div>
              ))}
            </div>
            {error && (
              <MessageBar intent="error">
                <MessageBarBody>{error}</MessageBarBody>
              </MessageBar>
            )}
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose} disabled={!!busy} data-testid="resume-cancel">
              Voltar
            </Button>
            <Button appearance="primary" disabled={engaged || !!busy || paused.length === 0} onClick={resumeAll} icon={busy === 'all' ? <Spinner size="tiny" /> : undefined} data-testid="resume-all-confirm">
              Retomar todas ({fmtQty(paused.length)})
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

/** The filter set from the reconnection banner, shown above the table until cleared. */
export function OrderFocusBar({ focus, shown, onClear }: { focus: OrderFocus; shown: number; onClear: () => void }): JSX.Element {
  const s = useStyles();
  return (
    <div className={s.focus} data-testid="orders-focus">
      <span>
        Mostrando {fmtQty(shown)} {shown === 1 ? 'ordem' : 'ordens'} {focus.label}
      </span>
      <Button size="small" appearance="subtle" icon={<Dismiss12Regular />} onClick={onClear} data-testid="orders-focus-clear">
        Mostrar todas
      </Button>
    </div>
  );
}
