/**
 * Ordens: every order of every client, searchable by client and status; click for the detail.
 * In a task pane (under 720 px) each order is a two-line row: status, symbol, side, quantity and
 * time, then client, progress, average price and the reason a paused or rejected order gives.
 */
import { Dropdown, makeStyles, Option, ProgressBar, SearchBox, tokens } from '@fluentui/react-components';
import { Bot16Regular } from '@fluentui/react-icons';
import { useMemo, useState } from 'react';
import type { OrderView } from '../../../../common/types.js';
import { orderClientText } from '../../core/blotters.js';
import { fmtPrice, fmtQty, fmtTime, fold, isOpenStatus, STATUS_LABELS } from '../../core/format.js';
import { usePane } from '../context.js';
import { useAsync, useChannel, useConnection } from '../hooks.js';
import { SideText, StaleNotice, StatusBadge, UpdatedAt, useDataState, useTabStyles } from './common.js';
import { focusOrders, useOrderFocus } from '../order-focus.js';
import { OrderDetail } from './OrderDetail.js';
import { OrderFocusBar, PausedOrdersNotice } from './PausedOrdersNotice.js';
import { SendToSheet } from './SendToSheet.js';
import { VirtualTable, type Column, type CompactRows } from './VirtualTable.js';

const useStyles = makeStyles({
  line: { display: 'flex', alignItems: 'center', gap: '6px', minWidth: 0, height: '20px', whiteSpace: 'nowrap' },
  sub: { color: tokens.colorNeutralForeground2 },
  client: { overflow: 'hidden', textOverflow: 'ellipsis', minWidth: 0, flex: '0 1 auto' },
  reason: { overflow: 'hidden', textOverflow: 'ellipsis', minWidth: 0, flex: '1 1 0' },
  reasonBad: { color: tokens.colorPaletteRedForeground1 },
  reasonPaused: { color: tokens.colorPaletteDarkOrangeForeground1 },
  time: { marginLeft: 'auto', color: tokens.colorNeutralForeground3, flexShrink: 0 },
  bar: { width: '54px', flexShrink: 0 },
  num: { flexShrink: 0 },
  origin: { display: 'inline-flex', flexShrink: 0, color: tokens.colorBrandForeground1 },
});

/** Who sent the boleta when it was not a person: "Estratégia Cruzamento de médias". */
export function originText(o: OrderView): string {
  return o.origin ? `Estratégia ${o.origin.strategy}` : '';
}

/** Below this table width, orders are drawn as two-line rows. */
export const ORDERS_COMPACT_BELOW_PX = 720;

const STATUS_FILTERS: Array<{ value: string; label: string }> = [
  { value: 'all', label: 'Todas' },
  { value: 'open', label: 'Abertas' },
  { value: 'closed', label: 'Encerradas' },
  ...Object.entries(STATUS_LABELS).map(([value, label]) => ({ value, label })),
];

