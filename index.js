// The package entry for `import { … } from 'callout'`. Callout ships as TypeScript run by tsx (there is
// no build step), so this registers tsx in its own namespace, which compiles only Callout's modules and
// leaves the embedding program's loader alone, and re-exports src/index.ts by name: an ES module's
// static `export *` would be loaded before any code here runs, i.e. before tsx could compile it.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const tsx = register({ namespace: 'callout', tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)) });
const lib = await tsx.import('./src/index.ts', import.meta.url);

// Keep in step with src/index.ts (test/package.test.ts fails if one is missing).
export const {
  createCallout,
  Callout,
  ROLES,
  buildServer,
  CalloutClosedError,
  CalloutError,
  ConflictError,
  ERROR_CODES,
  InvalidStateError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
  COMPLETION_MODES,
  LABELS,
  PHASES,
  REASONS,
  RESOLUTIONS,
  STATES,
  FakeClock,
  systemClock,
  createLogger,
  PostgresStore,
  SqliteStore,
} = lib;
