/**
 * One order: what it is, how far it got, its child orders, fills, allocation (rateio) and
 * execution quality, with pause / resume / amend / cancel.
 */
import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  DrawerBody,
  DrawerHeader,
  DrawerHeaderTitle,
  Field,
  Input,
  makeStyles,
  MessageBar,
  MessageBarBody,
  OverlayDrawer,
  ProgressBar,
  Spinner,
  tokens,
} from '@fluentui/react-components';
import { Dismiss24Regular, DismissCircle16Regular, Edit16Regular, Pause16Regular, Play16Regular } from '@fluentui/react-icons';
import { useEffect, useMemo, useState } from 'react';
import type { OrderView } from '../../../../common/types.js';
import { paramDisplay, type AlgoDescriptor } from '../../core/algos.js';
import { isBridgeError, type BridgeError } from '../../core/bridge-client.js';
import { orderClientText } from '../../core/blotters.js';
import { fmtDateTime, fmtMoney, fmtPct, fmtPrice, fmtQty, fmtTime, isOpenStatus, sideLabel } from '../../core/format.js';
import { parseInteger, parseNumber } from '../../sheets/boleta-rows.js';
import { usePane } from '../context.js';
import { useChannel } from '../hooks.js';
import { StatusBadge } from './common.js';
import { ExecutionQuality } from './ExecutionQuality.js';
import { ProgressChart } from './ProgressChart.js';

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
  kv: {
    display: 'grid',
    gridTemplateColumns: 'auto 1fr',
    columnGap: '12px',
    rowGap: '2px',
    fontSize: tokens.fontSizeBase300,
    '& > :nth-child(odd)': { color: tokens.colorNeutralForeground3 },
    '& > :nth-child(even)': { fontVariantNumeric: 'tabular-nums', textAlign: 'right' },
  },
  actions: { display: 'flex', gap: '6px', flexWrap: 'wrap', marginTop: '10px' },
  table: {
    width: '100%',
    borderCollapse: 'collapse',
    fontSize: tokens.fontSizeBase200,
    fontVariantNumeric: 'tabular-nums',
    '& th': {
      textAlign: 'left',
      color: tokens.colorNeutralForeground3,
      fontWeight: tokens.fontWeightSemibold,
      borderBottom: `1px solid ${tokens.colorNeutralStroke2}`,
      padding: '3px 4px',
    },
    '& td': { padding: '3px 4px', borderBottom: `1px solid ${tokens.colorNeutralStroke3}` },
    '& .r': { textAlign: 'right' },
  },
  empty: { color: tokens.colorNeutralForeground3, fontSize: tokens.fontSizeBase200 },
  title: { display: 'flex', alignItems: 'center', gap: '8px' },
});

