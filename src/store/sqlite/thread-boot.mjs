// The SQLite thread's entry: worker threads do not inherit tsx's loader, so register it here, in its
// own namespace, and load the TypeScript worker through it.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const tsx = register({ namespace: 'callout-sqlite-thread', tsconfig: fileURLToPath(new URL('../../../tsconfig.json', import.meta.url)) });
await tsx.import('./thread-worker.ts', import.meta.url);
