/**
 * "Enviar para planilha": positions, orders or balances as an Excel table on its own sheet, kept
 * up to date. Changes are coalesced (at most one write per interval) and written as the changed
 * row blocks only; a status cell beside the table says when the data was last live, so frozen
 * numbers are never mistaken for live ones.
 */
import type { BalanceView, OrderView } from '../../../common/types.js';
import type { BridgeClient } from '../core/bridge-client.js';
import { balancesBlotter, ordersBlotter, positionsBlotter, type Blotter, type Cell, type PositionsPayload } from '../core/blotters.js';
import { fmtDateTime } from '../core/format.js';
import type { BodyBlock, WorkbookPort } from './workbook-port.js';

export type SyncKind = 'positions' | 'orders' | 'balances';

export const SYNC_TARGETS: Record<SyncKind, { sheet: string; table: string; channel: string; title: string }> = {
  positions: { sheet: 'BB Posições', table: 'BBPosicoes', channel: 'positions', title: 'Posições por cliente' },
  orders: { sheet: 'BB Ordens', table: 'BBOrdens', channel: 'orders', title: 'Ordens' },
  balances: { sheet: 'BB Saldo', table: 'BBSaldo', channel: 'balances', title: 'Saldo D+0/D+1/D+2' },
};

export type SyncState = 'starting' | 'live' | 'stale' | 'stopped' | 'error';

export interface SyncStatus {
  kind: SyncKind;
  state: SyncState;
  rows: number;
  writes: number;
  lastWriteAt?: number;
  message?: string;
}

export interface SheetSyncOptions {
  minIntervalMs?: number;
  /** Algo labels for the orders table. */
  algoLabels?: () => ReadonlyMap<string, string> | undefined;
  clientNames?: () => ReadonlyMap<string, string> | undefined;
}

/** Rows whose content changed, grouped into contiguous blocks. */
export function diffBlocks(prev: readonly string[], next: readonly Cell[][], nextKeys: readonly string[]): BodyBlock[] {
  const blocks: BodyBlock[] = [];
  let cur: BodyBlock | undefined;
  for (let i = 0; i < next.length; i++) {
    if (prev[i] === nextKeys[i]) {
      cur = undefined;
      continue;
    }
    if (cur && cur.start + cur.values.length === i) cur.values.push(next[i]!);
    else {
      cur = { start: i, values: [next[i]!] };
      blocks.push(cur);
    }
  }
  // Many scattered blocks cost more than one span.
  if (blocks.length > 40) {
    const first = blocks[0]!.start;
    const last = blocks[blocks.length - 1]!;
    const end = last.start + last.values.length;
    return [{ start: first, values: next.slice(first, end) as Cell[][] }];
  }
  return blocks;
}

export class SheetSync {
  private readonly target: (typeof SYNC_TARGETS)[SyncKind];
  private readonly minInterval: number;
  private status: SyncStatus;
  private unsubscribe: (() => void) | undefined;
  private unsubConn: (() => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private lastWriteAt = -Infinity;
  private written: string[] = [];
  private lastStamp = '';
  private lastStampAt = 0;
  private readonly listeners = new Set<(s: SyncStatus) => void>();

  constructor(
    private readonly port: WorkbookPort,
    private readonly client: BridgeClient,
    readonly kind: SyncKind,
    private readonly opts: SheetSyncOptions = {},
  ) {
    this.target = SYNC_TARGETS[kind];
    this.minInterval = opts.minIntervalMs ?? 1_000;
    this.status = { kind, state: 'stopped', rows: 0, writes: 0 };
  }

  get current(): SyncStatus {
    return { ...this.status };
  }

  get sheet(): string {
    return this.target.sheet;
  }

  onStatus(listener: (s: SyncStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (this.unsubscribe) {
      await this.port.activate(this.target.sheet).catch(() => undefined);
      return;
    }
    this.setStatus({ state: 'starting', message: undefined });
    const blotter = this.build();
    await this.port.ensureTable({ sheet: this.target.sheet, table: this.target.table, header: blotter.header, activate: true });
    this.written = [];
    this.unsubscribe = this.client.subscribe(this.target.channel, () => this.schedule());
    this.unsubConn = this.client.onConnection(() => this.schedule());
    this.schedule();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubConn?.();
    this.unsubscribe = this.unsubConn = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.setStatus({ state: 'stopped' });
  }

  /** Resolves when pending writes are done (tests). */
  async flush(): Promise<void> {
    while (this.writing || this.timer) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
        this.lastWriteAt = -Infinity;
        this.schedule();
      }
      await this.writing;
    }
  }

