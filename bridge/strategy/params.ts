/**
 * A run's parameters against the strategy's declared specs: defaults filled in, types and bounds
 * checked, unknown names refused. Values come as JSON (API, sweeps) or as text (`--param k=v` on the
 * command line); text is read by the declared type, so `--param fast=9` is the integer 9.
 */
import type { ApiErrorItem } from '../../common/types.js';
import type { ParamSpec, ParamSpecs } from './api.js';

export type ParamValue = number | boolean | string;

export type ParamsResult = { ok: true; values: Record<string, ParamValue> } | { ok: false; errors: ApiErrorItem[] };

/** Parameters per run: a strategy with more is a mistake, and each one travels to every worker. */
const MAX_PARAMS = 64;

export function resolveParams(specs: ParamSpecs | undefined, raw: Record<string, unknown> = {}, field = 'params'): ParamsResult {
  const declared = specs ?? {};
  const errors: ApiErrorItem[] = [];
  const values: Record<string, ParamValue> = {};
  const names = Object.keys(raw);
  if (names.length > MAX_PARAMS) {
    return { ok: false, errors: [{ field, code: 'too_many', message: `no máximo ${MAX_PARAMS} parâmetros` }] };
  }
  for (const name of names) {
    if (!Object.hasOwn(declared, name)) {
      const known = Object.keys(declared);
      errors.push({
        field: `${field}.${name}`,
        code: 'unknown_param',
        message: `parâmetro desconhecido: ${name}${known.length ? ` (a estratégia declara ${known.join(', ')})` : ' (a estratégia não declara parâmetros)'}`,
      });
    }
  }
  for (const [name, spec] of Object.entries(declared)) {
    const given = Object.hasOwn(raw, name) ? raw[name] : undefined;
    if (given === undefined) {
      values[name] = spec.default;
      continue;
    }
    const r = coerce(spec, given);
    if (typeof r === 'string') errors.push({ field: `${field}.${name}`, code: 'invalid_param', message: `${name}: ${r}` });
    else values[name] = r.value;
  }
  return errors.length ? { ok: false, errors } : { ok: true, values };
}

/** The value read by the spec's type, or why it cannot be. */
function coerce(spec: ParamSpec, given: unknown): { value: ParamValue } | string {
  switch (spec.type) {
    case 'number':
    case 'integer': {
      const n = typeof given === 'number' ? given : typeof given === 'string' && given.trim() !== '' ? Number(given.trim().replace(',', '.')) : Number.NaN;
      if (!Number.isFinite(n)) return `esperava um número, recebi ${JSON.stringify(given)}`;
      if (spec.type === 'integer' && !Number.isInteger(n)) return `esperava um inteiro, recebi ${n}`;
      if (spec.min !== undefined && n < spec.min) return `mínimo ${spec.min}, recebi ${n}`;
      if (spec.max !== undefined && n > spec.max) return `máximo ${spec.max}, recebi ${n}`;
      return { value: n };
    }
    case 'boolean': {
      if (typeof given === 'boolean') return { value: given };
      if (typeof given === 'string' && /^(true|sim|1)$/i.test(given.trim())) return { value: true };
      if (typeof given === 'string' && /^(false|não|nao|0)$/i.test(given.trim())) return { value: false };
      return `esperava verdadeiro/falso, recebi ${JSON.stringify(given)}`;
    }
    case 'string':
      return typeof given === 'string' ? { value: given } : `esperava um texto, recebi ${JSON.stringify(given)}`;
    case 'enum':
      return typeof given === 'string' && spec.options.includes(given)
        ? { value: given }
        : `esperava um de ${spec.options.join(', ')}, recebi ${JSON.stringify(given)}`;
  }
}

/** `k=v` pairs from the command line into a raw object (the values stay text until resolveParams). */
export function parseParamPairs(pairs: readonly string[]): { ok: true; raw: Record<string, string> } | { ok: false; errors: ApiErrorItem[] } {
  const raw: Record<string, string> = {};
  const errors: ApiErrorItem[] = [];
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) {
      errors.push({ field: '--param', code: 'syntax', message: `esperava nome=valor, recebi ${JSON.stringify(p)}` });
      continue;
    }
    raw[p.slice(0, eq).trim()] = p.slice(eq + 1);
  }
  return errors.length ? { ok: false, errors } : { ok: true, raw };
}
