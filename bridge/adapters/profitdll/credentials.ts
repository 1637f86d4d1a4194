/**
 * ProfitDLL credentials come only from the environment or from a file that only its owner can read
 * (PRODUCT.md §8). Values are never logged; errors name the variables, never their contents.
 */
import { readFileSync, statSync } from 'node:fs';
import { ProfitDllError, bilingual } from './errors.js';

export interface ProfitCredentials {
  /** Activation key of the ProfitDLL licence (first argument of DLLInitializeLogin). */
  activationKey: string;
  /** Nelogica login (e-mail or document). */
  user: string;
  password: string;
  /** Routing password (assinatura eletrônica) sent with each order; the login password when absent. */
  routingPassword?: string;
}

const VARS = {
  activationKey: 'BLACKBOX_PROFIT_KEY',
  user: 'BLACKBOX_PROFIT_USER',
  password: 'BLACKBOX_PROFIT_PASSWORD',
  routingPassword: 'BLACKBOX_PROFIT_ROUTING_PASSWORD',
} as const;

type Field = keyof typeof VARS;
const FIELDS = Object.keys(VARS) as Field[];

/**
 * Reads BLACKBOX_PROFIT_KEY / _USER / _PASSWORD (and optionally _ROUTING_PASSWORD) from `env`, or from the
 * file named by BLACKBOX_PROFIT_CREDENTIALS_FILE; variables set in the environment win over the file.
 * The file holds `NAME=value` lines with the same variable names, or a JSON object with the field names
 * of {@link ProfitCredentials}. On POSIX it must not be readable by group or others (0600 or 0400);
 * Windows has no such mode bits, so there the file must be protected with NTFS permissions instead.
 * Throws a ProfitDllError with a bilingual message when something is missing or unsafe.
 */
export function loadProfitCredentials(env: NodeJS.ProcessEnv = process.env): ProfitCredentials {
  const found: Partial<Record<Field, string>> = {};
  const file = env.BLACKBOX_PROFIT_CREDENTIALS_FILE;
  if (file) Object.assign(found, readCredentialsFile(file));
  for (const field of FIELDS) {
    const value = env[VARS[field]];
    if (value) found[field] = value;
  }
  const missing = (['activationKey', 'user', 'password'] as const).filter((f) => !found[f]).map((f) => VARS[f]);
  if (missing.length > 0) {
    const names = missing.join(', ');
    throw new ProfitDllError(
      'CREDENTIALS_MISSING',
      bilingual(
        `Credenciais da ProfitDLL ausentes: defina ${names} ou BLACKBOX_PROFIT_CREDENTIALS_FILE`,
        `ProfitDLL credentials missing: set ${names} or BLACKBOX_PROFIT_CREDENTIALS_FILE`,
      ),
    );
  }
  return {
    activationKey: found.activationKey!,
    user: found.user!,
    password: found.password!,
    ...(found.routingPassword ? { routingPassword: found.routingPassword } : {}),
  };
}

function readCredentialsFile(path: string): Partial<Record<Field, string>> {
  let text: string;
  try {
    const st = statSync(path);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw new ProfitDllError(
        'CREDENTIALS_FILE_MODE',
        bilingual(
          `O arquivo de credenciais ${path} tem permissão ${mode}; use chmod 600 (somente o dono pode ler)`,
          `Credentials file ${path} has mode ${mode}; run chmod 600 (owner-only access)`,
        ),
      );
    }
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof ProfitDllError) throw e;
    throw new ProfitDllError(
      'CREDENTIALS_FILE_UNREADABLE',
      bilingual(
        `Não foi possível ler o arquivo de credenciais ${path}: ${(e as Error).message}`,
        `Cannot read credentials file ${path}: ${(e as Error).message}`,
      ),
    );
  }
  return text.trimStart().startsWith('{') ? parseJson(path, text) : parseLines(path, text);
}

function parseJson(path: string, text: string): Partial<Record<Field, string>> {
  // Text starting with '{' parses to an object or not at all.
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw invalidFile(path, 'JSON inválido', 'invalid JSON');
  }
  const out: Partial<Record<Field, string>> = {};
  for (const [key, value] of Object.entries(data)) {
    if (!FIELDS.includes(key as Field) || typeof value !== 'string') {
      throw invalidFile(path, `campo não reconhecido ou não textual: ${key}`, `unknown or non-string field: ${key}`);
    }
    out[key as Field] = value;
  }
  return out;
}

function parseLines(path: string, text: string): Partial<Record<Field, string>> {
  const out: Partial<Record<Field, string>> = {};
  const byVar = new Map<string, Field>(FIELDS.map((f) => [VARS[f], f]));
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const field = eq > 0 ? byVar.get(line.slice(0, eq).trim()) : undefined;
    if (!field) {
      // The line number only: the line itself may hold a secret.
      throw invalidFile(path, `linha ${i + 1} não é NOME=valor conhecido`, `line ${i + 1} is not a known NAME=value`);
    }
    out[field] = unquote(line.slice(eq + 1).trim());
  });
  return out;
}

function unquote(v: string): string {
  return v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.endsWith(v[0]) ? v.slice(1, -1) : v;
}

function invalidFile(path: string, pt: string, en: string): ProfitDllError {
  return new ProfitDllError(
    'CREDENTIALS_FILE_INVALID',
    bilingual(`Arquivo de credenciais ${path} inválido: ${pt}`, `Invalid credentials file ${path}: ${en}`),
  );
}
