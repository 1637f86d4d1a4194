/**
 * Ticket (algo) descriptors as served by GET /api/algos. The Boletas form and the sheet template are
 * generated from these, so a new algo in the bridge appears in the add-in without a rewrite.
 */
import type { AlgoDescriptorView as AlgoDescriptor, AlgoParamDescriptor } from '../../../common/types.js';
import { fold } from './format.js';

export type { AlgoParamKind, AlgoParamDescriptor } from '../../../common/types.js';
export type { AlgoDescriptorView as AlgoDescriptor } from '../../../common/types.js';

/** Finds an algo by its type ("twap") or pt-BR label ("Ordem cheia"), forgiving case and accents. */
export function findAlgo(algos: readonly AlgoDescriptor[], text: string): AlgoDescriptor | undefined {
  const t = fold(text);
  if (!t) return undefined;
  return algos.find((a) => fold(a.type) === t || fold(a.label) === t);
}

/**
 * Every distinct parameter across algos, in first-seen order (one sheet column per parameter name).
 * A parameter shared by several algos (TWAP and VWAP start time) is one column.
 */
export function distinctParams(algos: readonly AlgoDescriptor[]): AlgoParamDescriptor[] {
  const seen = new Map<string, AlgoParamDescriptor>();
  for (const a of algos) for (const p of a.params) if (!seen.has(p.name)) seen.set(p.name, p);
  return [...seen.values()];
}

/** Whether a percent parameter is expressed as a fraction (0.1 = 10%) rather than in percent units (10 = 10%). */
export function percentIsFraction(p: AlgoParamDescriptor): boolean {
  return typeof p.max === 'number' && p.max <= 1;
}

/** Human range text for a parameter: "entre 1 e 50". */
export function rangeText(p: AlgoParamDescriptor): string {
  if (p.min !== undefined && p.max !== undefined) return `entre ${p.min} e ${p.max}`;
  if (p.min !== undefined) return `no mínimo ${p.min}`;
  if (p.max !== undefined) return `no máximo ${p.max}`;
  return '';
}
