/**
 * The configuration document: clients, accounts, limits and settings, in `<data>/config.json`,
 * small and human-editable, managed with lowdb (atomic writes: temp file + rename), mode 0600.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Low } from 'lowdb';
import { z } from 'zod';
import { clientSchema, zodErrors } from '../../common/schemas.js';
import type { ApiErrorItem, ClientView } from '../../common/types.js';
import { PrivateJsonFile } from './private-json-file.js';
import { brlToCentavos } from '../model/instrument.js';
import type { ClientDirectory } from '../execution/oms.js';

const settingsSchema = z.strictObject({
  /** 'demo': the simulated market is open whenever the bridge runs; 'b3': B3's calendar and hours. */
  marketHours: z.enum(['demo', 'b3']).default('demo'),
  /** Extra origins allowed for CORS and WebSocket (the bridge's own origin always is). */
  allowedOrigins: z.array(z.string().url()).default(['https://localhost:3000']),
  /** Pause algos when no trader's Excel has been connected for this long (0 = never). */
  excelDisconnectPauseMs: z.number().int().min(0).default(0),
  collarBps: z.number().int().positive().max(10_000).default(1_000),
  maxOrderNotionalBrl: z.number().positive().default(50_000_000),
  maxOrderQty: z.number().int().positive().default(1_000_000),
  /**
   * BRL per USD at which B3's dollar tariffs (WDO fees) are converted: set it to the rate B3 bills
   * at for the month. Fees of WDO trades are estimates at this rate.
   */
  feeUsdBrl: z.number().positive().max(100).default(5.4),
  /**
   * After a broker disconnect: 'hold' pauses working algos for review when the outage lasted more
   * than `reconnectHoldAfterMs`; 'resend' resumes them whatever the outage.
   */
  reconnectPolicy: z.enum(['hold', 'resend']).default('hold'),
  reconnectHoldAfterMs: z.number().int().min(0).default(5_000),
  /** Account for clients without their own; unset = the broker's default account. */
  defaultAccount: z.string().min(1).optional(),
  /**
   * Redis of the sweeps fanned out with BullMQ (`redis://host:6379`): set, the bridge's sweeps go to
   * `blackbox worker` processes instead of its own threads. Unset = sweeps run in the bridge.
   */
  sweepRedisUrl: z.string().regex(/^rediss?:\/\/\S+$/, 'use redis://HOST:PORTA ou rediss://HOST:PORTA').optional(),
});

const tokenSchema = z.strictObject({
  id: z.string(),
  role: z.enum(['viewer', 'trader', 'admin']),
  /** sha256 of the token: the secret itself is never stored here. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** The person the token belongs to: what the PÂNICO banner, the audit trail and orders show. */
  name: z.string().min(1).max(100).optional(),
  label: z.string().optional(),
  createdAt: z.string(),
});

const documentSchema = z.strictObject({
  installId: z.string().regex(/^[0-9a-f]{6}$/),
  clients: z.array(clientSchema).default([]),
  settings: settingsSchema.default(settingsSchema.parse({})),
  tokens: z.array(tokenSchema).default([]),
});

export type ConfigDocument = z.infer<typeof documentSchema>;
export type Settings = z.infer<typeof settingsSchema>;
export type TokenRecord = z.infer<typeof tokenSchema>;

export class ConfigError extends Error {}

export class ConfigStore implements ClientDirectory {
  private constructor(private readonly db: Low<ConfigDocument>, readonly file: string) {}

  static async open(dataDir: string): Promise<ConfigStore> {
    const file = path.join(dataDir, 'config.json');
    const fresh: ConfigDocument = documentSchema.parse({ installId: randomBytes(3).toString('hex') });
    const db = new Low<ConfigDocument>(new PrivateJsonFile<ConfigDocument>(file), fresh);
    try {
      await db.read();
    } catch (e) {
      throw new ConfigError(`config.json ilegível (${file}): ${(e as Error).message}`);
    }
    const parsed = documentSchema.safeParse(db.data);
    if (!parsed.success) {
      const detail = zodErrors(parsed.error).map((e) => `${e.field}: ${e.message}`).join('; ');
      throw new ConfigError(`config.json inválido (${file}): ${detail}`);
    }
    db.data = parsed.data;
    await db.write();
    return new ConfigStore(db, file);
  }

  get installId(): string {
    return this.db.data.installId;
  }

  get settings(): Settings {
    return this.db.data.settings;
  }

  clients(): ClientView[] {
    return this.db.data.clients.map((c) => ({ ...c }));
  }

  client(id: string): ClientView | undefined {
    return this.db.data.clients.find((c) => c.id === id);
  }

  has(id: string): boolean {
    return this.client(id) !== undefined;
  }

  account(id: string): string {
    return this.client(id)?.account ?? this.settings.defaultAccount ?? '';
  }

  limits(id: string): { maxOrderQty?: number; maxOrderNotionalCentavos?: number } | undefined {
    const l = this.client(id)?.limits;
    if (!l) return undefined;
    return {
      maxOrderQty: l.maxOrderQty,
      maxOrderNotionalCentavos: l.maxOrderNotionalBrl === undefined ? undefined : brlToCentavos(l.maxOrderNotionalBrl),
    };
  }

  openingCashCentavos(id: string): number {
    return brlToCentavos(this.client(id)?.openingCash ?? 0);
  }

  async addClient(input: unknown): Promise<{ ok: true; client: ClientView } | { ok: false; errors: ApiErrorItem[]; status: number }> {
    const parsed = clientSchema.safeParse(input);
    if (!parsed.success) return { ok: false, status: 422, errors: zodErrors(parsed.error) };
    if (this.has(parsed.data.id)) {
      return { ok: false, status: 409, errors: [{ field: 'id', code: 'exists', message: `cliente ${parsed.data.id} já existe` }] };
    }
    await this.db.update((d) => {
      d.clients.push(parsed.data);
    });
    return { ok: true, client: { ...parsed.data } };
  }

  tokens(): TokenRecord[] {
    return this.db.data.tokens;
  }

  async addToken(t: TokenRecord): Promise<void> {
    await this.db.update((d) => {
      d.tokens.push(t);
    });
  }

  /** Names a token created before tokens carried names (the first admin token of an older install). */
  async nameToken(id: string, name: string): Promise<void> {
    await this.db.update((d) => {
      const t = d.tokens.find((x) => x.id === id);
      if (t && !t.name) t.name = name;
    });
  }
}
