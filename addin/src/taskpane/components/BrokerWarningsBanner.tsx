/**
 * What the broker connection says is wrong right now (HealthView.broker.diagnostics.warnings: events
 * lost to a full ProfitDLL queue, routing waiting for the broker, a DLL call that hangs), in pt-BR,
 * one short line each under the header. It goes away by itself when the bridge stops reporting it.
 */
import { MessageBar, MessageBarBody, MessageBarTitle, makeStyles, tokens } from '@fluentui/react-components';
import type { HealthView } from '../../../../common/types.js';
import type { BridgeClient } from '../../core/bridge-client.js';
import { brokerWarnings } from '../../core/broker-diagnostics.js';
import { useChannel } from '../hooks.js';

const useStyles = makeStyles({
  bar: { borderRadius: 0 },
  list: { margin: 0, paddingLeft: '16px', fontSize: tokens.fontSizeBase200, overflowWrap: 'anywhere' },
});

export function BrokerWarningsBanner({ client }: { client: BridgeClient }): JSX.Element | null {
  const s = useStyles();
  const health = useChannel<HealthView>(client, 'health', 1000);
  const broker = health.status === 'live' ? health.data?.broker : undefined;
  const { lines, more } = brokerWarnings(broker);
  if (lines.length === 0) return null;
  return (
    <MessageBar intent="warning" layout="multiline" className={s.bar} data-testid="broker-warnings">
      <MessageBarBody>
        <MessageBarTitle>Atenção na corretora{broker?.name === 'profitdll' ? ' (ProfitDLL)' : ''}</MessageBarTitle>
        <ul className={s.list}>
          {lines.map((l) => (
            <li key={l}>{l}</li>
          ))}
          {more > 0 ? <li>e mais {more} aviso{more > 1 ? 's' : ''} (veja o log do BlackBox)</li> : null}
        </ul>
      </MessageBarBody>
    </MessageBar>
  );
}
