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

/**
 * A list the bridge keeps live on a channel (snapshot: the whole list; delta: one item), loaded by
 * REST first and merged by `merge` (which decides what a snapshot and a delta do). When the bridge
 * refuses the channel (an older bridge), the list is polled instead: `fast` says when to poll often.
 */
export function useLiveList<T>(
  client: BridgeClient,
  channel: string,
  path: string,
  merge: (known: T[], data: unknown) => T[],
  fast: (items: T[]) => boolean = () => false,
): { items: T[]; error: string | undefined; loaded: boolean; apply: (data: unknown) => void; reload: () => void; live: boolean } {
  const [items, setItems] = useState<T[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [loaded, setLoaded] = useState(false);
  const [tick, setTick] = useState(0);
  const [live, setLive] = useState(false);
  // Once the channel has delivered, it is the truth: a slower REST answer must not overwrite it.
  const fromChannel = useRef(false);
  const open = useConnection(client).state === 'open';
  const apply = useCallback((data: unknown) => setItems((known) => merge(known, data)), [merge]);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    let alive = true;
    client.request<unknown>('GET', path).then(
      (data) => {
        if (!alive) return;
        setError(undefined);
        setLoaded(true);
        if (!fromChannel.current) apply(data);
      },
      (e: Error) => {
        if (!alive) return;
        setError(e.message);
        setLoaded(true);
      },
    );
    return () => {
      alive = false;
    };
  }, [client, path, open, tick, apply]);

  useEffect(() => {
    let lastVersion = -1;
    const onView = (v: ChannelView) => {
      setLive(v.status === 'live');
      fromChannel.current = v.status === 'live';
      if (v.status !== 'live' || v.version === lastVersion || v.data === undefined) return;
      lastVersion = v.version;
      setLoaded(true);
      setError(undefined);
      apply(v.data);
    };
    const unsub = client.subscribe(channel, onView);
    const now = client.channel(channel);
    // Already live for someone else: its value may be the last delta, not the list; ask for the list.
    if (now.status === 'live' && !Array.isArray(now.data)) client.requestSnapshot(channel);
    else onView(now);
    return unsub;
  }, [client, channel, apply]);

  // Without the channel, poll: often while something runs, now and then otherwise.
  const hurry = fast(items);
  useEffect(() => {
    if (live || !open) return;
    const t = setInterval(reload, hurry ? 2_000 : 15_000);
    return () => clearInterval(t);
  }, [live, open, hurry, reload]);

  return { items, error, loaded, apply, reload, live };
}
