// The error catalogue: every error Callout raises has a stable `code`, an HTTP status and, for bad
// input, the fields at fault. The API turns these into application/problem+json.

export interface FieldProblem {
  /** Path of the offending field, e.g. "input.Priority" or "retry.maxRetries". */
  field: string;
  message: string;
}

export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 422, title: 'Invalid input' },
  TEMPLATE_INVALID: { status: 422, title: 'Invalid template' },
  /** A value that cannot be placed in a request safely (templates/errors.ts RenderError). */
  RENDER_INVALID: { status: 422, title: 'Value cannot be rendered' },
  /** A JSONata mapping failed or broke a limit (action-types/mapping.ts MappingError). */
  MAPPING_FAILED: { status: 422, title: 'Mapping failed' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  CONFLICT: { status: 409, title: 'Conflict' },
  INVALID_STATE: { status: 409, title: 'Not allowed in this state' },
  /** `If-Match` named a revision (or settings tag) other than the stored one (api/if-match.ts): changed since the caller read it. */
  PRECONDITION_FAILED: { status: 412, title: 'Precondition failed' },
  UNAUTHORIZED: { status: 401, title: 'Unauthorized' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  /** Refused by Node's HTTP parser before any route (api/problem.ts clientErrorHandler). */
  REQUEST_TIMEOUT: { status: 408, title: 'Request timeout' },
  HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large' },
  INTERNAL: { status: 500, title: 'Internal error' },
  /** The store stopped (a failed sync) or could not say whether a write was kept: worth a retry, here or on another node. */
  STORE_UNAVAILABLE: { status: 503, title: 'Store unavailable' },
  /** Callout cannot start as configured (SetupError); never a request's fault. */
  SETUP_INVALID: { status: 500, title: 'Not set up correctly' },
  /**
   * A library call on a Callout after its `close()` (CalloutClosedError). A server built on it answers
   * such a request as a stopped store: 503 STORE_UNAVAILABLE, as its clients know it (api/problem.ts).
   */
  CALLOUT_CLOSED: { status: 503, title: 'Callout closed' },
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export class CalloutError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldProblem[] | undefined;
  constructor(code: ErrorCode, message: string, errors?: FieldProblem[]) {
    super(message);
    this.name = 'CalloutError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.errors = errors;
  }
}

export class ValidationError extends CalloutError {
  constructor(errors: FieldProblem[], message?: string) {
    super('VALIDATION_FAILED', message ?? describe(errors), errors);
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends CalloutError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} ${JSON.stringify(id)} does not exist`);
    this.name = 'NotFoundError';
  }
}

/**
 * A callback token no action answers to: made up, mistyped, or dead (its action closed longer ago than
 * the token TTL, or its task was submitted again since). One answer for all, so nothing can be probed;
 * it says so rather than that a callback called "token" does not exist.
 */
export class UnknownCallbackTokenError extends NotFoundError {
  constructor() {
    super('Callback', 'token');
    this.message =
      'No action answers to this callback token: it is mistyped or not from Callout, or its action closed too long ago (or its task was submitted again since)';
    this.name = 'UnknownCallbackTokenError';
  }
}

export class InvalidStateError extends CalloutError {
  constructor(message: string) {
    super('INVALID_STATE', message);
    this.name = 'InvalidStateError';
  }
}

export class ConflictError extends CalloutError {
  constructor(message: string) {
    super('CONFLICT', message);
    this.name = 'ConflictError';
  }
}

export class PreconditionFailedError extends CalloutError {
  constructor(message: string) {
    super('PRECONDITION_FAILED', message);
    this.name = 'PreconditionFailedError';
  }
}

/**
 * A change guarded by the revision its caller read (`If-Match`): refused with 412 when `stored` is
 * another, so two people editing one resource cannot silently overwrite each other. No guard, no check.
 */
export function checkRevision(what: string, key: string, stored: number, guard: RevisionGuard | undefined): void {
  if (guard?.ifRevision !== undefined && guard.ifRevision !== stored)
    throw new PreconditionFailedError(
      `${what} ${JSON.stringify(key)} is at revision ${stored}, not ${guard.ifRevision} as If-Match says: it was changed since you read it; read it again and make your change on that`,
    );
}

/** The conditional write lost to another writer after checkRevision passed: 412 for a guarded change, 409 otherwise. */
export function changedMeanwhile(what: string, key: string, guard: RevisionGuard | undefined): CalloutError {
  const message = `${what} ${JSON.stringify(key)} was changed by someone else meanwhile; read it again and make your change on that`;
  return guard?.ifRevision !== undefined ? new PreconditionFailedError(message) : new ConflictError(message);
}

/**
 * A read-change-write, `attempt` answering undefined when the stored revision moved meanwhile. Without
 * If-Match a change applies to what is stored: made again on what won the race, a few times (two
 * PATCHes at once on two nodes answered one of them 409). With it, the loss is the caller's 412.
 */
export async function onWhatIsStored<T>(
  what: string,
  key: string,
  guard: RevisionGuard | undefined,
  attempt: () => Promise<T | undefined>,
): Promise<T> {
  for (let i = 0; ; i++) {
    const done = await attempt();
    if (done !== undefined) return done;
    if (guard?.ifRevision !== undefined || i >= STORED_ATTEMPTS - 1) throw changedMeanwhile(what, key, guard);
    await raceApart(i);
  }
}

/** Tries of a change without If-Match that keeps losing races (each loss means another change was made). */
export const STORED_ATTEMPTS = 20;
/** A few milliseconds, more after each loss, spread so racers do not meet again at once. */
export const raceApart = (losses: number): Promise<void> =>
  new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 4 * (losses + 1))));

/** The revision a change expects to find (from the request's `If-Match`), when its caller gave one. */
export interface RevisionGuard {
  ifRevision?: number | undefined;
}

/** The settings tag (api/if-match.ts settingsTag) a change expects to find, from the request's `If-Match`. */
export interface SettingsGuard {
  ifTag?: string | undefined;
}

/**
 * A change guarded by the settings tag its caller read: refused with 412 when the settings stored now
 * have another (`current`). Checked on the row the guarded write is made on, so of two changes sent with
 * one tag the second finds the first's settings. No guard, no check.
 */
export function checkSettingsTag(what: string, key: string, current: string, guard: SettingsGuard | undefined): void {
  if (guard?.ifTag !== undefined && guard.ifTag !== current)
    throw new PreconditionFailedError(
      `${what} ${JSON.stringify(key)} has settings tagged ${current}, not ${guard.ifTag} as If-Match says: it was changed since you read it; read it again and make your change on that`,
    );
}

/**
 * Callout cannot start as configured (a missing setting, a damaged store): the message alone says
 * what to do, so the command prints it as one line, without a stack trace.
 */
export class SetupError extends CalloutError {
  constructor(message: string) {
    super('SETUP_INVALID', message);
    this.name = 'SetupError';
  }
}

/**
 * A call on a Callout (or its store) after `close()`: the store is closed, so this call read and wrote
 * nothing; open a new Callout to go on. One error whatever the store, instead of what each driver says
 * (better-sqlite3's "The database connection is not open", pg's "Cannot use a pool after calling end on
 * the pool"). A call already under way when close() ran finishes, or fails with this having done part of
 * its work (a launch kept, the read of its view refused): repeat it with its idempotency key.
 */
export class CalloutClosedError extends CalloutError {
  /** To /health and the API a closed Callout is a stopped store (store/failures.ts isStoreStopped). */
  readonly storeStopped = true;
  constructor() {
    super('CALLOUT_CLOSED', 'This Callout is closed: open a new one (createCallout or Callout.open) to go on');
    this.name = 'CalloutClosedError';
  }
}

function describe(errors: FieldProblem[]): string {
  return errors.map((e) => (e.field ? `${e.field} ${e.message}` : e.message)).join('; ');
}

/** Collects field problems while validating, then throws them all at once. */
export class Problems {
  readonly list: FieldProblem[] = [];
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new ValidationError(this.list);
  }
}
