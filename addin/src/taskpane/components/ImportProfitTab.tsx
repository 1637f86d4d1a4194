/**
 * Import Profit: drop Profit's CSV exports (candles of any interval, daily, times & trades) or pick
 * them; each file becomes a job on the bridge, with a progress bar (rows/s, ETA), cancel, and the
 * final report with every refused line. With the ProfitDLL broker, download a symbol's trades directly.
 */
import { Button, Field, Input, makeStyles, MessageBar, MessageBarBody, ProgressBar, tokens } from '@fluentui/react-components';
import { ArrowUpload20Regular, Dismiss16Regular, CloudArrowDown20Regular } from '@fluentui/react-icons';
import { useEffect, useRef, useState } from 'react';
import type { ImportJobView, ProfitVariant } from '../../../../common/marketdata.js';
import { fmtNumber } from '../../core/format.js';
import { mergeJobs, uploadProfitFiles } from '../../core/marketdata.js';
import { usePane } from '../context.js';
import { useAsync } from '../hooks.js';
import { useTabStyles } from './common.js';

const useStyles = makeStyles({
  drop: {
    border: `2px dashed ${tokens.colorNeutralStroke1}`,
    borderRadius: tokens.borderRadiusLarge,
    padding: '16px 12px',
    textAlign: 'center',
    backgroundColor: tokens.colorNeutralBackground2,
    display: 'flex',
    flexDirection: 'column',
    alignItems: 'center',
    gap: '6px',
  },
  dropActive: { border: `2px dashed ${tokens.colorBrandStroke1}`, backgroundColor: tokens.colorBrandBackground2 },
  jobs: { display: 'flex', flexDirection: 'column', gap: '8px', overflowY: 'auto', flex: '1 1 auto', minHeight: 0 },
  job: { border: `1px solid ${tokens.colorNeutralStroke2}`, borderRadius: tokens.borderRadiusMedium, padding: '6px 8px', display: 'flex', flexDirection: 'column', gap: '4px' },
  jobHead: { display: 'flex', alignItems: 'center', gap: '6px' },
  name: { fontWeight: tokens.fontWeightSemibold, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap', flex: '1 1 auto' },
  small: { fontSize: tokens.fontSizeBase200, color: tokens.colorNeutralForeground2, fontVariantNumeric: 'tabular-nums' },
  refused: { fontSize: tokens.fontSizeBase200, margin: 0, paddingLeft: '16px', maxHeight: '140px', overflowY: 'auto' },
  history: { display: 'grid', gridTemplateColumns: '1fr 1fr 1fr', gap: '6px', alignItems: 'end' },
});

/** The layout the bridge recognised, as a PM knows Profit's exports. */
const VARIANT_LABEL: Record<ProfitVariant, string> = {
  'candles-intraday': 'velas intradiárias',
  'candles-daily': 'velas diárias',
  'candles-formatted': 'velas (planilha formatada)',
  'trades-header': 'negócios (times & trades)',
  'trades-headerless': 'negócios (times & trades, sem cabeçalho)',
};
/** "PETR4 trades" → "PETR4 negócios"; candle series ("PETR4 15m") read the same in both languages. */
const seriesLabel = (s: string): string => s.replace(/ trades$/, ' negócios');

const STATE_LABEL: Record<ImportJobView['state'], string> = { queued: 'na fila', running: 'importando', done: 'concluída', failed: 'falhou', cancelled: 'cancelada' };

function fmtEta(sec: number | undefined): string {
  if (sec === undefined) return '';
  return sec >= 60 ? ` · faltam ${Math.floor(sec / 60)} min ${sec % 60} s` : ` · faltam ${sec} s`;
}

function JobCard({ job, onCancel }: { job: ImportJobView; onCancel: () => void }): JSX.Element {
  const s = useStyles();
  const r = job.report;
  const active = job.state === 'queued' || job.state === 'running';
  const refusedCount = r ? r.refused.length + (r.refusedNotListed ?? 0) : 0;
  return (
    <div className={s.job} data-testid="import-job" data-state={job.state}>
      <div className={s.jobHead}>
        <span className={s.name} title={job.label}>
          {job.label}
        </span>
        <span className={s.small}>{STATE_LABEL[job.state]}</span>
        {active && <Button size="small" appearance="subtle" icon={<Dismiss16Regular />} onClick={onCancel} aria-label={`Cancelar ${job.label}`} data-testid="import-cancel" />}
      </div>
      {active && <ProgressBar value={job.total > 0 ? job.done / job.total : undefined} thickness="large" />}
      {active && (
        <span className={s.small}>
          {fmtNumber(job.rowsRead, 0)} linhas · {fmtNumber(job.rowsPerSec, 0)} linhas/s{fmtEta(job.etaSec)}
        </span>
      )}
      {r && !r.error && (
        <span className={s.small} data-testid="import-report">
          {r.series?.map(seriesLabel).join(', ')} · {r.variant ? VARIANT_LABEL[r.variant] ?? r.variant : ''} · {r.encoding?.toUpperCase()} — {fmtNumber(r.rowsRead, 0)} lidas, {fmtNumber(r.stored, 0)} gravadas, {fmtNumber(r.duplicates, 0)} já existiam, {fmtNumber(refusedCount, 0)} recusadas
        </span>
      )}
      {job.error && (
        <MessageBar intent={job.state === 'cancelled' ? 'warning' : 'error'}>
          <MessageBarBody>{job.error}</MessageBarBody>
        </MessageBar>
      )}
      {r && r.refused.length > 0 && (
        <ul className={s.refused} data-testid="import-refused">
          {r.refused.slice(0, 200).map((x) => (
            <li key={x.line}>
              linha {x.line}: {x.reason}
            </li>
          ))}
          {refusedCount > 200 && <li>… e mais {fmtNumber(refusedCount - 200, 0)} linhas (a lista completa: blackbox import --json)</li>}
        </ul>
      )}
    </div>
  );
}

export function ImportProfitTab(): JSX.Element {
  const t = useTabStyles();
  const s = useStyles();
  const { client, notify, canTrade } = usePane();
  const [jobs, setJobs] = useState<Map<string, ImportJobView>>(new Map());
  const [over, setOver] = useState(false);
  const [sending, setSending] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const info = useAsync(() => client.request<{ historyAvailable: boolean; maxFileBytes: number }>('GET', '/api/import'), [client]);
  const [hist, setHist] = useState({ symbol: '', from: '', to: '' });

  useEffect(() => client.subscribe('imports', (v) => setJobs((known) => mergeJobs(known, v.data))), [client]);

  const send = async (files: File[]) => {
    if (files.length === 0) return;
    setSending(true);
    try {
      const r = await uploadProfitFiles(client, files);
      setJobs((known) => r.jobs.reduce((m, j) => mergeJobs(m, j), known));
      for (const e of r.errors) notify('error', e.message);
    } catch (e) {
      notify('error', (e as Error).message);
    } finally {
      setSending(false);
    }
  };

  const cancel = (id: string) => client.request('POST', `/api/import/${id}/cancel`).catch((e: Error) => notify('error', e.message));

  const download = async () => {
    try {
      const job = await client.request<ImportJobView>('POST', '/api/import/history', { symbol: hist.symbol.trim().toUpperCase(), from: hist.from, to: hist.to });
      setJobs((known) => mergeJobs(known, job));
    } catch (e) {
      notify('error', (e as Error).message);
    }
  };

  const list = [...jobs.values()].reverse();
  const max = info.data?.maxFileBytes;
  const maxText = max === undefined ? '' : max >= 1024 ** 3 ? `${fmtNumber(max / 1024 ** 3, 0)} GB` : `${fmtNumber(max / 1024 ** 2, 0)} MB`;

  return (
    <div className={t.root} data-testid="tab-import">
      <div
        className={over ? `${s.drop} ${s.dropActive}` : s.drop}
        data-testid="import-drop"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          if (canTrade) void send([...e.dataTransfer.files]);
        }}
      >
        <span>Arraste aqui os CSV exportados do Profit</span>
        <span className={s.small}>velas de qualquer intervalo, diário, times &amp; trades{maxText ? ` · até ${maxText} por arquivo` : ''}</span>
        <Button icon={<ArrowUpload20Regular />} size="small" disabled={!canTrade || sending} onClick={() => input.current?.click()} data-testid="import-pick">
          {sending ? 'Enviando…' : 'Escolher arquivos'}
        </Button>
        <input
          ref={input}
          type="file"
          accept=".csv,.txt,text/csv"
          multiple
          hidden
          data-testid="import-input"
          onChange={(e) => {
            void send([...(e.target.files ?? [])]);
            e.target.value = '';
          }}
        />
      </div>
      {info.data?.historyAvailable && (
        <div data-testid="history-form">
          <div className={s.history}>
            <Field label="Ativo" size="small">
              <Input size="small" value={hist.symbol} onChange={(_, d) => setHist({ ...hist, symbol: d.value })} placeholder="PETR4" data-testid="history-symbol" />
            </Field>
            <Field label="De" size="small">
              <Input size="small" type="date" value={hist.from} onChange={(_, d) => setHist({ ...hist, from: d.value })} data-testid="history-from" />
            </Field>
            <Field label="Até" size="small">
              <Input size="small" type="date" value={hist.to} onChange={(_, d) => setHist({ ...hist, to: d.value })} data-testid="history-to" />
            </Field>
          </div>
          <Button size="small" icon={<CloudArrowDown20Regular />} disabled={!canTrade || !hist.symbol || !hist.from || !hist.to} onClick={download} data-testid="history-download" style={{ marginTop: 6 }}>
            Baixar negócios pela ProfitDLL
          </Button>
        </div>
      )}
      <div className={s.jobs} aria-label="Importações">
        {list.length === 0 && <span className={s.small}>Nenhuma importação nesta sessão da ponte.</span>}
        {list.map((j) => (
          <JobCard key={j.id} job={j} onCancel={() => void cancel(j.id)} />
        ))}
      </div>
    </div>
  );
}
