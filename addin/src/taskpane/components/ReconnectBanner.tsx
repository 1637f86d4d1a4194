/**
 * After the broker connection comes back: what the exchange did meanwhile (HealthView.lastReconnect),
 * in words, with a link that filters Ordens to the orders concerned. Dismissed per report (its time),
 * remembered on this computer; the next reconnection shows again.
 */
import { Button, MessageBar, MessageBarActions, MessageBarBody, MessageBarTitle } from '@fluentui/react-components';
import { Dismiss16Regular } from '@fluentui/react-icons';
import { useState } from 'react';
import type { HealthView, OrderView } from '../../../../common/types.js';
import type { BridgeClient } from '../../core/bridge-client.js';
import { fmtTime } from '../../core/format.js';
import { affectedParents, hasEntries, reconnectText } from '../../core/reconnect.js';
import { useChannel } from '../hooks.js';
import { focusOrders } from '../order-focus.js';

const DISMISSED_KEY = 'blackbox.reconnect.dismissedAt';

function readDismissed(): string | undefined {
  try {
    return globalThis.localStorage?.getItem(DISMISSED_KEY) ?? undefined;
  } catch {
    return undefined; // storage blocked: the banner simply shows until dismissed in this session
  }
}

export function ReconnectBanner({ client, onShowOrders }: { client: BridgeClient; onShowOrders: () => void }): JSX.Element | null {
  const health = useChannel<HealthView>(client, 'health', 1000);
  const orders = useChannel<OrderView[]>(client, 'orders', 2000);
  const [dismissed, setDismissed] = useState(readDismissed);
  const report = health.data?.lastReconnect;
  if (!hasEntries(report) || dismissed === report.at) return null;

  const dismiss = () => {
    setDismissed(report.at);
    try {
      globalThis.localStorage?.setItem(DISMISSED_KEY, report.at);
    } catch {
      /* kept for this session only */
    }
  };
  const show = () => {
    const ids = affectedParents(report, orders.data ?? []);
    focusOrders({ label: `afetadas pela reconexão das ${fmtTime(report.at)}`, ids });
    onShowOrders();
  };
  return (
    <MessageBar intent="warning" layout="multiline" style={{ borderRadius: 0 }} data-testid="reconnect-banner">
      <MessageBarBody>
        <MessageBarTitle>Corretora reconectada</MessageBarTitle>
        {reconnectText(report)}
        {report.held.length > 0 ? ' As retidas estão pausadas: confira e retome em Ordens.' : ''}
      </MessageBarBody>
      <MessageBarActions
        containerAction={<Button appearance="transparent" size="small" aria-label="Dispensar aviso" icon={<Dismiss16Regular />} onClick={dismiss} data-testid="reconnect-dismiss" />}
      >
        <Button size="small" onClick={show} data-testid="reconnect-show">
          Ver ordens
        </Button>
      </MessageBarActions>
    </MessageBar>
  );
}
