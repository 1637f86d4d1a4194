/**
 * Request schemas shared by the add-in (local validation of sheet rows) and the bridge (the
 * authority). Unknown fields are errors everywhere: a misspelt `limitPrce` must not silently
 * become a market order.
 */
import { z } from 'zod';
import type { ApiErrorItem } from './types.js';

export const sideSchema = z.enum(['buy', 'sell']);

export const algoSpecSchema = z.looseObject({
  type: z.enum(['full', 'iceberg', 'twap', 'vwap', 'cover']),
});

export const allocationSchema = z.strictObject({
  client: z.string().trim().min(1).max(64),
  qty: z.number().int().positive().optional(),
  weight: z.number().positive().finite().optional(),
});

export const boletaSchema = z.strictObject({
  client: z.string().trim().min(1).max(64).optional(),
  allocations: z.array(allocationSchema).min(1).max(200).optional(),
  symbol: z.string().trim().min(1).max(16),
  side: sideSchema,
  qty: z.number().int().positive().max(1_000_000_000),
  limitPrice: z.number().positive().finite().optional(),
  algo: algoSpecSchema,
  idempotencyKey: z.string().min(1).max(128).optional(),
});

export const MAX_BATCH_ROWS = 5_000;

export const batchSchema = z.strictObject({
  rows: z.array(z.unknown()).min(1).max(MAX_BATCH_ROWS),
  allOrNothing: z.boolean().optional(),
});

export const clientSchema = z.strictObject({
  id: z.string().trim().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'use letras, números, ponto, hífen ou sublinhado'),
  name: z.string().trim().min(1).max(200),
  account: z.string().trim().min(1).max(64).optional(),
  openingCash: z.number().finite().min(0).max(1e13),
  limits: z
    .strictObject({
      maxOrderNotionalBrl: z.number().positive().finite().optional(),
      maxOrderQty: z.number().int().positive().optional(),
    })
    .optional(),
});

export const amendSchema = z.strictObject({
  qty: z.number().int().positive().optional(),
  limitPrice: z.number().positive().finite().optional(),
});

export const killSwitchSchema = z.strictObject({
  engaged: z.boolean(),
  reason: z.string().max(500).optional(),
});

/** `rows[3].allocations[0].qty` style paths, the way a user finds the cell. */
export function fieldPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  let out = prefix;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(body)';
}

const PT_MESSAGES: Record<string, string> = {
  invalid_type: 'tipo inválido',
  too_small: 'valor pequeno demais',
  too_big: 'valor grande demais',
  invalid_value: 'valor não permitido',
  unrecognized_keys: 'campo desconhecido',
};

export function zodErrors(error: z.ZodError, prefix = ''): ApiErrorItem[] {
  const out: ApiErrorItem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ field: fieldPath(prefix, [...issue.path, key]), code: 'unknown_field', message: `campo desconhecido: ${key}` });
      }
      continue;
    }
    const base = PT_MESSAGES[issue.code] ?? 'inválido';
    out.push({ field: fieldPath(prefix, issue.path), code: issue.code, message: `${base}: ${issue.message}` });
  }
  return out;
}

export type BoletaInput = z.infer<typeof boletaSchema>;
export type ClientInput = z.infer<typeof clientSchema>;