  private schedule(): void {
    if (!this.unsubscribe) return;
    this.dirty = true;
    if (this.timer || this.writing) return;
    const wait = this.lastWriteAt + this.minInterval - Date.now();
    if (wait <= 0) this.write();
    else this.timer = setTimeout(() => {
      this.timer = undefined;
      this.write();
    }, wait);
  }

  private build(): Blotter {
    const view = this.client.channel(this.target.channel);
    switch (this.kind) {
      case 'positions': {
        const p = view.data as PositionsPayload | undefined;
        return positionsBlotter(p?.byClient ?? [], true);
      }
      case 'orders':
        return ordersBlotter((view.data as OrderView[] | undefined) ?? [], this.opts.algoLabels?.());
      case 'balances':
        return balancesBlotter((view.data as BalanceView[] | undefined) ?? [], this.opts.clientNames?.());
    }
  }

  private write(): void {
    if (!this.unsubscribe || !this.dirty) return;
    this.dirty = false;
    this.lastWriteAt = Date.now();
    this.writing = this.doWrite()
      .catch((err: Error) => {
        // The user may have deleted the sheet: stop rather than fight them.
        this.stop();
        this.setStatus({ state: 'error', message: `Atualização da planilha parou: ${err.message}` });
      })
      .finally(() => {
        this.writing = undefined;
        if (this.dirty && this.unsubscribe) this.schedule();
      });
  }

  private async doWrite(): Promise<void> {
    const view = this.client.channel(this.target.channel);
    const live = view.status === 'live' && this.client.connection.state === 'open';
    const width = this.build().header.length;
    if (view.data !== undefined) {
      const b = this.build();
      const keys = b.rows.map((r) => JSON.stringify(r));
      const blocks = diffBlocks(this.written, b.rows, keys);
      if (blocks.length > 0 || keys.length !== this.written.length) {
        await this.port.setTableBody(this.target.table, b.rows.length, blocks, b.numberFormats);
        this.written = keys;
        this.status.writes++;
      }
      this.status.rows = b.rows.length;
    }
    // Status cell to the right of the table: when the data was last live.
    const since = fmtDateTime(new Date(view.updatedAt ?? Date.now()).toISOString());
    const loading = view.status === 'loading';
    const stamp = loading
      ? 'Aguardando dados do BlackBox…'
      : live
        ? `Ao vivo · atualizado em ${since}`
        : `DESCONECTADO · valores congelados desde ${since}`;
    const stampKey = loading ? 'loading' : live ? 'live' : `stale:${view.updatedAt}`;
    const now = Date.now();
    // While live the time is refreshed at most every 10 s (the rows themselves are written above).
    if (stampKey !== this.lastStamp || (live && now - this.lastStampAt > 10_000)) {
      await this.port.writeValues(this.target.sheet, 0, width + 1, [[stamp]]);
      this.lastStamp = stampKey;
      this.lastStampAt = now;
    }
    this.status.lastWriteAt = now;
    this.setStatus({ state: loading ? 'starting' : live ? 'live' : 'stale', message: undefined });
  }

  private setStatus(patch: Partial<SyncStatus>): void {
    this.status = { ...this.status, ...patch };
    const s = this.current;
    for (const l of [...this.listeners]) l(s);
  }
}

/** One sync per kind in the runtime (kept on the global object next to the bridge client). */
export function syncRegistry(): Map<SyncKind, SheetSync> {
  const g = globalThis as { __blackboxSyncs?: Map<SyncKind, SheetSync> };
  if (!g.__blackboxSyncs) g.__blackboxSyncs = new Map();
  return g.__blackboxSyncs;
}
