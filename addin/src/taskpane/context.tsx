/** What every tab needs: the shared bridge client, where we run, and the workbook (Excel only). */
import { createContext, useContext } from 'react';
import type { BridgeClient } from '../core/bridge-client.js';
import type { WorkbookPort } from '../sheets/workbook-port.js';

export interface PaneContext {
  client: BridgeClient;
  /** Present only inside Excel: the sheet features. */
  workbook?: WorkbookPort;
  /** Opens the PÂNICO confirmation. */
  requestPanic: () => void;
  /** Trader or admin (a viewer token sees, but cannot act). */
  canTrade: boolean;
  notify: (intent: 'success' | 'error' | 'warning' | 'info', text: string) => void;
  /** Switches to another tab (a run's "Ver ordens" opens Ordens). */
  goTo?: (tab: string) => void;
}

export const PaneCtx = createContext<PaneContext | undefined>(undefined);

export function usePane(): PaneContext {
  const ctx = useContext(PaneCtx);
  if (!ctx) throw new Error('PaneCtx missing');
  return ctx;
}
