/**
 * The shared-runtime singletons: one BridgeClient for pane, functions and commands (kept on the
 * global object, so even duplicated bundles share it), and where we are running (Excel or a plain
 * browser).
 */
import { BridgeClient } from './bridge-client.js';
import { localStorageSettings } from './settings.js';

interface BlackBoxGlobal {
  __blackboxBridge?: BridgeClient;
  __blackboxHost?: HostInfo;
  /** Set by the end-to-end tests (page.addInitScript) together with a fake `Excel`. */
  __BLACKBOX_TEST_EXCEL__?: boolean;
}

const g = globalThis as typeof globalThis & BlackBoxGlobal;

export function getBridge(): BridgeClient {
  if (!g.__blackboxBridge) {
    g.__blackboxBridge = new BridgeClient({ settings: localStorageSettings() });
    const w = globalThis as { addEventListener?: (t: string, f: () => void) => void };
    w.addEventListener?.('online', () => g.__blackboxBridge?.reconnectNow());
  }
  return g.__blackboxBridge;
}

/** For tests: replace the singleton. */
export function setBridge(client: BridgeClient | undefined): void {
  g.__blackboxBridge = client;
}

export interface HostInfo {
  /** The sheet features (Excel API) are available. */
  excel: boolean;
  /** office.js loaded (inside Office or not). */
  officeLoaded: boolean;
}

/** Resolves once office.js (if any) is ready; never hangs when office.js is missing or blocked. */
export function detectHost(timeoutMs = 3000): Promise<HostInfo> {
  if (g.__blackboxHost) return Promise.resolve(g.__blackboxHost);
  const office = (globalThis as { Office?: typeof Office }).Office;
  const forcedExcel = g.__BLACKBOX_TEST_EXCEL__ === true && typeof (globalThis as { Excel?: unknown }).Excel !== 'undefined';
  if (!office || typeof office.onReady !== 'function') {
    const info = { excel: forcedExcel, officeLoaded: false };
    g.__blackboxHost = info;
    return Promise.resolve(info);
  }
  return new Promise<HostInfo>((resolve) => {
    let done = false;
    const finish = (excel: boolean) => {
      if (done) return;
      done = true;
      const info = { excel: excel || forcedExcel, officeLoaded: true };
      g.__blackboxHost = info;
      resolve(info);
    };
    setTimeout(() => finish(false), timeoutMs);
    office
      .onReady()
      .then((r) => finish(r?.host === office.HostType.Excel))
      .catch(() => finish(false));
  });
}

export function hostInfo(): HostInfo | undefined {
  return g.__blackboxHost;
}
