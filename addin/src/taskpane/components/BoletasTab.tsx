/** Boletas: a single ticket form, or many boletas from a sheet range (or pasted rows in a browser). */
import { MessageBar, MessageBarBody, Spinner, Tab, TabList } from '@fluentui/react-components';
import { useState } from 'react';
import type { ClientView, InstrumentView } from '../../../../common/types.js';
import { usePane } from '../context.js';
import { useAsync } from '../hooks.js';
import { BulkBoletas } from './BulkBoletas.js';
import { useTabStyles } from './common.js';
import { TicketForm } from './TicketForm.js';

export function BoletasTab(): JSX.Element {
  const s = useTabStyles();
  const { client, workbook } = usePane();
  const [mode, setMode] = useState<'single' | 'bulk'>('bulk');
  const refs = useAsync(async () => {
    const [algos, clients, instruments] = await Promise.all([
      client.getAlgos(),
      client.cachedGet<ClientView[]>('/api/clients', 30_000),
      client.cachedGet<InstrumentView[]>('/api/instruments', 5 * 60_000),
    ]);
    return { algos, clients, instruments };
  }, [client, client.connection.state === 'open']);

  return (
    <div className={s.root} data-testid="tab-boletas">
      <TabList size="small" selectedValue={mode} onTabSelect={(_, d) => setMode(d.value as 'single' | 'bulk')}>
        <Tab value="bulk" data-testid="boletas-bulk">
          {workbook ? 'Da planilha' : 'Em lote (colar)'}
        </Tab>
        <Tab value="single" data-testid="boletas-single">
          Boleta única
        </Tab>
      </TabList>
      {mode === 'bulk' ? (
        <BulkBoletas />
      ) : refs.data ? (
        <div style={{ overflow: 'auto', minHeight: 0 }}>
          <TicketForm refs={refs.data} />
        </div>
      ) : refs.error ? (
        <MessageBar intent="error">
          <MessageBarBody>Não consegui carregar os tipos de boleta: {refs.error.message}</MessageBarBody>
        </MessageBar>
      ) : (
        <Spinner label="Carregando tipos de boleta…" />
      )}
    </div>
  );
}
