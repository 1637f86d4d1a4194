/**
 * Bearer tokens with roles. The admin token is created at first start and written to
 * `<data>/token` (mode 0600); config.json keeps only sha256 digests, so reading the
 * configuration never reveals a secret. Logs show a token's id, never the token.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ConfigStore, TokenRecord } from '../config/config-store.js';

export type Role = 'viewer' | 'trader' | 'admin';

export interface Principal {
  tokenId: string;
  role: Role;
}

/** Actors that are not tokens, as a PM reads them. */
const SYSTEM_ACTORS: Record<string, string> = { system: 'sistema', broker: 'corretora', anonymous: 'anônimo' };

/** The first admin token's owner: whoever installed the bridge, by their OS account when there is one. */
export function defaultAdminName(): string {
  let user = '';
  try {
    user = os.userInfo().username;
  } catch {
    /* no passwd entry (containers): fall back to the role */
  }
  return user ? `Administrador (${user})` : 'Administrador';
}

const ROLE_RANK: Record<Role, number> = { viewer: 0, trader: 1, admin: 2 };

export function hasRole(p: Principal, needed: Role): boolean {
  return ROLE_RANK[p.role] >= ROLE_RANK[needed];
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export class TokenAuth {
  private records: Array<TokenRecord & { digest: Buffer }> = [];

  private constructor(private readonly config: ConfigStore) {
    this.reload();
  }

  /** Ensure an admin token exists in `<data>/token`, and return the auth service and that token. */
  static async init(config: ConfigStore, dataDir: string): Promise<{ auth: TokenAuth; adminToken: string }> {
    const file = path.join(dataDir, 'token');
    let token: string | undefined;
    try {
      token = (await fs.readFile(file, 'utf8')).trim();
      await fs.chmod(file, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (!token) {
      token = randomBytes(32).toString('base64url');
      await fs.writeFile(file, token + '\n', { mode: 0o600, flag: 'wx' });
    }
    const digest = sha256(token).toString('hex');
    const existing = config.tokens().find((t) => t.sha256 === digest);
    if (!existing) {
      await config.addToken({ id: `admin-${digest.slice(0, 8)}`, role: 'admin', sha256: digest, name: defaultAdminName(), label: 'token do arquivo data/token', createdAt: new Date().toISOString() });
    } else if (!existing.name) {
      await config.nameToken(existing.id, defaultAdminName());
    }
    return { auth: new TokenAuth(config), adminToken: token };
  }

  authenticate(token: string | undefined): Principal | null {
    if (!token || token.length > 512) return null;
    const d = sha256(token);
    let found: Principal | null = null;
    // Compare against every record in constant time so timing tells nothing about which matched.
    for (const r of this.records) if (timingSafeEqual(d, r.digest)) found = { tokenId: r.id, role: r.role };
    return found;
  }

  async create(role: Role, name: string, label: string | undefined): Promise<{ id: string; token: string; role: Role; name: string }> {
    const token = randomBytes(32).toString('base64url');
    const digest = sha256(token).toString('hex');
    const id = `${role}-${digest.slice(0, 8)}`;
    await this.config.addToken({ id, role, sha256: digest, name, label, createdAt: new Date().toISOString() });
    this.reload();
    return { id, token, role, name };
  }

  /**
   * What a person reads for an actor recorded in the journal: the token's owner, a word for the
   * bridge's own actors, or the recorded text itself (a token since removed).
   */
  displayName(actor: string | undefined): string | undefined {
    if (actor === undefined) return undefined;
    return this.records.find((r) => r.id === actor)?.name ?? SYSTEM_ACTORS[actor] ?? actor;
  }

  private reload(): void {
    this.records = this.config.tokens().map((t) => ({ ...t, digest: Buffer.from(t.sha256, 'hex') }));
  }
}
