/** The ticket types the bridge accepts; GET /api/algos describes them so the add-in builds its forms from here. */
import type { AlgoDescriptor } from './algo.js';
import { fullAlgo } from './full.js';

const ALGOS: ReadonlyMap<string, AlgoDescriptor> = new Map([[fullAlgo.type, fullAlgo]]);

export function algoDescriptor(type: string): AlgoDescriptor | undefined {
  return ALGOS.get(type);
}

export function algoCatalog(): Array<Omit<AlgoDescriptor, 'validate' | 'create'>> {
  return [...ALGOS.values()].map(({ validate: _v, create: _c, ...rest }) => rest);
}
