/**
 * Boletas em lote: from the selected sheet range/table (Excel) or from pasted rows (browser).
 * Read → validate (locally, then with the bridge) → preview with row-level errors → send the
 * valid rows in one batch → write id / status / error beside each row.
 */
import {
  Badge,
  Button,
  Checkbox,
  makeStyles,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  Spinner,
  Textarea,
  tokens,
  Tooltip,
} from '@fluentui/react-components';
import { ArrowSync20Regular, DocumentTable20Regular, Send20Regular, TableSearch20Regular } from '@fluentui/react-icons';
import { useMemo, useRef, useState } from 'react';
import type { InstrumentView } from '../../../../common/types.js';
import { fmtQty } from '../../core/format.js';
import { totalsByClient } from '../../sheets/boleta-preview.js';
import { newBatchId } from '../../sheets/boleta-rows.js';
import {
  batchFromPastedText,
  BulkError,
  duplicateRows,
  loadReferenceData,
  readBoletas,
  renewBatchId,
  resultCells,
  sendBatch,
  validateWithBridge,
  writeBack,
  type BoletaBatch,
  type SendSummary,
} from '../../sheets/bulk.js';
import { createBoletaTemplate } from '../../sheets/template.js';
import { toTsv } from '../../sheets/tsv.js';
import { usePane } from '../context.js';
import { BoletaPreviewList, BoletaTotals } from './BoletaPreview.js';
import { useTabStyles } from './common.js';

const useStyles = makeStyles({
  // Messages keep their height (a narrow pane wraps them onto several lines); the tab scrolls
  // vertically instead, and the preview list below keeps a usable height of its own.
  wrap: { display: 'flex', flexDirection: 'column', gap: '8px', flex: '1 1 auto', minHeight: 0, overflowY: 'auto', '& > *': { flexShrink: 0 } },
  summary: { display: 'flex', gap: '6px', flexWrap: 'wrap', alignItems: 'center', fontSize: tokens.fontSizeBase200 },
  paste: { minHeight: '90px' },
});

type Phase = 'idle' | 'reading' | 'ready' | 'sending' | 'sent';