export function OrdersTab(): JSX.Element {
  const s = useTabStyles();
  const o2 = useStyles();
  const { client } = usePane();
  const view = useChannel<OrderView[]>(client, 'orders');
  const data = useDataState(view);
  // Labels load again once connected (a first try before the token was pasted fails).
  const algos = useAsync(() => client.getAlgos(), [client, useConnection(client).state === 'open']);
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState('all');
  const [selected, setSelected] = useState<string | undefined>();
  const focus = useOrderFocus();

  const labels = useMemo(() => new Map((algos.data ?? []).map((a) => [a.type, a.label])), [algos.data]);
  const all = view.data ?? [];
  const rows = useMemo(() => {
    const q = fold(search);
    return all.filter((o) => {
      if (focus && !focus.ids.has(o.id)) return false;
      if (status === 'open' && !isOpenStatus(o.status)) return false;
      if (status === 'closed' && isOpenStatus(o.status)) return false;
      if (status !== 'all' && status !== 'open' && status !== 'closed' && o.status !== status) return false;
      if (!q) return true;
      return fold(orderClientText(o)).includes(q) || fold(o.id).includes(q) || fold(o.symbol).includes(q);
    });
  }, [all, view.version, search, status, focus]);

  const counts = useMemo(() => {
    let open = 0;
    for (const o of all) if (isOpenStatus(o.status)) open++;
    return { open, total: all.length };
  }, [all, view.version]);

  const columns: Column<OrderView>[] = [
    { key: 'status', label: 'Status', width: 108, render: (o) => <StatusBadge status={o.status} title={o.statusReason} />, sortValue: (o) => o.status, title: (o) => o.statusReason },
    { key: 'time', label: 'Hora', width: 70, render: (o) => fmtTime(o.createdAt), sortValue: (o) => o.createdAt },
    { key: 'symbol', label: 'Ativo', width: 70, render: (o) => <b>{o.symbol}</b>, sortValue: (o) => o.symbol },
    { key: 'side', label: 'Lado', width: 70, render: (o) => <SideText side={o.side} />, sortValue: (o) => o.side },
    { key: 'qty', label: 'Qtd', width: 76, align: 'right', render: (o) => fmtQty(o.qty), sortValue: (o) => o.qty },
    {
      key: 'progress',
      label: 'Executado',
      width: 124,
      render: (o) => (
        <div style={{ display: 'flex', alignItems: 'center', gap: 6 }}>
          <ProgressBar value={o.qty ? o.filledQty / o.qty : 0} thickness="medium" style={{ flex: 1 }} color={o.status === 'rejected' ? 'error' : o.filledQty >= o.qty ? 'success' : 'brand'} />
          <span style={{ minWidth: 48, textAlign: 'right' }}>{fmtQty(o.filledQty)}</span>
        </div>
      ),
      sortValue: (o) => (o.qty ? o.filledQty / o.qty : 0),
    },
    { key: 'avg', label: 'Preço médio', width: 88, align: 'right', render: (o) => (o.filledQty > 0 ? fmtPrice(o.avgPrice) : '—'), sortValue: (o) => o.avgPrice },
    { key: 'client', label: 'Cliente', width: 104, render: (o) => orderClientText(o), sortValue: (o) => orderClientText(o), title: (o) => orderClientText(o) },
    { key: 'limit', label: 'Limite', width: 76, align: 'right', priority: 2, render: (o) => (o.limitPrice ? fmtPrice(o.limitPrice) : 'mercado'), sortValue: (o) => o.limitPrice ?? 0 },
    { key: 'algo', label: 'Tipo', width: 96, priority: 2, render: (o) => labels.get(o.algo?.type) ?? o.algo?.type, sortValue: (o) => o.algo?.type ?? '' },
    {
      key: 'reason',
      label: 'Motivo',
      width: 160,
      priority: 3,
      flex: true,
      render: (o) => <span style={{ color: o.status === 'rejected' ? tokens.colorPaletteRedForeground1 : undefined }}>{o.statusReason ?? ''}</span>,
      title: (o) => o.statusReason,
      sortValue: (o) => o.statusReason ?? '',
    },
    { key: 'origin', label: 'Origem', width: 150, priority: 3, render: (o) => originText(o), title: (o) => originText(o), sortValue: (o) => originText(o) },
    { key: 'id', label: 'ID', width: 150, priority: 4, render: (o) => <span style={{ fontFamily: 'monospace', fontSize: 11 }}>{o.id}</span>, sortValue: (o) => o.id },
  ];


  const compact: CompactRows<OrderView> = {
    belowPx: ORDERS_COMPACT_BELOW_PX,
    rowHeight: 50,
    sortKeys: ['time', 'status', 'client', 'symbol'],
    render: (o) => {
      const reasonClass = o.status === 'rejected' ? o2.reasonBad : o.status === 'paused' ? o2.reasonPaused : o2.sub;
      return (
        <>
          <div className={o2.line}>
            <StatusBadge status={o.status} title={o.statusReason} />
            <b>{o.symbol}</b>
            <SideText side={o.side} />
            <span className={o2.num}>{fmtQty(o.qty)}</span>
            <span className={o2.sub}>{o.limitPrice ? `@ ${fmtPrice(o.limitPrice)}` : 'mercado'}</span>
            <span className={o2.time}>{fmtTime(o.createdAt)}</span>
          </div>
          <div className={`${o2.line} ${o2.sub}`}>
            {o.origin && (
              <span className={o2.origin} title={originText(o)} data-testid="order-origin">
                <Bot16Regular />
              </span>
            )}
            <span className={o2.client} title={orderClientText(o)}>
              {orderClientText(o) || '—'}
            </span>
            <ProgressBar className={o2.bar} value={o.qty ? o.filledQty / o.qty : 0} thickness="medium" color={o.status === 'rejected' ? 'error' : o.filledQty >= o.qty ? 'success' : 'brand'} />
            <span className={o2.num}>{fmtQty(o.filledQty)}</span>
            <span className={o2.num} title="Preço médio">{o.filledQty > 0 ? `PM ${fmtPrice(o.avgPrice)}` : 'PM —'}</span>
            <span className={`${o2.reason} ${reasonClass}`} title={o.statusReason} data-testid="order-reason">
              {o.statusReason ?? ''}
            </span>
          </div>
        </>
      );
    },
  };

  return (
    <div className={s.root} data-testid="tab-orders">
      <div className={s.toolbar}>
        <SearchBox
          className={s.search}
          placeholder="Buscar cliente, ativo ou ID…"
          value={search}
          onChange={(_, d) => setSearch(d.value)}
          aria-label="Buscar ordens por cliente"
          data-testid="orders-search"
          size="small"
        />
        <Dropdown
          size="small"
          aria-label="Filtrar por status"
          value={STATUS_FILTERS.find((f) => f.value === status)?.label}
          selectedOptions={[status]}
          onOptionSelect={(_, d) => setStatus(d.optionValue ?? 'all')}
          style={{ minWidth: 130 }}
          data-testid="orders-status-filter"
        >
          {STATUS_FILTERS.map((f) => (
            <Option key={f.value} value={f.value}>
              {f.label}
            </Option>
          ))}
        </Dropdown>
        <span className={s.grow} />
        {data.hasData && (
          <span className={s.muted}>
            {fmtQty(counts.open)} abertas · {fmtQty(counts.total)} no dia
          </span>
        )}
        <UpdatedAt view={view} />
        <SendToSheet kind="orders" />
      </div>
      <StaleNotice view={view} />
      <PausedOrdersNotice orders={all} onShowPaused={() => setStatus('paused')} />
      {focus && <OrderFocusBar focus={focus} shown={rows.length} onClear={() => focusOrders(undefined)} />}
      <VirtualTable
        ariaLabel="Ordens"
        testId="orders-table"
        rows={rows}
        columns={columns}
        rowKey={(o) => o.id}
        onRowClick={(o) => setSelected(o.id)}
        selectedKey={selected}
        defaultSort={{ key: 'time', dir: 'desc' }}
        compact={compact}
        emptyText={data.emptyText('Nenhuma ordem com estes filtros.', 'Carregando ordens…')}
      />
      {selected && <OrderDetail id={selected} labels={labels} algos={algos.data} onClose={() => setSelected(undefined)} />}
    </div>
  );
}
