/**
 * Posições: consolidated across clients, or per client (search by client). Every figure is the
 * bridge's (exposure with the instrument's multiplier, totals summed in centavos there); the pane
 * only adds up the per-client totals of the clients a search selects.
 */
import { makeStyles, SearchBox, Switch, ToggleButton } from '@fluentui/react-components';
import { DataBarHorizontal20Regular } from '@fluentui/react-icons';
import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { ClientView, InstrumentView, PositionsChannelView, PositionTotalsView, PositionView } from '../../../../common/types.js';
import { fmtMoney, fmtNumber, fmtPrice, fmtQty, fold } from '../../core/format.js';
import { usePane } from '../context.js';
import { useAsync, useChannel, useConnection } from '../hooks.js';
import { Money, Signed, StaleNotice, UpdatedAt, useDataState, useTabStyles } from './common.js';
import { PnlChart, type PnlBar } from './PnlCharts.js';
import { ColumnChooser, useChosenColumns } from './ColumnChooser.js';
import { SendToSheet } from './SendToSheet.js';
import { VirtualTable, type Column } from './VirtualTable.js';

type Row = PositionView & { total: number };

/** Wide enough for the two charts side by side. */
const CHARTS_SIDE_BY_SIDE_PX = 640;

const useStyles = makeStyles({
  charts: { display: 'grid', gap: '8px', gridTemplateColumns: '1fr' },
  side: { gridTemplateColumns: '1fr 1fr' },
});

/** Decimals a price of this tick needs: WIN (5 points) none, WDO (0,5) one, stocks two. */
function decimalsOf(tickSize: number): number {
  const text = String(tickSize);
  return text.includes('.') ? text.split('.')[1]!.length : 0;
}

/** Sum of per-client totals the bridge computed; exposure unknown if any client's is. */
function sumTotals(list: PositionTotalsView[]): PositionTotalsView {
  const unpriced = [...new Set(list.flatMap((t) => t.unpriced))].sort();
  const known = list.every((t) => t.exposure !== undefined);
  return {
    realizedPnl: list.reduce((a, t) => a + t.realizedPnl, 0),
    unrealizedPnl: list.reduce((a, t) => a + t.unrealizedPnl, 0),
    ...(known ? { exposure: list.reduce((a, t) => a + (t.exposure ?? 0), 0), netExposure: list.reduce((a, t) => a + (t.netExposure ?? 0), 0) } : {}),
    unpriced,
  };
}