export function OrderDetail({ id, labels, algos, onClose }: { id: string; labels: Map<string, string>; algos?: AlgoDescriptor[]; onClose: () => void }): JSX.Element {
  const s = useStyles();
  const { client, canTrade, notify } = usePane();
  const orders = useChannel<OrderView[]>(client, 'orders', 1000);
  const live = useMemo(() => orders.data?.find((o) => o.id === id), [orders.data, orders.version, id]);
  const [detail, setDetail] = useState<OrderView | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [amendOpen, setAmendOpen] = useState(false);

  // Reload the full order (children, fills, allocation, metrics) whenever the live one changes, and
  // when another order of its clients fills: a later trade of the same client and day can reprice this
  // one's fees (B3 bills the day at once, a day trade at its own table), and only the detail carries
  // the billed figures.
  const filledForItsClients = useMemo(() => {
    const mine = new Set(live ? (live.client ? [live.client] : (live.allocations ?? []).map((a) => a.client)) : []);
    const touches = (o: OrderView) => (o.client ? mine.has(o.client) : (o.allocations ?? []).some((a) => mine.has(a.client)));
    return orders.data?.reduce((a, o) => (touches(o) ? a + o.filledQty : a), 0) ?? 0;
  }, [orders.data, orders.version, live]);
  const liveKey = live ? `${live.status}:${live.filledQty}:${live.qty}:${live.limitPrice}:${live.updatedAt}:${filledForItsClients}` : '';
  useEffect(() => {
    let alive = true;
    client
      .request<OrderView>('GET', `/api/orders/${encodeURIComponent(id)}`)
      .then((o) => alive && (setDetail(o), setError(undefined)))
      .catch((e: Error) => alive && setError(e.message));
    return () => {
      alive = false;
    };
  }, [client, id, liveKey]);

  // The stream's metrics are the freshest, but its fees are what the fills showed when booked: the detail's are billed.
  const metrics = live?.metrics && detail?.metrics ? { ...live.metrics, feesBrl: detail.metrics.feesBrl } : (live?.metrics ?? detail?.metrics);
  const order = detail ? { ...detail, ...(live ?? {}), children: detail.children, fills: detail.fills, allocations: detail.allocations ?? live?.allocations, metrics } : live;

  const act = async (action: 'pause' | 'resume' | 'cancel', label: string) => {
    setBusy(action);
    try {
      await client.request('POST', `/api/orders/${encodeURIComponent(id)}/${action}`);
      notify('success', `${label}: ${id}`);
    } catch (e) {
      notify('error', `${label} falhou: ${(e as Error).message}`);
    } finally {
      setBusy(undefined);
    }
  };

  const open = order ? isOpenStatus(order.status) : false;
  const params = order ? Object.entries(order.algo ?? {}).filter(([k]) => k !== 'type') : [];

  return (
    <OverlayDrawer open position="end" size="medium" onOpenChange={(_, d) => !d.open && onClose()} data-testid="order-detail">
      <DrawerHeader>
        <DrawerHeaderTitle action={<Button appearance="subtle" aria-label="Fechar" icon={<Dismiss24Regular />} onClick={onClose} />}>
          {order ? (
            <span className={s.title}>
              {order.symbol} · {sideLabel(order.side)} {fmtQty(order.qty)} <StatusBadge status={order.status} />
            </span>
          ) : (
            'Ordem'
          )}
        </DrawerHeaderTitle>
      </DrawerHeader>
      <DrawerBody>
        {error && !order && (
          <MessageBar intent="error">
            <MessageBarBody>{error}</MessageBarBody>
          </MessageBar>
        )}
        {!order && !error && <Spinner label="Carregando ordem…" />}
        {order && (
          <>
            <div className={s.kv}>
              <span>ID</span>
              <span style={{ fontFamily: 'monospace' }} data-testid="detail-id">
                {order.id}
              </span>
              <span>Cliente</span>
              <span>{orderClientText(order) || '—'}</span>
              <span>Enviada por</span>
              <span data-testid="detail-created-by">{order.createdBy ?? '—'}</span>
              {order.origin && (
                <>
                  <span>Origem</span>
                  <span data-testid="detail-origin" title={order.origin.strategyRunId}>
                    Estratégia {order.origin.strategy}
                  </span>
                </>
              )}
              <span>Tipo</span>
              <span>{labels.get(order.algo?.type) ?? order.algo?.type}</span>
              {params.map(([k, v]) => {
                const desc = algos?.find((a) => a.type === order.algo?.type)?.params.find((p) => p.name === k);
                return <FragmentKV key={k} k={desc?.label ?? k} v={desc ? paramDisplay(desc, v) : v} />;
              })}
              <span>Preço limite</span>
              <span>{order.limitPrice ? fmtPrice(order.limitPrice) : 'a mercado'}</span>
              <span>Criada</span>
              <span>{fmtDateTime(order.createdAt)}</span>
              <span>Atualizada</span>
              <span>{fmtDateTime(order.updatedAt)}</span>
              {order.statusReason && (
                <>
                  <span>Motivo</span>
                  <span>{order.statusReason}</span>
                </>
              )}
            </div>

            <div className={s.section}>
              <div className={s.h}>Execução</div>
              <ProgressBar value={order.qty ? order.filledQty / order.qty : 0} thickness="large" />
              <div className={s.kv} style={{ marginTop: 6 }}>
                <span>Executado</span>
                <span>
                  {fmtQty(order.filledQty)} de {fmtQty(order.qty)} ({fmtPct(order.qty ? (order.filledQty / order.qty) * 100 : 0, 1)})
                </span>
                <span>Preço médio</span>
                <span>{order.filledQty > 0 ? fmtPrice(order.avgPrice) : '—'}</span>
              </div>
            </div>

            <div className={s.actions}>
              {(order.status === 'working' || order.status === 'partially_filled' || order.status === 'pending_new') && (
                <Button icon={<Pause16Regular />} size="small" disabled={!canTrade || !!busy} onClick={() => act('pause', 'Pausada')} data-testid="action-pause">
                  Pausar
                </Button>
              )}
              {order.status === 'paused' && (
                <Button icon={<Play16Regular />} size="small" disabled={!canTrade || !!busy} onClick={() => act('resume', 'Retomada')} data-testid="action-resume">
                  Retomar
                </Button>
              )}
              <Button icon={<Edit16Regular />} size="small" disabled={!canTrade || !open || !!busy} onClick={() => setAmendOpen(true)} data-testid="action-amend">
                Alterar
              </Button>
              <Button
                icon={<DismissCircle16Regular />}
                size="small"
                disabled={!canTrade || !open || !!busy || order.status === 'pending_cancel'}
                onClick={() => setConfirmCancel(true)}
                data-testid="action-cancel"
              >
                Cancelar ordem
              </Button>
              {busy && <Spinner size="tiny" />}
            </div>

            <ProgressChart order={order} />
            <ExecutionQuality metrics={order.metrics} childCount={order.children?.length} />

            {order.allocations && order.allocations.length > 0 && (
              <div className={s.section}>
                <div className={s.h}>Rateio</div>
                <table className={s.table}>
                  <thead>
                    <tr>
                      <th>Cliente</th>
                      <th className="r">Alvo</th>
                      <th className="r">Executado</th>
                      <th className="r">Preço médio</th>
                    </tr>
                  </thead>
                  <tbody>
                    {order.allocations.map((a) => (
                      <tr key={a.client}>
                        <td>{a.client}</td>
                        <td className="r">{fmtQty(a.targetQty)}</td>
                        <td className="r">{fmtQty(a.filledQty)}</td>
                        <td className="r">{a.filledQty > 0 ? fmtPrice(a.avgPrice) : '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}

            <div className={s.section}>
              <div className={s.h}>Ordens filhas ({order.children?.length ?? 0})</div>
              {order.children?.length ? (
                <table className={s.table} data-testid="detail-children">
                  <thead>
                    <tr>
                      <th>Hora</th>
                      <th className="r">Qtd</th>
                      <th className="r">Exec.</th>
                      <th className="r">Preço</th>
                      <th>Status</th>
                    </tr>
                  </thead>
                  <tbody>
                    {order.children.slice(-200).reverse().map((c) => (
                      <tr key={c.id} title={c.id}>
                        <td>{fmtTime(c.createdAt)}</td>
                        <td className="r">{fmtQty(c.qty)}</td>
                        <td className="r">{fmtQty(c.filledQty)}</td>
                        <td className="r">{c.limitPrice ? fmtPrice(c.limitPrice) : 'merc.'}</td>
                        <td>
                          <StatusBadge status={c.status} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <div className={s.empty}>Nenhuma ordem filha ainda.</div>
              )}
            </div>

            <div className={s.section}>
              <div className={s.h}>Execuções ({order.fills?.length ?? 0})</div>
              {order.fills?.length ? (
                <table className={s.table} data-testid="detail-fills">
                  <thead>
                    <tr>
                      <th>Hora</th>
                      <th className="r">Qtd</th>
                      <th className="r">Preço</th>
                      <th className="r">Custos</th>
                    </tr>
                  </thead>
                  <tbody>
                    {order.fills.slice(-200).reverse().map((f) => (
                      <tr key={f.id}>
                        <td>{fmtTime(f.time)}</td>
                        <td className="r">{fmtQty(f.qty)}</td>
                        <td className="r">{fmtPrice(f.price)}</td>
                        <td className="r">{fmtMoney(f.feesBrl)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <div className={s.empty}>Nenhuma execução ainda.</div>
              )}
            </div>
          </>
        )}
      </DrawerBody>

      {order && (
        <Dialog open={confirmCancel} onOpenChange={(_, d) => setConfirmCancel(d.open)}>
          <DialogSurface>
            <DialogBody>
              <DialogTitle>Cancelar a ordem?</DialogTitle>
              <DialogContent>
                {order.symbol} · {sideLabel(order.side)} {fmtQty(order.qty)} ({fmtQty(order.qty - order.filledQty)} restantes). As ordens filhas na bolsa
                serão canceladas; o que já executou fica.
              </DialogContent>
              <DialogActions>
                <Button onClick={() => setConfirmCancel(false)}>Voltar</Button>
                <Button
                  appearance="primary"
                  data-testid="confirm-cancel"
                  onClick={() => {
                    setConfirmCancel(false);
                    void act('cancel', 'Cancelamento pedido');
                  }}
                >
                  Cancelar ordem
                </Button>
              </DialogActions>
            </DialogBody>
          </DialogSurface>
        </Dialog>
      )}
      {order && amendOpen && <AmendDialog order={order} onClose={() => setAmendOpen(false)} />}
    </OverlayDrawer>
  );
}

function FragmentKV({ k, v }: { k: string; v: unknown }): JSX.Element {
  return (
    <>
      <span>{k}</span>
      <span>{typeof v === 'number' ? fmtPrice(v, Number.isInteger(v) ? 0 : 2) : typeof v === 'boolean' ? (v ? 'sim' : 'não') : String(v)}</span>
    </>
  );
}

function AmendDialog({ order, onClose }: { order: OrderView; onClose: () => void }): JSX.Element {
  const { client, notify } = usePane();
  const [qty, setQty] = useState(String(order.qty));
  const [limit, setLimit] = useState(order.limitPrice !== undefined ? String(order.limitPrice).replace('.', ',') : '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    const body: { qty?: number; limitPrice?: number } = {};
    const errs: Record<string, string> = {};
    const q = parseInteger(qty);
    if (!q.ok) errs.qty = q.error;
    else if (q.value <= 0) errs.qty = 'deve ser maior que zero';
    else if (q.value < order.filledQty) errs.qty = `não pode ser menor que o já executado (${fmtQty(order.filledQty)})`;
    else if (q.value !== order.qty) body.qty = q.value;
    if (limit.trim()) {
      const p = parseNumber(limit);
      if (!p.ok) errs.limitPrice = p.error;
      else if (p.value <= 0) errs.limitPrice = 'deve ser maior que zero';
      else if (p.value !== order.limitPrice) body.limitPrice = p.value;
    }
    setErrors(errs);
    if (Object.keys(errs).length) return;
    if (body.qty === undefined && body.limitPrice === undefined) return onClose();
    setBusy(true);
    try {
      await client.request('PATCH', `/api/orders/${encodeURIComponent(order.id)}`, body);
      notify('success', `Ordem ${order.id} alterada.`);
      onClose();
    } catch (e) {
      const be = e as BridgeError;
      if (isBridgeError(be) && be.errors.length) {
        const map: Record<string, string> = {};
        for (const x of be.errors) map[x.field.includes('limit') ? 'limitPrice' : x.field.includes('qty') ? 'qty' : 'form'] = x.message;
        setErrors(map);
      } else setErrors({ form: be.message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open onOpenChange={(_, d) => !d.open && onClose()}>
      <DialogSurface style={{ maxWidth: 380 }}>
        <DialogBody>
          <DialogTitle>Alterar ordem</DialogTitle>
          <DialogContent style={{ display: 'flex', flexDirection: 'column', gap: 10 }}>
            <Field label="Quantidade total" validationMessage={errors.qty} validationState={errors.qty ? 'error' : 'none'}>
              <Input value={qty} onChange={(_, d) => setQty(d.value)} inputMode="numeric" data-testid="amend-qty" />
            </Field>
            <Field label="Preço limite" validationMessage={errors.limitPrice} validationState={errors.limitPrice ? 'error' : 'none'}>
              <Input value={limit} onChange={(_, d) => setLimit(d.value)} inputMode="decimal" data-testid="amend-limit" />
            </Field>
            {errors.form && (
              <MessageBar intent="error">
                <MessageBarBody>{errors.form}</MessageBarBody>
              </MessageBar>
            )}
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose}>Voltar</Button>
            <Button appearance="primary" onClick={submit} disabled={busy} data-testid="amend-submit">
              Alterar
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
