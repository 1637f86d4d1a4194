/**
 * Reading an algo's parameters from a boleta against its descriptors: one reader for every algo,
 * so every bad value gets the same kind of pt-BR error naming `algo.<param>`.
 */
import { DateTime } from 'luxon';
import type { AlgoSpec, ApiErrorItem } from '../../../common/types.js';
import { ZONE } from '../market-session.js';
import type { AlgoParamSpec } from './algo.js';

export class ParamReader {
  readonly errors: ApiErrorItem[] = [];

  constructor(
    private readonly spec: AlgoSpec,
    private readonly params: readonly AlgoParamSpec[],
    private readonly nowMs: number,
  ) {
    const known = new Set(params.map((p) => p.name));
    for (const k of Object.keys(spec)) {
      if (k !== 'type' && !known.has(k)) this.fail(k, 'unknown_field', `parâmetro desconhecido: ${k}`);
    }
  }

  fail(name: string, code: string, message: string): void {
    this.errors.push({ field: `algo.${name}`, code, message });
  }

  private desc(name: string): AlgoParamSpec {
    const d = this.params.find((p) => p.name === name);
    if (!d) throw new Error(`parameter ${name} not described`);
    return d;
  }

  private raw(name: string): unknown {
    const v = this.spec[name];
    return v === null || v === '' ? undefined : v;
  }

  /** number / integer / percent, bounded by the descriptor's min and max. */
  number(name: string): number | undefined {
    const d = this.desc(name);
    let v = this.raw(name);
    if (v === undefined) {
      if (d.required) this.fail(name, 'required', `${d.label}: obrigatório`);
      return typeof d.default === 'number' ? d.default : undefined;
    }
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v.replace(',', '.')))) v = Number(v.replace(',', '.'));
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.fail(name, 'invalid', `${d.label}: informe um número`);
      return undefined;
    }
    if (d.kind === 'integer' && !Number.isInteger(v)) {
      this.fail(name, 'invalid', `${d.label}: informe um número inteiro`);
      return undefined;
    }
    // A percentage's lower bound is exclusive when it is 0 and the descriptor says so through min > 0.
    if (d.min !== undefined && v < d.min) {
      this.fail(name, 'out_of_range', `${d.label}: mínimo ${d.min}${d.kind === 'percent' ? '%' : ''}`);
      return undefined;
    }
    if (d.max !== undefined && v > d.max) {
      this.fail(name, 'out_of_range', `${d.label}: máximo ${d.max}${d.kind === 'percent' ? '%' : ''}`);
      return undefined;
    }
    return v;
  }

  boolean(name: string): boolean {
    const d = this.desc(name);
    const v = this.raw(name);
    if (v === undefined) return d.default === true;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'sim') return true;
    if (v === 'false' || v === 'não' || v === 'nao') return false;
    this.fail(name, 'invalid', `${d.label}: informe true ou false`);
    return d.default === true;
  }

  enumValue<T extends string>(name: string): T {
    const d = this.desc(name);
    const v = this.raw(name);
    const options = (d.options ?? []).map((o) => o.value);
    if (v === undefined) return d.default as T;
    if (typeof v !== 'string' || !options.includes(v)) {
      this.fail(name, 'invalid', `${d.label}: use ${options.join(', ')}`);
      return d.default as T;
    }
    return v as T;
  }

  /** "HH:mm" (today, São Paulo) or an ISO instant with offset. */
  time(name: string): number | undefined {
    const d = this.desc(name);
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') {
      this.fail(name, 'invalid', `${d.label}: use HH:mm (horário de São Paulo) ou data e hora ISO`);
      return undefined;
    }
    const hm = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(v.trim());
    if (hm) {
      return DateTime.fromMillis(this.nowMs, { zone: ZONE })
        .set({ hour: Number(hm[1]), minute: Number(hm[2]), second: 0, millisecond: 0 })
        .toMillis();
    }
    const iso = DateTime.fromISO(v.trim(), { zone: ZONE });
    if (!iso.isValid || !/T\d{2}:\d{2}/.test(v)) {
      this.fail(name, 'invalid', `${d.label}: use HH:mm (horário de São Paulo) ou data e hora ISO`);
      return undefined;
    }
    return iso.toMillis();
  }
}

/** Seed for an order's randomisation: derived from its content and time, journaled in its anchors. */
export function seedFor(nowMs: number, qty: number): number {
  return (Math.imul(nowMs % 2_147_483_647, 2654435761) ^ qty) >>> 0;
}