export function PositionsTab(): JSX.Element {
  const s = useTabStyles();
  const cs = useStyles();
  const { client } = usePane();
  const view = useChannel<PositionsChannelView>(client, 'positions');
  const data = useDataState(view);
  // Reference data loads again once connected (a first try before the token was pasted fails).
  const open = useConnection(client).state === 'open';
  const clients = useAsync(() => client.cachedGet<ClientView[]>('/api/clients', 30_000), [client, open]);
  const [search, setSearch] = useState('');
  const [byClient, setByClient] = useState(false);
  const [showCharts, setShowCharts] = useState(true);
  const rootRef = useRef<HTMLDivElement>(null);
  const [widthPx, setWidthPx] = useState(0);
  useLayoutEffect(() => {
    const el = rootRef.current;
    if (!el) return;
    setWidthPx(el.clientWidth);
    const ro = new ResizeObserver(() => setWidthPx(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const instruments = useAsync(() => client.cachedGet<InstrumentView[]>('/api/instruments', 5 * 60_000), [client, open]);
  const names = useMemo(() => new Map((clients.data ?? []).map((c) => [c.id, c.name])), [clients.data]);
  const tickDecimals = useMemo(() => new Map((instruments.data ?? []).map((i) => [i.symbol, decimalsOf(i.tickSize)])), [instruments.data]);
  const decimals = (symbol: string) => tickDecimals.get(symbol) ?? 2;
  const perClient = byClient || search.trim() !== '';
  const q = fold(search);
  const matches = (id: string | undefined) => !q || fold(id ?? '').includes(q) || fold(names.get(id ?? '') ?? '').includes(q);
  const rows: Row[] = useMemo(() => {
    const d = view.data;
    if (!d) return [];
    const base = perClient ? (d.byClient ?? []).filter((p) => matches(p.client)) : (d.consolidated ?? []);
    return base.map((p) => ({ ...p, total: (p.realizedPnl ?? 0) + (p.unrealizedPnl ?? 0) }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [view.data, view.version, q, perClient, names]);

  const totals: PositionTotalsView | undefined = useMemo(() => {
    const d = view.data;
    if (!d?.totals) return undefined;
    return q ? sumTotals((d.clientTotals ?? []).filter((t) => matches(t.client))) : d.totals;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [view.data, view.version, q, names]);

  const bars = useMemo(() => {
    const d = view.data;
    const byAsset = new Map<string, number>();
    const source = q ? (d?.byClient ?? []).filter((p) => matches(p.client)) : (d?.consolidated ?? []);
    for (const p of source) byAsset.set(p.symbol, (byAsset.get(p.symbol) ?? 0) + p.realizedPnl + p.unrealizedPnl);
    const asset: PnlBar[] = [...byAsset].map(([label, value]) => ({ label, value }));
    const client: PnlBar[] = (d?.clientTotals ?? [])
      .filter((t) => matches(t.client))
      .map((t) => ({ label: t.client ?? '', title: names.get(t.client ?? ''), value: t.realizedPnl + t.unrealizedPnl }));
    return { asset, client };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [view.data, view.version, q, names]);

  const chooser = useChosenColumns('blackbox.positions.columns');
  const allColumns: Column<Row>[] = [
    ...(perClient
      ? [
          {
            key: 'client',
            label: 'Cliente',
            width: 72,
            render: (r: Row) => r.client ?? '',
            title: (r: Row) => names.get(r.client ?? ''),
            sortValue: (r: Row) => r.client ?? '',
          },
        ]
      : []),
    { key: 'symbol', label: 'Ativo', width: 68, render: (r) => <b>{r.symbol}</b>, sortValue: (r) => r.symbol },
    { key: 'qty', label: 'Qtd', width: 60, align: 'right', render: (r) => fmtQty(r.qty), sortValue: (r) => r.qty },
    { key: 'avg', label: 'Preço médio', width: 96, align: 'right', priority: 4, render: (r) => (r.qty ? fmtPrice(r.avgPrice, decimals(r.symbol) + 2) : '—'), sortValue: (r) => r.avgPrice },
    {
      key: 'exposure',
      label: 'Exposição',
      width: 96,
      align: 'right',
      priority: 2,
      render: (r) => (r.exposure === undefined ? '—' : fmtNumber(r.exposure, 2)),
      title: (r) => (r.exposure === undefined ? 'sem último preço: exposição desconhecida' : `líquida ${fmtMoney(r.netExposure)}`),
      sortValue: (r) => r.exposure ?? -1,
    },
    { key: 'last', label: 'Último', width: 80, align: 'right', priority: 3, render: (r) => (r.last ? fmtPrice(r.last, decimals(r.symbol)) : '—'), sortValue: (r) => r.last },
    {
      key: 'unrealized',
      label: 'Res. aberto',
      width: 100,
      align: 'right',
      priority: 5,
      render: (r) => <Signed value={r.unrealizedPnl} text={fmtNumber(r.unrealizedPnl, 2)} />,
      sortValue: (r) => r.unrealizedPnl,
    },
    {
      key: 'realized',
      label: 'Realizado',
      width: 100,
      align: 'right',
      priority: 5,
      render: (r) => <Signed value={r.realizedPnl} text={fmtNumber(r.realizedPnl, 2)} />,
      sortValue: (r) => r.realizedPnl,
    },
    {
      key: 'total',
      label: 'Resultado',
      width: 92,
      align: 'right',
      render: (r) => <Signed value={r.total} text={fmtNumber(r.total, 2)} />,
      sortValue: (r) => r.total,
    },
  ];

  const columns = chooser.apply(allColumns);

  const unknownExposure = totals && totals.exposure === undefined ? `sem último preço: ${totals.unpriced.join(', ')}` : undefined;

  return (
    <div className={s.root} data-testid="tab-positions" ref={rootRef}>
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
        <ToggleButton
          size="small"
          appearance="subtle"
          checked={showCharts}
          onClick={() => setShowCharts(!showCharts)}
          icon={<DataBarHorizontal20Regular />}
          aria-label="Gráficos de resultado"
          title={showCharts ? 'Esconder os gráficos' : 'Mostrar os gráficos de resultado'}
          data-testid="positions-charts-toggle"
        />
        <ColumnChooser columns={allColumns} chosen={chooser.chosen} onChange={chooser.setChosen} testId="positions-columns" />
        <span className={s.grow} />
        <UpdatedAt view={view} />
        <SendToSheet kind="positions" />
      </div>
      <StaleNotice view={view} />
      <div className={s.cards} data-testid="positions-cards">
        <div className={s.card}>
          <div className={s.cardLabel}>Res. aberto</div>
          <div className={s.cardValue} data-testid="card-unrealized">
            <Money value={totals?.unrealizedPnl} signed />
          </div>
        </div>
        <div className={s.card}>
          <div className={s.cardLabel}>Realizado</div>
          <div className={s.cardValue} data-testid="card-realized">
            <Money value={totals?.realizedPnl} signed />
          </div>
        </div>
        <div className={s.card} title={unknownExposure ?? 'Soma, cliente a cliente, de |quantidade| × último × valor do ponto'}>
          <div className={s.cardLabel}>Exposição bruta</div>
          <div className={s.cardValue} data-testid="card-exposure">
            <Money value={totals?.exposure} />
          </div>
          <div className={s.cardHint} data-testid="card-net-exposure">
            {totals?.netExposure !== undefined ? `líquida ${fmtMoney(totals.netExposure)}` : unknownExposure ?? ' '}
          </div>
        </div>
      </div>
      {showCharts && data.hasData && (
        <div className={`${cs.charts} ${widthPx >= CHARTS_SIDE_BY_SIDE_PX ? cs.side : ''}`} data-testid="positions-charts">
          <PnlChart title="Resultado por ativo (R$)" bars={bars.asset} testId="chart-pnl-asset" />
          <PnlChart title="Resultado por cliente (R$)" bars={bars.client} testId="chart-pnl-client" />
        </div>
      )}
      <VirtualTable
        ariaLabel="Posições"
        testId="positions-table"
        rows={rows}
        columns={columns}
        rowKey={(r) => `${r.client ?? '*'}:${r.symbol}`}
        defaultSort={{ key: perClient ? 'client' : 'symbol', dir: 'asc' }}
        emptyText={data.emptyText(search ? 'Nenhuma posição para este cliente.' : 'Sem posições.', 'Carregando posições…')}
      />
    </div>
  );
}
