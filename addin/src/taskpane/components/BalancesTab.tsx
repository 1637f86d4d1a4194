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
import { VirtualTable, type Column, type CompactRows } from './VirtualTable.js';

type Row = BalanceView & { name: string };

const DAYS = ['d0', 'd1', 'd2'] as const;

/** Client + three day columns at their minimum widths: below this the rows go to two lines. */
const CLIENT_PX = 70;
const DAY_PX = 100;
export const BALANCES_COMPACT_BELOW_PX = CLIENT_PX + 3 * DAY_PX;

const useStyles = makeStyles({
  compactLine: { display: 'flex', gap: '6px', alignItems: 'baseline', whiteSpace: 'nowrap', overflow: 'hidden', lineHeight: '18px' },
  compactName: { color: tokens.colorNeutralForeground3, overflow: 'hidden', textOverflow: 'ellipsis' },
  compactDays: { display: 'grid', gridTemplateColumns: 'repeat(3, minmax(0, 1fr))', gap: '6px', lineHeight: '18px' },
  compactDay: { display: 'flex', flexDirection: 'column', minWidth: 0 },
  compactDayLabel: { fontSize: tokens.fontSizeBase100, color: tokens.colorNeutralForeground3, textAlign: 'right', lineHeight: '12px' },
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

  const dayLabel = (i: number) => `D+${i}${dates ? ` · ${fmtDate(dates[i]).slice(0, 5)}` : ''}`;
  // The three days a PM acts on always show; the name gives way first (it is the client's tooltip).
  const columns: Column<Row>[] = [
    { key: 'client', label: 'Cliente', width: CLIENT_PX, render: (r) => <b>{r.client}</b>, sortValue: (r) => r.client, title: (r) => r.name },
    ...DAYS.map((k, i): Column<Row> => ({ key: k, label: dayLabel(i), width: DAY_PX, align: 'right', render: money(k), sortValue: (r) => r[k] })),
    { key: 'name', label: 'Nome', width: 180, priority: 2, flex: true, render: (r) => r.name, sortValue: (r) => r.name },
  ];
  // Narrower than the four columns (a 320 px pane): client and name on one line, the three days below.
  const compact: CompactRows<Row> = {
    belowPx: BALANCES_COMPACT_BELOW_PX,
    rowHeight: 58,
    sortKeys: ['client', 'd0', 'd1', 'd2'],
    render: (r) => (
      <>
        <div className={own.compactLine}>
          <b>{r.client}</b>
          <span className={own.compactName}>{r.name}</span>
        </div>
        <div className={own.compactDays}>
          {DAYS.map((k, i) => (
            <div className={own.compactDay} key={k}>
              <span className={own.compactDayLabel}>{dayLabel(i)}</span>
              {money(k)(r)}
            </div>
          ))}
        </div>
      </>
    ),
  };

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
        compact={compact}
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
