/**
 * Base de dados: what the market database holds (series, ranges, rows, gaps against the B3 calendar),
 * a candle chart with volume of a chosen range, that range to a sheet as an Excel table (Excel only),
 * and deletion of a range after a confirmation.
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
  tokens,
} from '@fluentui/react-components';
import { ArrowClockwise20Regular, Delete20Regular, TableArrowUp20Regular } from '@fluentui/react-icons';
import { CandlestickSeries, createChart, HistogramSeries, type IChartApi, type UTCTimestamp } from 'lightweight-charts';
import { DateTime } from 'luxon';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { CandleRow, CoverageRow, ImportJobView } from '../../../../common/marketdata.js';
import { fmtNumber } from '../../core/format.js';
import { DateField } from './DateField.js';
import { chartTime } from '../../core/marketdata.js';
import { CANDLES_SHEET, writeCandlesTable } from '../../sheets/candles-sheet.js';
import { usePane } from '../context.js';
import { useAsync } from '../hooks.js';
import { useTabStyles } from './common.js';
import { VirtualTable, type Column } from './VirtualTable.js';

const ZONE = 'America/Sao_Paulo';

const useStyles = makeStyles({
  table: { flex: '0 1 auto', maxHeight: '190px', display: 'flex', minHeight: '110px' },
  chart: { height: '220px', flex: '0 0 auto', border: `1px solid ${tokens.colorNeutralStroke2}`, borderRadius: tokens.borderRadiusMedium, overflow: 'hidden' },
  range: { display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '6px' },
  small: { fontSize: tokens.fontSizeBase200, color: tokens.colorNeutralForeground2 },
  gap: { color: tokens.colorPaletteDarkOrangeForeground1 },
});

const key = (r: CoverageRow) => `${r.symbol} ${r.interval}`;
const localDate = (iso: string) => DateTime.fromISO(iso, { zone: ZONE }).toISODate()!;
const shortDate = (iso: string) => DateTime.fromISO(iso, { zone: ZONE }).toFormat('dd/MM/yy');
const fmtLocal = (iso: string, interval: string) => DateTime.fromISO(iso, { zone: ZONE }).toFormat(interval === '1d' ? 'dd/MM/yyyy' : 'dd/MM/yy HH:mm');

function gapText(r: CoverageRow): string {
  const days = r.gaps.reduce((n, g) => n + g.days, 0);
  if (days === 0) return '—';
  return `${days} pregão${days > 1 ? 's' : ''}`;
}

export function MarketDataTab(): JSX.Element {
  const t = useTabStyles();
  const s = useStyles();
  const { client, workbook, notify, canTrade } = usePane();
  const [refresh, setRefresh] = useState(0);
  const cov = useAsync(() => client.request<CoverageRow[]>('GET', '/api/marketdata/coverage'), [client, refresh]);
  const [selected, setSelected] = useState<string | undefined>();
  const [range, setRange] = useState({ from: '', to: '' });
  const [candles, setCandles] = useState<CandleRow[] | undefined>();
  const [confirm, setConfirm] = useState(false);
  const [busy, setBusy] = useState(false);
  const chartEl = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi>();

  // Coverage changes when an import ends: reload then.
  useEffect(
    () =>
      client.subscribe('imports', (v) => {
        const jobs = (Array.isArray(v.data) ? v.data : [v.data]) as ImportJobView[];
        if (jobs.some((j) => j && j.state === 'done')) setRefresh((n) => n + 1);
      }),
    [client],
  );

  const rows = cov.data ?? [];
  const series = useMemo(() => rows.find((r) => key(r) === selected), [rows, selected]);

  const select = (r: CoverageRow) => {
    setSelected(key(r));
    // The last stored day by default: a day of 1-minute candles is a readable chart.
    const last = localDate(r.to);
    setRange({ from: r.interval === '1d' ? localDate(r.from) : last, to: last });
  };

  useEffect(() => {
    if (!series || series.interval === 'trades' || !range.from || !range.to) {
      setCandles(undefined);
      return;
    }
    let alive = true;
    const q = new URLSearchParams({ symbol: series.symbol, interval: series.interval, from: range.from, to: range.to });
    client.request<CandleRow[]>('GET', `/api/marketdata/candles?${q}`).then(
      (c) => alive && setCandles(c),
      (e: Error) => {
        if (alive) setCandles([]);
        notify('error', e.message);
      },
    );
    return () => {
      alive = false;
    };
  }, [client, series, range.from, range.to, refresh, notify]);

  useEffect(() => {
    const el = chartEl.current;
    if (!el || !candles) return;
    // Axis and crosshair in pt-BR (124.200 / 36,51), points without decimals for index futures.
    const priceDecimals = candles.every((x) => Number.isInteger(x.open) && Number.isInteger(x.close) && Number.isInteger(x.high) && Number.isInteger(x.low)) ? 0 : 2;
    const c = createChart(el, {
      autoSize: true,
      layout: { fontSize: 11, background: { color: 'transparent' } },
      timeScale: { timeVisible: series?.interval !== '1d', secondsVisible: false },
      localization: { locale: 'pt-BR', priceFormatter: (p: number) => fmtNumber(p, priceDecimals) },
    });
    chart.current = c;
    const price = c.addSeries(CandlestickSeries, { upColor: '#107c10', downColor: '#c50f1f', wickUpColor: '#107c10', wickDownColor: '#c50f1f', borderVisible: false });
    const volume = c.addSeries(HistogramSeries, { priceFormat: { type: 'custom', minMove: 1, formatter: (v: number) => fmtNumber(v, 0) }, priceScaleId: 'vol', color: '#8a8886' });
    c.priceScale('vol').applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } });
    price.priceScale().applyOptions({ scaleMargins: { top: 0.05, bottom: 0.25 } });
    price.setData(candles.map((x) => ({ time: chartTime(x.t) as UTCTimestamp, open: x.open, high: x.high, low: x.low, close: x.close })));
    volume.setData(candles.map((x) => ({ time: chartTime(x.t) as UTCTimestamp, value: x.qty, color: x.close >= x.open ? '#9fd89f' : '#f1bbbc' })));
    c.timeScale().fitContent();
    return () => {
      c.remove();
      chart.current = undefined;
    };
  }, [candles, series?.interval]);

  const toSheet = async () => {
    if (!workbook || !series || !candles?.length) return;
    setBusy(true);
    try {
      const table = await writeCandlesTable(workbook, series.symbol, series.interval, candles);
      notify('success', `${fmtNumber(candles.length, 0)} velas de ${series.symbol} ${series.interval} na tabela ${table} (planilha "${CANDLES_SHEET}").`);
    } catch (e) {
      notify('error', `Não consegui escrever na planilha: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!series) return;
    setBusy(true);
    try {
      const r = await client.request<{ deleted: number }>('POST', '/api/marketdata/delete', { symbol: series.symbol, interval: series.interval, from: range.from, to: range.to });
      notify('success', `${fmtNumber(r.deleted, 0)} linhas de ${series.symbol} ${series.interval} apagadas.`);
      setRefresh((n) => n + 1);
    } catch (e) {
      notify('error', (e as Error).message);
    } finally {
      setBusy(false);
      setConfirm(false);
    }
  };

  const columns: Column<CoverageRow>[] = [
    { key: 'symbol', label: 'Ativo', width: 64, render: (r) => <b>{r.symbol}</b>, sortValue: (r) => r.symbol },
    { key: 'interval', label: 'Int.', width: 46, render: (r) => (r.interval === 'trades' ? 'T&T' : r.interval), sortValue: (r) => r.interval },
    { key: 'from', label: 'De', width: 74, render: (r) => shortDate(r.from), sortValue: (r) => r.from, title: (r) => fmtLocal(r.from, r.interval) },
    { key: 'to', label: 'Até', width: 74, render: (r) => shortDate(r.to), sortValue: (r) => r.to, title: (r) => fmtLocal(r.to, r.interval) },
    { key: 'rows', label: 'Linhas', width: 62, align: 'right', render: (r) => fmtNumber(r.rows, 0), sortValue: (r) => r.rows },
    {
      key: 'gaps',
      label: 'Lacunas',
      width: 66,
      flex: true,
      render: (r) => <span className={r.gaps.length ? s.gap : undefined}>{gapText(r)}</span>,
      title: (r) => r.gaps.map((g) => (g.from === g.to ? g.from : `${g.from} a ${g.to}`)).join(', ') || undefined,
    },
  ];

  const validRange = !!range.from && !!range.to && range.from <= range.to;

  return (
    <div className={t.root} data-testid="tab-marketdata">
      <div className={t.toolbar}>
        <span className={s.small}>{rows.length ? `${rows.length} séries na base` : ''}</span>
        <span className={t.grow} />
        <Button size="small" icon={<ArrowClockwise20Regular />} onClick={() => setRefresh((n) => n + 1)} data-testid="marketdata-refresh">
          Atualizar
        </Button>
      </div>
      <div className={s.table}>
        <VirtualTable
          ariaLabel="Séries guardadas"
          testId="coverage-table"
          rows={rows}
          columns={columns}
          rowKey={key}
          selectedKey={selected}
          onRowClick={select}
          defaultSort={{ key: 'symbol', dir: 'asc' }}
          emptyText={cov.loading ? 'Carregando…' : cov.error ? cov.error.message : 'A base está vazia: importe arquivos do Profit na aba Import Profit.'}
        />
      </div>
      {series && (
        <>
          <div className={s.range}>
            <DateField label="De" value={range.from} onChange={(from) => setRange((r) => ({ ...r, from }))} testId="range-from" />
            <DateField label="Até" value={range.to} onChange={(to) => setRange((r) => ({ ...r, to }))} testId="range-to" />
          </div>
          {series.interval === 'trades' ? (
            <span className={s.small}>Negócios (times &amp; trades): {fmtNumber(series.rows, 0)} guardados; o gráfico mostra séries de velas.</span>
          ) : (
            <div className={s.chart} ref={chartEl} data-testid="candle-chart" data-candles={candles?.length ?? 0} />
          )}
          <div className={t.toolbar}>
            <span className={s.small}>
              {series.symbol} {series.interval} · {candles ? `${fmtNumber(candles.length, 0)} velas no período` : ''}
            </span>
            <span className={t.grow} />
            {workbook && series.interval !== 'trades' && (
              <Button size="small" icon={<TableArrowUp20Regular />} disabled={busy || !candles?.length} onClick={toSheet} data-testid="marketdata-to-sheet">
                Enviar para planilha
              </Button>
            )}
            <Button size="small" icon={<Delete20Regular />} disabled={busy || !canTrade || !validRange} onClick={() => setConfirm(true)} data-testid="marketdata-delete">
              Apagar período
            </Button>
          </div>
        </>
      )}
      <Dialog open={confirm} onOpenChange={(_, d) => setConfirm(d.open)}>
        <DialogSurface data-testid="delete-confirm">
          <DialogBody>
            <DialogTitle>Apagar dados?</DialogTitle>
            <DialogContent>
              {series && `Apagar ${series.symbol} ${series.interval === 'trades' ? 'negócios' : series.interval} de ${range.from.split('-').reverse().join('/')} a ${range.to.split('-').reverse().join('/')}? Isto não pode ser desfeito (importe o arquivo de novo para recuperar).`}
            </DialogContent>
            <DialogActions>
              <Button appearance="secondary" onClick={() => setConfirm(false)}>
                Manter
              </Button>
              <Button appearance="primary" onClick={remove} disabled={busy} data-testid="delete-confirm-yes">
                Apagar
              </Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
    </div>
  );
}
