// Worker threads do not inherit the TypeScript loader of the thread that starts them: register it here.
import { register } from 'tsx/esm/api';

register();
await import('./feed-reader.ts');
