/** Ordens: every order of every client, searchable by client and status; click for the detail. */
import { Dropdown, Option, ProgressBar, SearchBox } from '@fluentui/react-components';
import { useMemo, useState } from 'react';
import type { OrderView } from '../../../../common/types.js';
import { orderClientText } from '../../core/blotters.js';
import { fmtPrice, fmtQty, fmtTime, fold, isOpenStatus, STATUS_LABELS } from '../../core/format.js';
import { usePane } from '../context.js';
import { useAsync, useChannel } from '../hooks.js';
import { SideText, StaleNotice, StatusBadge, UpdatedAt, useTabStyles } from './common.js';
import { focusOrders, useOrderFocus } from '../order-focus.js';
import { OrderDetail } from './OrderDetail.js';
import { OrderFocusBar, PausedOrdersNotice } from './PausedOrdersNotice.js';
import { SendToSheet } from './SendToSheet.js';
import { VirtualTable, type Column } from './VirtualTable.js';

const STATUS_FILTERS: Array<{ value: string; label: string }> = [
  { value: 'all', label: 'Todas' },
  { value: 'open', label: 'Abertas' },
  { value: 'closed', label: 'Encerradas' },
  ...Object.entries(STATUS_LABELS).map(([value, label]) => ({ value, label })),
];

export function OrdersTab(): JSX.Element {
  const s = useTabStyles();
  const { client } = usePane();
  const view = useChannel<OrderView[]>(client, 'orders');
  const algos = useAsync(() => client.getAlgos(), [client]);
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
    { key: 'time', label: 'Hora', width: 72, render: (o) => fmtTime(o.createdAt), sortValue: (o) => o.createdAt },
    { key: 'symbol', label: 'Ativo', width: 70, render: (o) => <b>{o.symbol}</b>, sortValue: (o) => o.symbol },
    { key: 'side', label: 'Lado', width: 62, render: (o) => <SideText side={o.side} />, sortValue: (o) => o.side },
    { key: 'qty', label: 'Qtd', width: 80, align: 'right', render: (o) => fmtQty(o.qty), sortValue: (o) => o.qty },
    {
      key: 'progress',
      label: 'Executado',
      width: 130,
      render: (o) => (
        <div style={{ display: 'flex', alignItems: 'center', gap: 6 }}>
          <ProgressBar value={o.qty ? o.filledQty / o.qty : 0} thickness="medium" style={{ flex: 1 }} color={o.status === 'rejected' ? 'error' : o.filledQty >= o.qty ? 'success' : 'brand'} />
          <span style={{ minWidth: 48, textAlign: 'right' }}>{fmtQty(o.filledQty)}</span>
        </div>
      ),
      sortValue: (o) => (o.qty ? o.filledQty / o.qty : 0),
    },
    { key: 'avg', label: 'Preço médio', width: 88, align: 'right', render: (o) => (o.filledQty > 0 ? fmtPrice(o.avgPrice) : '—'), sortValue: (o) => o.avgPrice },
    { key: 'status', label: 'Status', width: 104, render: (o) => <StatusBadge status={o.status} />, sortValue: (o) => o.status, title: (o) => o.statusReason },
    { key: 'algo', label: 'Tipo', width: 96, render: (o) => labels.get(o.algo?.type) ?? o.algo?.type, sortValue: (o) => o.algo?.type ?? '' },
    { key: 'client', label: 'Cliente', width: 104, render: (o) => orderClientText(o), sortValue: (o) => orderClientText(o) },
    { key: 'limit', label: 'Limite', width: 76, align: 'right', render: (o) => (o.limitPrice ? fmtPrice(o.limitPrice) : 'mercado'), sortValue: (o) => o.limitPrice ?? 0 },
    { key: 'id', label: 'ID', width: 150, render: (o) => <span style={{ fontFamily: 'monospace', fontSize: 11 }}>{o.id}</span>, sortValue: (o) => o.id },
  ];

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
        <span className={s.muted}>
          {fmtQty(counts.open)} abertas · {fmtQty(counts.total)} no dia
        </span>
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
        emptyText={view.status === 'loading' ? 'Carregando ordens…' : 'Nenhuma ordem com estes filtros.'}
      />
      {selected && <OrderDetail id={selected} labels={labels} algos={algos.data} onClose={() => setSelected(undefined)} />}
    </div>
  );
}
