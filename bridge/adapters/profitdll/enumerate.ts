/** EnumerateAllOrders through koffi on the calling thread (the direct path): the orders it delivers, copied. */
import { type AccountIdentifier, type ConnectorOrder, type ProfitDllFunctions, decodeConnectorOrder } from './abi.js';

export function koffiEnumerate(fns: ProfitDllFunctions, account: AccountIdentifier): { rc: number; orders: ConnectorOrder[] } {
  const orders: ConnectorOrder[] = [];
  // The record is valid only during each call of the proc (§9.5): decoded at once.
  const rc = fns.EnumerateAllOrders(account, 1, 0, (p: unknown) => {
    orders.push(decodeConnectorOrder(p));
    return 1;
  });
  return { rc, orders };
}
