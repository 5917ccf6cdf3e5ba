// The library: what `import { … } from 'callout'` gives a program that embeds the engine.

import { Callout, type CalloutOptions } from './callout.ts';
import { ValidationError } from './errors.ts';
import { PostgresStore } from './store/postgres/store.ts';

export interface CreateCalloutOptions extends CalloutOptions {
  /** PostgreSQL instead of the embedded store (needs `secretKey`); or pass a ready `store`. @default the embedded store in dataDir */
  databaseUrl?: string;
}

/**
 * Opens (and migrates) the store and loads the configuration; nothing is sent until `start()`.
 * `close()` stops the engine and closes the store.
 */
export async function createCallout(options: CreateCalloutOptions = {}): Promise<Callout> {
  const { databaseUrl, ...rest } = options;
  if (databaseUrl === undefined) return Callout.open(rest);
  if (rest.store) throw new ValidationError([{ field: 'databaseUrl', message: 'give either databaseUrl or store, not both' }]);
  // As DATABASE_URL is checked: "mysql://x" was tried as PostgreSQL and failed on the host ("getaddrinfo ENOTFOUND x").
  if (!/^postgres(ql)?:\/\//i.test(databaseUrl))
    throw new ValidationError([{ field: 'databaseUrl', message: 'must be a PostgreSQL URL, postgres://user@host:5432/database' }]);
  if (!rest.secretKey)
    throw new ValidationError([{ field: 'secretKey', message: 'is required with databaseUrl: every node must share it' }]);
  const store = new PostgresStore({
    connectionString: databaseUrl,
    ...(rest.logger ? { logger: rest.logger } : {}),
    ...(rest.notificationsPerUser !== undefined ? { notificationsPerUser: rest.notificationsPerUser } : {}),
  });
  try {
    return await Callout.open({ ...rest, store });
  } catch (err) {
    await store.close();
    throw err;
  }
}

export { Callout, type CalloutOptions } from './callout.ts';
export { ROLES, type Role } from './api-keys/service.ts';
export type { LaunchRequest, ActionListQuery } from './actions/schemas.ts';
export { buildServer } from './api/server.ts';
export {
  CalloutClosedError,
  CalloutError,
  ConflictError,
  ERROR_CODES,
  InvalidStateError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
  type ErrorCode,
  type FieldProblem,
  type RevisionGuard,
} from './errors.ts';
export {
  COMPLETION_MODES,
  LABELS,
  PHASES,
  REASONS,
  RESOLUTIONS,
  STATES,
  type Actor,
  type CompletionMode,
  type Phase,
  type Reason,
  type Resolution,
  type State,
} from './lifecycle/states.ts';
export type { ActionRecord } from './lifecycle/action.ts';
export type { ActionView } from './actions/views.ts';
export type { CaseHistoryEntry, CaseHistoryQuery } from './cases/schemas.ts';
export type { EngineEvents } from './engine/engine.ts';
export { FakeClock, systemClock, type Clock, type TimerHandle } from './clock.ts';
export { createLogger, type Logger } from './logger.ts';
export type { Store } from './store/types.ts';
export { PostgresStore, type PostgresStoreOptions } from './store/postgres/store.ts';
export { SqliteStore, type SqliteStoreOptions } from './store/sqlite/store.ts';
