// A strategy's process: register the TypeScript loader (a child does not inherit its parent's), then
// serve the parent with the strategy layer's jobs and those of the module named on the command line.
import { register } from 'tsx/esm/api';

register();
const { serveSandbox } = await import('./sandbox-child.ts');
const extra = process.argv[2] ? await import(process.argv[2]) : undefined;
serveSandbox(extra?.sandboxHandlers);
