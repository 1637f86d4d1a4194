/** "Enviar para planilha": starts (or stops) the live table of a blotter on its own sheet. */
import { Button, Tooltip } from '@fluentui/react-components';
import { TableArrowUp20Regular, TableDismiss20Regular } from '@fluentui/react-icons';
import { useEffect, useState } from 'react';
import type { AlgoDescriptor } from '../../core/algos.js';
import type { ClientView } from '../../../../common/types.js';
import { SheetSync, SYNC_TARGETS, syncRegistry, type SyncKind, type SyncStatus } from '../../sheets/sheet-sync.js';
import { usePane } from '../context.js';

let algoLabels: Map<string, string> | undefined;
let clientNames: Map<string, string> | undefined;

export function SendToSheet({ kind }: { kind: SyncKind }): JSX.Element | null {
  const { client, workbook, notify } = usePane();
  const [status, setStatus] = useState<SyncStatus | undefined>(() => syncRegistry().get(kind)?.current);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const sync = syncRegistry().get(kind);
    if (!sync) return;
    setStatus(sync.current);
    return sync.onStatus(setStatus);
  }, [kind, busy]);

  if (!workbook) return null;
  const target = SYNC_TARGETS[kind];
  const running = status && status.state !== 'stopped' && status.state !== 'error';

  const start = async () => {
    setBusy(true);
    try {
      client.getAlgos().then((a: AlgoDescriptor[]) => (algoLabels = new Map(a.map((x) => [x.type, x.label])))).catch(() => undefined);
      client
        .cachedGet<ClientView[]>('/api/clients')
        .then((c) => (clientNames = new Map(c.map((x) => [x.id, x.name]))))
        .catch(() => undefined);
      let sync = syncRegistry().get(kind);
      if (!sync) {
        sync = new SheetSync(workbook, client, kind, { algoLabels: () => algoLabels, clientNames: () => clientNames });
        syncRegistry().set(kind, sync);
      }
      await sync.start();
      setStatus(sync.current);
      notify('success', `${target.title}: tabela ao vivo na planilha "${target.sheet}".`);
    } catch (err) {
      notify('error', `Não consegui criar a planilha: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  const stop = () => {
    syncRegistry().get(kind)?.stop();
    notify('info', `A planilha "${target.sheet}" parou de atualizar (os valores ficam como estão).`);
  };

  return running ? (
    <Tooltip content={`A tabela em "${target.sheet}" está sendo atualizada. Clique para parar.`} relationship="description">
      <Button icon={<TableDismiss20Regular />} size="small" onClick={stop} data-testid={`stop-sync-${kind}`}>
        Parar planilha
      </Button>
    </Tooltip>
  ) : (
    <Tooltip content={`Escreve ${target.title.toLowerCase()} como tabela na planilha "${target.sheet}" e a mantém atualizada.`} relationship="description">
      <Button icon={<TableArrowUp20Regular />} size="small" onClick={start} disabled={busy} data-testid={`send-to-sheet-${kind}`}>
        Enviar para planilha
      </Button>
    </Tooltip>
  );
}
