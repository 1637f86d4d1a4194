/** Credentials from the environment or an owner-only file; errors name variables, never values. */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProfitDllError, loadProfitCredentials } from '../../bridge/adapters/profitdll/index.js';

function file(content: string, mode = 0o600): string {
  const path = join(mkdtempSync(join(tmpdir(), 'profit-cred-')), 'credentials');
  writeFileSync(path, content);
  chmodSync(path, mode);
  return path;
}

function failure(env: NodeJS.ProcessEnv): ProfitDllError {
  try {
    loadProfitCredentials(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ProfitDllError);
    return e as ProfitDllError;
  }
  throw new Error('expected a failure');
}

describe('loadProfitCredentials', () => {
  it('reads the environment', () => {
    expect(
      loadProfitCredentials({ BLACKBOX_PROFIT_KEY: 'k', BLACKBOX_PROFIT_USER: 'u', BLACKBOX_PROFIT_PASSWORD: 'p' }),
    ).toEqual({ activationKey: 'k', user: 'u', password: 'p' });
    expect(
      loadProfitCredentials({
        BLACKBOX_PROFIT_KEY: 'k',
        BLACKBOX_PROFIT_USER: 'u',
        BLACKBOX_PROFIT_PASSWORD: 'p',
        BLACKBOX_PROFIT_ROUTING_PASSWORD: 'r',
      }),
    ).toEqual({ activationKey: 'k', user: 'u', password: 'p', routingPassword: 'r' });
  });

  it('names what is missing, in both languages, without any value', () => {
    const e = failure({ BLACKBOX_PROFIT_KEY: 'secret-key' });
    expect(e.code).toBe('CREDENTIALS_MISSING');
    expect(e.message).toBe(
      'Credenciais da ProfitDLL ausentes: defina BLACKBOX_PROFIT_USER, BLACKBOX_PROFIT_PASSWORD ou BLACKBOX_PROFIT_CREDENTIALS_FILE / ProfitDLL credentials missing: set BLACKBOX_PROFIT_USER, BLACKBOX_PROFIT_PASSWORD or BLACKBOX_PROFIT_CREDENTIALS_FILE',
    );
    expect(e.message).not.toContain('secret-key');
  });

  it('reads NAME=value lines from a 0600 file, the environment winning', () => {
    const path = file('# Profit\nBLACKBOX_PROFIT_KEY=abc-123\r\nBLACKBOX_PROFIT_USER = "gestora@example.com"\n\nBLACKBOX_PROFIT_PASSWORD=\'s3nh@=x\'\n');
    expect(loadProfitCredentials({ BLACKBOX_PROFIT_CREDENTIALS_FILE: path })).toEqual({
      activationKey: 'abc-123',
      user: 'gestora@example.com',
      password: 's3nh@=x',
    });
    expect(loadProfitCredentials({ BLACKBOX_PROFIT_CREDENTIALS_FILE: path, BLACKBOX_PROFIT_USER: 'other' }).user).toBe('other');
  });

  it('reads a JSON file, and accepts 0400', () => {
    const path = file(JSON.stringify({ activationKey: 'k', user: 'u', password: 'p', routingPassword: 'r' }), 0o400);
    expect(loadProfitCredentials({ BLACKBOX_PROFIT_CREDENTIALS_FILE: path })).toEqual({
      activationKey: 'k',
      user: 'u',
      password: 'p',
      routingPassword: 'r',
    });
  });

  it('refuses a file that others can read', () => {
    const path = file('BLACKBOX_PROFIT_KEY=k\n', 0o644);
    const e = failure({ BLACKBOX_PROFIT_CREDENTIALS_FILE: path });
    expect(e.code).toBe('CREDENTIALS_FILE_MODE');
    expect(e.message).toBe(
      `O arquivo de credenciais ${path} tem permissão 0644; use chmod 600 (somente o dono pode ler) / Credentials file ${path} has mode 0644; run chmod 600 (owner-only access)`,
    );
    expect(failure({ BLACKBOX_PROFIT_CREDENTIALS_FILE: file('', 0o640) }).code).toBe('CREDENTIALS_FILE_MODE');
  });

  it('reports a missing file', () => {
    const e = failure({ BLACKBOX_PROFIT_CREDENTIALS_FILE: '/nonexistent/credentials' });
    expect(e.code).toBe('CREDENTIALS_FILE_UNREADABLE');
    expect(e.message).toMatch(/^Não foi possível ler o arquivo de credenciais \/nonexistent\/credentials: .* \/ Cannot read credentials file/);
  });

  it('points at the bad line without echoing it', () => {
    const e = failure({ BLACKBOX_PROFIT_CREDENTIALS_FILE: file('BLACKBOX_PROFIT_KEY=k\nsenha-solta\n') });
    expect(e.code).toBe('CREDENTIALS_FILE_INVALID');
    expect(e.message).toContain('linha 2 não é NOME=valor conhecido');
    expect(e.message).toContain('line 2 is not a known NAME=value');
    expect(e.message).not.toContain('senha-solta');
    expect(failure({ BLACKBOX_PROFIT_CREDENTIALS_FILE: file('OTHER=1\n') }).code).toBe('CREDENTIALS_FILE_INVALID');
  });

  it('refuses malformed JSON', () => {
    expect(failure({ BLACKBOX_PROFIT_CREDENTIALS_FILE: file('{ "user": ') }).message).toContain('JSON inválido / Invalid credentials file');
    expect(failure({ BLACKBOX_PROFIT_CREDENTIALS_FILE: file('{"user": 1}') }).message).toContain('field: user');
    expect(failure({ BLACKBOX_PROFIT_CREDENTIALS_FILE: file('{"pass": "x"}') }).message).toContain('field: pass');
  });
});
