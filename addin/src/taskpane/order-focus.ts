/**
 * A filter on Ordens set from elsewhere in the pane (the reconnection banner's "Ver ordens"): a
 * labelled set of order ids, until the user clears it.
 */
import { useSyncExternalStore } from 'react';

export interface OrderFocus {
  label: string;
  ids: ReadonlySet<string>;
}

let current: OrderFocus | undefined;
const listeners = new Set<() => void>();

export function focusOrders(focus: OrderFocus | undefined): void {
  current = focus;
  for (const l of listeners) l();
}

export function useOrderFocus(): OrderFocus | undefined {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}
