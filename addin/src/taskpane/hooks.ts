/** React bindings over the shared BridgeClient: connection state, channels (throttled), REST loads. */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { BridgeClient, ChannelView, ConnectionInfo } from '../core/bridge-client.js';

export function useConnection(client: BridgeClient): ConnectionInfo {
  const [info, setInfo] = useState(client.connection);
  useEffect(() => {
    setInfo(client.connection);
    return client.onConnection(setInfo);
  }, [client]);
  return info;
}

/**
 * Subscribes to a channel while mounted; re-renders at most every `throttleMs` (a blotter with
 * thousands of orders gets many deltas per second; the eye needs a few frames).
 */
export function useChannel<T>(client: BridgeClient, name: string | undefined, throttleMs = 250): ChannelView<T> {
  const [view, setView] = useState<ChannelView<T>>(() =>
    name ? client.channel<T>(name) : { name: '', status: 'loading', data: undefined, version: 0, seq: 0 },
  );
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const last = useRef(0);
  useEffect(() => {
    if (!name) return;
    setView(client.channel<T>(name));
    const push = () => {
      timer.current = undefined;
      last.current = Date.now();
      setView(client.channel<T>(name));
    };
    const unsub = client.subscribe(name, () => {
      if (timer.current) return;
      const wait = last.current + throttleMs - Date.now();
      if (wait <= 0) push();
      else timer.current = setTimeout(push, wait);
    });
    return () => {
      unsub();
      if (timer.current) clearTimeout(timer.current);
      timer.current = undefined;
    };
  }, [client, name, throttleMs]);
  return view;
}

export interface AsyncState<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): AsyncState<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let alive = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => alive && setState({ data, loading: false }),
      (error: Error) => alive && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Re-render every `ms` (relative times such as "há 3 s"). */
export function useTicker(ms: number): number {
  const [n, setN] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setN((x) => x + 1), ms);
    return () => clearInterval(t);
  }, [ms]);
  return n;
}
