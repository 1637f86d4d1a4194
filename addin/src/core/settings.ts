/**
 * Bridge address and token, kept in the runtime's localStorage (shared by pane, functions and
 * commands in the shared runtime). The default address is the page's own origin: the bridge
 * serves the add-in, so in Excel and in browser mode the pane already lives at the bridge.
 */
export interface BridgeSettings {
  url: string;
  token: string;
}

export interface SettingsStore {
  load(): BridgeSettings;
  save(s: BridgeSettings): void;
}

const URL_KEY = 'blackbox.bridgeUrl';
const TOKEN_KEY = 'blackbox.token';

export function defaultBridgeUrl(): string {
  const loc = (globalThis as { location?: Location }).location;
  if (loc && /^https?:$/.test(loc.protocol)) return loc.origin;
  return 'https://localhost:3000';
}

/** Trims, drops a trailing slash, and rejects anything that is not http(s). */
export function normalizeBridgeUrl(raw: string): string {
  const text = raw.trim();
  if (!text) return defaultBridgeUrl();
  const u = new URL(text.includes('://') ? text : `https://${text}`);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('Endereço deve começar com http:// ou https://');
  return u.origin;
}

export function localStorageSettings(): SettingsStore {
  const storage = (globalThis as { localStorage?: Storage }).localStorage;
  let memory: BridgeSettings = { url: defaultBridgeUrl(), token: '' };
  return {
    load() {
      if (!storage) return { ...memory };
      return {
        url: storage.getItem(URL_KEY) || defaultBridgeUrl(),
        token: storage.getItem(TOKEN_KEY) || '',
      };
    },
    save(s) {
      memory = { ...s };
      if (!storage) return;
      storage.setItem(URL_KEY, s.url);
      if (s.token) storage.setItem(TOKEN_KEY, s.token);
      else storage.removeItem(TOKEN_KEY);
    },
  };
}

export function memorySettings(initial: BridgeSettings): SettingsStore {
  let s = { ...initial };
  return {
    load: () => ({ ...s }),
    save: (n) => {
      s = { ...n };
    },
  };
}
