/** Posições: consolidated across clients, or per client (search by client). */
import { SearchBox, Switch } from '@fluentui/react-components';
import { useMemo, useState } from 'react';
import type { ClientView, PositionView } from '../../../../common/types.js';
import type { PositionsPayload } from '../../core/blotters.js';
import { fmtMoney, fmtNumber, fmtPrice, fmtQty, fold } from '../../core/format.js';
import { usePane } from '../context.js';
import { useAsync, useChannel } from '../hooks.js';
import { Signed, StaleNotice, UpdatedAt, useTabStyles } from './common.js';
import { SendToSheet } from './SendToSheet.js';
import { VirtualTable, type Column } from './VirtualTable.js';

type Row = PositionView & { total: number };

export function PositionsTab(): JSX.Element {
  const s = useTabStyles();
  const { client } = usePane();
  const view = useChannel<PositionsPayload>(client, 'positions');
  const clients = useAsync(() => client.cachedGet<ClientView[]>('/api/clients', 30_000), [client]);
  const [search, setSearch] = useState('');
  const [byClient, setByClient] = useState(false);

  const names = useMemo(() => new Map((clients.data ?? []).map((c) => [c.id, c.name])), [clients.data]);
  const perClient = byClient || search.trim() !== '';
  const rows: Row[] = useMemo(() => {
    const data = view.data;
    if (!data) return [];
    const q = fold(search);
    const base = perClient
      ? (data.byClient ?? []).filter((p) => !q || fold(p.client ?? '').includes(q) || fold(names.get(p.client ?? '') ?? '').includes(q))
      : (data.consolidated ?? []);
    return base.map((p) => ({ ...p, total: (p.realizedPnl ?? 0) + (p.unrealizedPnl ?? 0) }));
  }, [view.data, view.version, search, perClient, names]);

  const totals = useMemo(() => {
    let realized = 0;
    let unrealized = 0;
    let exposure = 0;
    for (const r of rows) {
      realized += r.realizedPnl ?? 0;
      unrealized += r.unrealizedPnl ?? 0;
      exposure += Math.abs(r.qty * (r.last ?? 0));
    }
    return { realized, unrealized, exposure };
  }, [rows]);

  const columns: Column<Row>[] = [
    ...(perClient
      ? [
          {
            key: 'client',
            label: 'Cliente',
            width: 110,
            render: (r: Row) => r.client ?? '',
            title: (r: Row) => names.get(r.client ?? ''),
            sortValue: (r: Row) => r.client ?? '',
          },
        ]
      : []),
    { key: 'symbol', label: 'Ativo', width: 78, render: (r) => <b>{r.symbol}</b>, sortValue: (r) => r.symbol },
    { key: 'qty', label: 'Quantidade', width: 96, align: 'right', render: (r) => fmtQty(r.qty), sortValue: (r) => r.qty },
    { key: 'avg', label: 'Preço médio', width: 92, align: 'right', render: (r) => fmtPrice(r.avgPrice), sortValue: (r) => r.avgPrice },
    { key: 'last', label: 'Último', width: 80, align: 'right', render: (r) => fmtPrice(r.last), sortValue: (r) => r.last },
    {
      key: 'unrealized',
      label: 'Res. aberto (R$)',
      width: 122,
      align: 'right',
      render: (r) => <Signed value={r.unrealizedPnl} text={fmtNumber(r.unrealizedPnl, 2)} />,
      sortValue: (r) => r.unrealizedPnl,
    },
    {
      key: 'realized',
      label: 'Realizado (R$)',
      width: 112,
      align: 'right',
      render: (r) => <Signed value={r.realizedPnl} text={fmtNumber(r.realizedPnl, 2)} />,
      sortValue: (r) => r.realizedPnl,
    },
    {
      key: 'total',
      label: 'Total (R$)',
      width: 104,
      align: 'right',
      render: (r) => <Signed value={r.total} text={fmtNumber(r.total, 2)} />,
      sortValue: (r) => r.total,
    },
  ];

  return (
    <div className={s.root} data-testid="tab-positions">
      <div className={s.toolbar}>
        <SearchBox
          className={s.search}
          placeholder="Buscar cliente…"
          value={search}
          onChange={(_, d) => setSearch(d.value)}
          aria-label="Buscar cliente"
          data-testid="positions-search"
          size="small"
        />
        <Switch checked={perClient} disabled={search.trim() !== ''} onChange={(_, d) => setByClient(d.checked)} label="Por cliente" />
        <span className={s.grow} />
        <UpdatedAt view={view} />
        <SendToSheet kind="positions" />
      </div>
      <StaleNotice view={view} />
      <div className={s.cards}>
        <div className={s.card}>
          <div className={s.cardLabel}>Resultado aberto</div>
          <div className={s.cardValue}>
            <Signed value={totals.unrealized} text={fmtMoney(totals.unrealized)} />
          </div>
        </div>
        <div className={s.card}>
          <div className={s.cardLabel}>Realizado</div>
          <div className={s.cardValue}>
            <Signed value={totals.realized} text={fmtMoney(totals.realized)} />
          </div>
        </div>
        <div className={s.card}>
          <div className={s.cardLabel}>Exposição bruta</div>
          <div className={s.cardValue}>{fmtMoney(totals.exposure)}</div>
        </div>
      </div>
      <VirtualTable
        ariaLabel="Posições"
        testId="positions-table"
        rows={rows}
        columns={columns}
        rowKey={(r) => `${r.client ?? '*'}:${r.symbol}`}
        defaultSort={{ key: perClient ? 'client' : 'symbol', dir: 'asc' }}
        emptyText={view.status === 'loading' ? 'Carregando posições…' : search ? 'Nenhuma posição para este cliente.' : 'Sem posições.'}
      />
    </div>
  );
}
