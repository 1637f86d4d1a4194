/**
 * Saldo: cash per client today (D+0) and after the next two B3 days' settlements. A click on a
 * client's D+n figure opens what settles that day, trade by trade (SettlementDetail).
 */
import { SearchBox, makeStyles, tokens } from '@fluentui/react-components';
import { useMemo, useState } from 'react';
import type { BalanceView, ClientView } from '../../../../common/types.js';
import { fmtDate, fmtMoney, fmtNumber, fold } from '../../core/format.js';
import { usePane } from '../context.js';
import { useAsync, useChannel } from '../hooks.js';
import { Signed, StaleNotice, UpdatedAt, useTabStyles } from './common.js';
import { SendToSheet } from './SendToSheet.js';
import { SettlementDetail } from './SettlementDetail.js';
import { VirtualTable, type Column } from './VirtualTable.js';

type Row = BalanceView & { name: string };

const DAYS = ['d0', 'd1', 'd2'] as const;

const useStyles = makeStyles({
  // A figure that opens its day's detail: looks like the number, acts as a button.
  dayButton: {
    backgroundColor: 'transparent',
    border: 'none',
    padding: 0,
    font: 'inherit',
    color: 'inherit',
    cursor: 'pointer',
    width: '100%',
    textAlign: 'right',
    borderRadius: tokens.borderRadiusSmall,
    ':hover': { textDecorationLine: 'underline' },
    ':focus-visible': { outline: `2px solid ${tokens.colorStrokeFocus2}` },
  },
});

export function BalancesTab(): JSX.Element {
  const s = useTabStyles();
  const own = useStyles();
  const { client } = usePane();
  const [open, setOpen] = useState<{ client: string; offset: number } | undefined>();
  const view = useChannel<BalanceView[]>(client, 'balances');
  const clients = useAsync(() => client.cachedGet<ClientView[]>('/api/clients', 30_000), [client]);
  const [search, setSearch] = useState('');
  const names = useMemo(() => new Map((clients.data ?? []).map((c) => [c.id, c.name])), [clients.data]);

  const rows: Row[] = useMemo(() => {
    const q = fold(search);
    return (view.data ?? [])
      .map((b) => ({ ...b, name: names.get(b.client) ?? '' }))
      .filter((b) => !q || fold(b.client).includes(q) || fold(b.name).includes(q));
  }, [view.data, view.version, search, names]);

  const dates = view.data?.[0]?.dates;
  const totals = useMemo(() => rows.reduce((t, r) => ({ d0: t.d0 + r.d0, d1: t.d1 + r.d1, d2: t.d2 + r.d2 }), { d0: 0, d1: 0, d2: 0 }), [rows]);
  // Cells in R$ without the symbol (the cards above carry it): more columns fit a narrow pane.
  const money = (k: (typeof DAYS)[number]) => (r: Row) => {
    const offset = DAYS.indexOf(k);
    return (
      <button
        type="button"
        className={own.dayButton}
        onClick={(e) => {
          e.stopPropagation();
          setOpen({ client: r.client, offset });
        }}
        title={`Ver o que liquida para ${r.client} em ${fmtDate(r.dates[offset])}`}
        data-testid={`balance-${r.client}-d${offset}`}
      >
        <Signed value={r[k] < 0 ? r[k] : 0} text={fmtNumber(r[k], 2)} />
      </button>
    );
  };
  const openRow = open && view.data?.find((b) => b.client === open.client);

  const columns: Column<Row>[] = [
    { key: 'client', label: 'Cliente', width: 86, render: (r) => <b>{r.client}</b>, sortValue: (r) => r.client, title: (r) => r.name },
    { key: 'd0', label: `D+0${dates ? ` · ${fmtDate(dates[0]).slice(0, 5)}` : ''}`, width: 116, align: 'right', render: money('d0'), sortValue: (r) => r.d0 },
    { key: 'd1', label: `D+1${dates ? ` · ${fmtDate(dates[1]).slice(0, 5)}` : ''}`, width: 116, align: 'right', render: money('d1'), sortValue: (r) => r.d1 },
    { key: 'd2', label: `D+2${dates ? ` · ${fmtDate(dates[2]).slice(0, 5)}` : ''}`, width: 116, align: 'right', render: money('d2'), sortValue: (r) => r.d2 },
    { key: 'name', label: 'Nome', width: 180, render: (r) => r.name, sortValue: (r) => r.name },
  ];

  return (
    <div className={s.root} data-testid="tab-balances">
      <div className={s.toolbar}>
        <SearchBox className={s.search} placeholder="Buscar cliente…" value={search} onChange={(_, d) => setSearch(d.value)} aria-label="Buscar cliente" size="small" data-testid="balances-search" />
        <span className={s.grow} />
        <UpdatedAt view={view} />
        <SendToSheet kind="balances" />
      </div>
      <StaleNotice view={view} />
      <div className={s.cards}>
        {DAYS.map((k, i) => (
          <div className={s.card} key={k}>
            <div className={s.cardLabel}>
              Total D+{i}
              {dates ? ` · ${fmtDate(dates[i])}` : ''}
            </div>
            <div className={s.cardValue}>
              <Signed value={totals[k] < 0 ? totals[k] : 0} text={fmtMoney(totals[k])} />
            </div>
          </div>
        ))}
      </div>
      <div className={s.muted}>Clique num valor D+0, D+1 ou D+2 de um cliente para ver o que liquida no dia.</div>
      <VirtualTable
        ariaLabel="Saldo por cliente"
        testId="balances-table"
        rows={rows}
        columns={columns}
        rowKey={(r) => r.client}
        defaultSort={{ key: 'client', dir: 'asc' }}
        emptyText={view.status === 'loading' ? 'Carregando saldos…' : 'Nenhum cliente.'}
      />
      {open && openRow ? (
        <SettlementDetail
          client={open.client}
          clientName={names.get(open.client)}
          date={openRow.dates[open.offset]}
          offset={open.offset}
          version={view.version}
          onClose={() => setOpen(undefined)}
        />
      ) : null}
    </div>
  );
}
