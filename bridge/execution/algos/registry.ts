/** The ticket types the bridge accepts; GET /api/algos describes them so the add-in builds its forms from here. */
import type { AlgoDescriptorView } from '../../../common/types.js';
import type { AlgoDescriptor } from './algo.js';
import { coverAlgo } from './cover.js';
import { fullAlgo } from './full.js';
import { icebergAlgo } from './iceberg.js';
import { U_PROFILE_SOURCE, type VolumeProfileSource } from './schedule.js';
import { twapAlgo, vwapAlgo } from './sliced.js';

export interface AlgoRegistry {
  descriptor(type: string): AlgoDescriptor | undefined;
  catalog(): AlgoDescriptorView[];
}

/** VWAP reads its volume profile from `profiles` (the market database when it has one). */
export function createAlgoRegistry(profiles: VolumeProfileSource = U_PROFILE_SOURCE): AlgoRegistry {
  const algos: ReadonlyMap<string, AlgoDescriptor> = new Map(
    [fullAlgo, icebergAlgo, twapAlgo(), vwapAlgo(profiles), coverAlgo].map((a) => [a.type, a]),
  );
  return {
    descriptor: (type) => algos.get(type),
    catalog: () => [...algos.values()].map(({ validate: _v, create: _c, ...rest }) => rest),
  };
}

const defaultRegistry = createAlgoRegistry();

export function algoDescriptor(type: string): AlgoDescriptor | undefined {
  return defaultRegistry.descriptor(type);
}

export function algoCatalog(): AlgoDescriptorView[] {
  return defaultRegistry.catalog();
}
