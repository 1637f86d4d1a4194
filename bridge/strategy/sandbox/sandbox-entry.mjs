// A strategy's process: register the TypeScript loader (a child does not inherit its parent's), then run.
import { register } from 'tsx/esm/api';

register();
await import('./sandbox-child.ts');
