import koffi from 'koffi';

/** The longest string read from a two-call accessor; a longer (or negative) length the DLL reports is cut. */
export const OUT_STRING_MAX_UNITS = 1024;

/** A length the DLL reported, made safe to allocate and read: 0 … OUT_STRING_MAX_UNITS. */
export function boundedLength(reported: number): number {
  return Number.isInteger(reported) && reported > 0 ? Math.min(reported, OUT_STRING_MAX_UNITS) : 0;
}

/** koffi.alloc'd UTF-16 buffers for the two-call accessors, grown on demand and kept for the session. */
export class OutBuffers {
  private readonly slots = new Map<string, { ptr: unknown; units: number }>();

  get(slot: string, units: number): unknown {
    const have = this.slots.get(slot);
    if (have && have.units >= units) return have.ptr;
    if (have) koffi.free(have.ptr);
    const size = Math.max(32, units);
    const ptr = koffi.alloc('char16_t', size);
    this.slots.set(slot, { ptr, units: size });
    return ptr;
  }

  freeAll(): void {
    for (const { ptr } of this.slots.values()) koffi.free(ptr);
    this.slots.clear();
  }
}