export function BulkBoletas(): JSX.Element {
  const s = useStyles();
  const t = useTabStyles();
  const { client, workbook, canTrade, notify } = usePane();
  const [phase, setPhase] = useState<Phase>('idle');
  const [batch, setBatch] = useState<BoletaBatch | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [summary, setSummary] = useState<SendSummary | undefined>();
  const [allOrNothing, setAllOrNothing] = useState(false);
  const [confirmDuplicates, setConfirmDuplicates] = useState(false);
  const [showEmpty, setShowEmpty] = useState(false);
  const [paste, setPaste] = useState('');
  const pasteBatchId = useRef(newBatchId());
  const refCache = useRef<Awaited<ReturnType<typeof loadReferenceData>>>();
  const inFlight = useRef(false);

  const [instrumentList, setInstrumentList] = useState<InstrumentView[] | undefined>();
  const ref = async () => {
    refCache.current = await loadReferenceData(client);
    setInstrumentList(refCache.current.instruments);
    return refCache.current;
  };

  const read = async () => {
    setError(undefined);
    setSummary(undefined);
    setPhase('reading');
    try {
      const r = await ref();
      const b = workbook ? await readBoletas(workbook, r) : batchFromPastedText(paste, r, pasteBatchId.current);
      setBatch(await validateWithBridge(client, b, r));
      setConfirmDuplicates(false); // a new read asks again
      setPhase('ready');
    } catch (e) {
      setError(e instanceof BulkError ? e.message : `Não consegui ler as boletas: ${(e as Error).message}`);
      setPhase(batch ? 'ready' : 'idle');
    }
  };

  const send = async () => {
    if (!batch || inFlight.current) return; // a double click lands here
    inFlight.current = true;
    setPhase('sending');
    setError(undefined);
    try {
      const r = refCache.current ?? (await ref());
      const { batch: done, summary: sum } = await sendBatch(client, batch, r, { allOrNothing, confirmDuplicates });
      setBatch(done);
      setSummary(sum);
      if (workbook) {
        try {
          await writeBack(workbook, done);
        } catch (e) {
          setError(`Enviado, mas não consegui escrever os resultados na planilha: ${(e as Error).message}`);
        }
      }
      notify(sum.rejected || sum.uncertain ? 'warning' : 'success', sum.message);
      setPhase('sent');
    } finally {
      inFlight.current = false;
    }
  };

  const newTemplate = async () => {
    if (!workbook) return;
    setError(undefined);
    try {
      const r = await ref();
      const res = await createBoletaTemplate(workbook, r);
      notify('success', `Planilha "${res.sheet}" criada: preencha uma boleta por linha e clique em Ler seleção.`);
    } catch (e) {
      setError(`Não consegui criar a planilha: ${(e as Error).message}`);
    }
  };

  const newBatch = async () => {
    if (workbook && batch && batch.sheet !== '(colagem)') await renewBatchId(workbook, batch.sheet);
    pasteBatchId.current = newBatchId();
    notify('info', 'Novo lote: as próximas leituras geram chaves novas (um reenvio criará ordens novas).');
    setBatch(undefined);
    setSummary(undefined);
    setPhase('idle');
  };

  const copyResults = async () => {
    if (!batch) return;
    const text = toTsv([['Linha', 'ID da ordem', 'Status', 'Mensagem'], ...batch.rows.filter((r) => r.state !== 'empty').map((r) => [r.sheetRow + 1, ...resultCells(r)])]);
    try {
      await navigator.clipboard.writeText(text);
      notify('success', 'Resultados copiados.');
    } catch {
      notify('error', 'O navegador não deixou copiar.');
    }
  };

  const counts = useMemo(() => {
    const c = { valid: 0, invalid: 0, empty: 0, sent: 0 };
    for (const r of batch?.rows ?? []) c[r.state]++;
    return c;
  }, [batch]);

  const rows = useMemo(() => (batch?.rows ?? []).filter((r) => showEmpty || r.state !== 'empty'), [batch, showEmpty]);

  const instruments = useMemo(() => new Map<string, InstrumentView>((instrumentList ?? []).map((i) => [i.symbol, i])), [instrumentList]);
  const totals = useMemo(() => totalsByClient(batch?.rows ?? [], instruments), [batch, instruments]);
  const repeated = useMemo(() => (batch ? duplicateRows(batch) : []), [batch]);
  const ignored = batch ? batch.parse.columns.ignored.map((i) => batch.parse.columns.names[i]) : [];

  const sendable = counts.valid > 0 && (!allOrNothing || counts.invalid === 0) && (repeated.length === 0 || confirmDuplicates);

  return (
    <div className={s.wrap} data-testid="bulk-boletas">
      {workbook ? (
        <div className={t.toolbar}>
          <Tooltip content="Cria uma planilha com a tabela de boletas (colunas geradas dos tipos aceitos pelo BlackBox) e listas de validação." relationship="description">
            <Button icon={<DocumentTable20Regular />} size="small" onClick={newTemplate} data-testid="bulk-template">
              Nova planilha de boletas
            </Button>
          </Tooltip>
          <Tooltip content="Lê as linhas selecionadas (ou a tabela onde está o cursor), valida cada uma e mostra a prévia. Nada é enviado." relationship="description">
            <Button icon={phase === 'reading' ? <Spinner size="tiny" /> : <TableSearch20Regular />} size="small" onClick={read} disabled={phase === 'reading' || phase === 'sending'} data-testid="bulk-read">
              Ler seleção
            </Button>
          </Tooltip>
        </div>
      ) : (
        <>
          <MessageBar layout="multiline" intent="info">
            <MessageBarBody>No navegador não há acesso à planilha: copie as linhas de boletas (com o cabeçalho) no Excel e cole aqui.</MessageBarBody>
          </MessageBar>
          <Textarea
            className={s.paste}
            value={paste}
            onChange={(_, d) => setPaste(d.value)}
            placeholder={'Cliente\tAtivo\tLado\tQuantidade\tTipo\tPreço limite\nCLI1\tPETR4\tC\t1.000\tOrdem cheia\t36,50\nCLI2\tVALE3\tV\t500\tOrdem cheia\tMERCADO'}
            resize="vertical"
            data-testid="bulk-paste"
          />
          <div className={t.toolbar}>
            <Button icon={phase === 'reading' ? <Spinner size="tiny" /> : <TableSearch20Regular />} size="small" onClick={read} disabled={!paste.trim() || phase === 'reading' || phase === 'sending'} data-testid="bulk-read">
              Validar linhas coladas
            </Button>
          </div>
        </>
      )}

      {error && (
        <MessageBar layout="multiline" intent="error" data-testid="bulk-error">
          <MessageBarBody>{error}</MessageBarBody>
        </MessageBar>
      )}

      {batch && (
        <>
          <div className={s.summary} data-testid="bulk-summary">
            <span className={t.muted}>
              {batch.sheet === '(colagem)' ? 'Linhas coladas' : `${batch.sheet}${batch.table ? ` (${batch.table})` : ''}`} · linhas {batch.dataRect.top + 1}–{batch.dataRect.top + batch.dataRect.rowCount}
            </span>
            <Badge color="success" appearance="tint">{fmtQty(counts.valid)} válidas</Badge>
            {counts.invalid > 0 && <Badge color="danger" appearance="tint">{fmtQty(counts.invalid)} com erro</Badge>}
            {counts.sent > 0 && <Badge color="informative" appearance="tint">{fmtQty(counts.sent)} já enviadas</Badge>}
            {counts.empty > 0 && <Badge color="subtle" appearance="tint">{fmtQty(counts.empty)} vazias</Badge>}
            <Checkbox label="Mostrar vazias" checked={showEmpty} onChange={(_, d) => setShowEmpty(!!d.checked)} />
          </div>
          {batch.parse.fatal && (
            <MessageBar layout="multiline" intent="error">
              <MessageBarBody>{batch.parse.fatal}</MessageBarBody>
            </MessageBar>
          )}
          {batch.validationWarning && (
            <MessageBar layout="multiline" intent="warning">
              <MessageBarBody>{batch.validationWarning}</MessageBarBody>
            </MessageBar>
          )}
          {summary && (
            <MessageBar layout="multiline" intent={summary.rejected || summary.uncertain || summary.notSent ? 'warning' : 'success'} data-testid="bulk-result">
              <MessageBarBody>
                <MessageBarTitle>Resultado</MessageBarTitle>
                {summary.message}
                {workbook && ` Resultados escritos ao lado das linhas.`}
              </MessageBarBody>
            </MessageBar>
          )}
          {ignored.length > 0 && (
            <MessageBar layout="multiline" intent="info" data-testid="bulk-ignored">
              <MessageBarBody>Colunas ignoradas (anotações, não vão na ordem): {ignored.join(', ')}.</MessageBarBody>
            </MessageBar>
          )}
          {repeated.length > 0 && phase !== 'sent' && (
            <MessageBar layout="multiline" intent="warning" data-testid="bulk-duplicates">
              <MessageBarBody>
                <MessageBarTitle>Linhas repetidas</MessageBarTitle>
                As linhas {repeated.join(', ')} têm o mesmo cliente, ativo, lado, quantidade e preço de outra linha. Cada uma vira uma ordem.
              </MessageBarBody>
            </MessageBar>
          )}
          {repeated.length > 0 && phase !== 'sent' && (
            <Checkbox
              label="Confirmo: são ordens distintas, envie todas"
              checked={confirmDuplicates}
              onChange={(_, d) => setConfirmDuplicates(!!d.checked)}
              disabled={phase === 'sending'}
              data-testid="bulk-confirm-duplicates"
            />
          )}
          <BoletaTotals totals={totals} />
          <BoletaPreviewList rows={rows} instruments={instruments} />
          <div className={t.toolbar}>
            <Checkbox
              label="Tudo ou nada"
              checked={allOrNothing}
              onChange={(_, d) => setAllOrNothing(!!d.checked)}
              disabled={phase === 'sending'}
              data-testid="bulk-all-or-nothing"
            />
            <span className={t.grow} />
            {phase === 'sent' ? (
              <Button icon={<ArrowSync20Regular />} size="small" onClick={read} data-testid="bulk-reread">
                Ler de novo
              </Button>
            ) : null}
            {!workbook && phase === 'sent' && (
              <Button size="small" onClick={copyResults}>
                Copiar resultados
              </Button>
            )}
            <Tooltip content="Gera chaves novas para estas linhas: use só se quiser mandar as mesmas boletas outra vez." relationship="description">
              <Button size="small" appearance="subtle" onClick={newBatch} disabled={phase === 'sending'} data-testid="bulk-new-batch">
                Novo lote
              </Button>
            </Tooltip>
            <Button
              appearance="primary"
              icon={phase === 'sending' ? <Spinner size="tiny" /> : <Send20Regular />}
              disabled={!canTrade || !sendable || phase === 'sending' || phase === 'sent'}
              onClick={send}
              data-testid="bulk-send"
            >
              {phase === 'sent' ? 'Enviadas' : `Enviar ${fmtQty(counts.valid)} boleta${counts.valid === 1 ? '' : 's'}`}
            </Button>
          </div>
          {allOrNothing && counts.invalid > 0 && <span className={t.muted}>Tudo ou nada: corrija as {counts.invalid} linhas com erro para enviar.</span>}
        </>
      )}
    </div>
  );
}
