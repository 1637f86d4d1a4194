/**
 * Ticket (algo) descriptors as served by GET /api/algos. The Boletas form and the sheet template are
 * generated from these, so a new algo in the bridge appears in the add-in without a rewrite.
 */
import type { AlgoDescriptorView as AlgoDescriptor, AlgoParamDescriptor } from '../../../common/types.js';
import { fmtDateTime, fold } from './format.js';

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

const ptNumber = new Intl.NumberFormat('pt-BR', { maximumFractionDigits: 6 });
/** 600000 → "600.000", 0.5 → "0,5". */
const n = (v: unknown): string => (typeof v === 'number' ? ptNumber.format(v) : String(v));

/** Human range text for a parameter: "entre 1 e 50", "entre 0 e 600.000". */
export function rangeText(p: AlgoParamDescriptor): string {
  if (p.min !== undefined && p.max !== undefined) return `entre ${n(p.min)} e ${n(p.max)}`;
  if (p.min !== undefined) return `no mínimo ${n(p.min)}`;
  if (p.max !== undefined) return `no máximo ${n(p.max)}`;
  return '';
}

/** The option of an `enum` parameter that a typed text names, by value ("passive") or label ("Passivo"). */
export function findOption(p: AlgoParamDescriptor, text: string): { value: string; label: string } | undefined {
  const t = fold(text);
  if (!t) return undefined;
  return (p.options ?? []).find((o) => fold(o.value) === t || fold(o.label) === t);
}

/** The label of an enum value, for display ("aggressive" → "Agressivo"); the value itself when unknown. */
export function optionLabel(p: AlgoParamDescriptor, value: unknown): string {
  return (p.options ?? []).find((o) => o.value === value)?.label ?? String(value ?? '');
}

/**
 * What a form field's text means as a sheet cell, so the form and the sheet share one parser: the
 * form shows "%" beside a percent field, so "10" there is 10 % whatever unit the bridge uses.
 */
export function paramCell(p: AlgoParamDescriptor, text: string): string {
  const t = text.trim();
  if (p.kind === 'percent' && t && !t.endsWith('%')) return `${t}%`;
  return t;
}

/** The hint under a field: the bridge's help, the range and the default, in pt-BR. */
export function paramHint(p: AlgoParamDescriptor): string {
  const parts: string[] = [];
  if (p.help) parts.push(p.help);
  const range = p.kind === 'percent' && percentIsFraction(p) ? rangeText({ ...p, min: pct(p.min), max: pct(p.max) }) : rangeText(p);
  if (range && p.kind !== 'boolean' && p.kind !== 'enum') parts.push(`${range.charAt(0).toUpperCase()}${range.slice(1)}${p.kind === 'percent' ? ' %' : ''}.`);
  if (p.default !== undefined && p.default !== '') {
    const d =
      p.kind === 'boolean'
        ? p.default
          ? 'sim'
          : 'não'
        : p.kind === 'enum'
          ? optionLabel(p, p.default)
          : p.kind === 'percent' && percentIsFraction(p) && typeof p.default === 'number'
            ? `${n(pct(p.default))} %`
            : n(p.default);
    parts.push(`Padrão: ${d}.`);
  }
  return parts.join(' ');
}

function pct(v: number | undefined): number | undefined {
  return v === undefined ? undefined : Math.round(v * 100 * 1e6) / 1e6;
}

/** An instant the bridge stored as ISO ("2026-12-02T02:18:17.993Z"), not a HH:mm the PM typed. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** A parameter's value as the order detail shows it: the enum's label, sim/não, a fraction as %, an instant in São Paulo time. */
export function paramDisplay(p: AlgoParamDescriptor, v: unknown): string {
  if (p.kind === 'time' && typeof v === 'string' && ISO_INSTANT.test(v)) return fmtDateTime(v);
  if (p.kind === 'enum') return optionLabel(p, v);
  if (p.kind === 'boolean' && typeof v === 'boolean') return v ? 'sim' : 'não';
  if (p.kind === 'percent' && typeof v === 'number') {
    const n = percentIsFraction(p) ? v * 100 : v;
    return `${new Intl.NumberFormat('pt-BR', { maximumFractionDigits: 2 }).format(n)} %`;
  }
  if (typeof v === 'number') return new Intl.NumberFormat('pt-BR', { maximumFractionDigits: 4 }).format(v);
  return String(v ?? '');
}
