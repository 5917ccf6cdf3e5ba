// Users (SPEC 10.1): operators with roles, who own cases, are assigned tasks and receive escalations.
// Validation of a POST /v1/users body and the role words shared by users, API keys and routes.

import { type Doc, isObject, str, unknownKeys } from '../validation/check.ts';
import { Problems } from '../errors.ts';

// `metrics` is for a Prometheus scraper: GET /metrics and nothing else (SPEC names the other four).
export const ROLES = { admin: 'admin', builder: 'builder', operator: 'operator', integration: 'integration', metrics: 'metrics' } as const;
export type Role = (typeof ROLES)[keyof typeof ROLES];
export const ROLE_LIST: readonly Role[] = Object.freeze(Object.values(ROLES));

/** Lower-case, like a login: names appear in URLs, assignments and `user:<name>` timeline actors. */
export const USER_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const USER_NAME_HINT = 'must be 1–64 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit';
/** Kept for routes that address the caller (e.g. /v1/users/me). */
export const RESERVED_USER_NAMES: ReadonlySet<string> = new Set(['me']);
/**
 * Not given to a new user: the timeline names the engine's own moves `system` (and `user:system`, a
 * sweep giving back a disabled person's tasks), and a request without a person `anonymous`; a person
 * of either name could not be told apart from them in an audit.
 */
const ACTOR_NAMES: ReadonlySet<string> = new Set(['system', 'anonymous']);

// Deliberately loose: the only reliable check of an address is mail reaching it.
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface UserSpec {
  readonly name: string;
  readonly displayName: string;
  readonly email: string | null;
}

const USER_KEYS = ['name', 'displayName', 'email'] as const;

/** Checks one user name where it is referenced (queue members, owners, assignees). */
export function checkUserName(p: Problems, v: unknown, field: string): string | undefined {
  const name = str(p, v, field, { pattern: USER_NAME_PATTERN, patternHint: USER_NAME_HINT });
  if (name !== undefined && RESERVED_USER_NAMES.has(name)) return void p.add(field, `${JSON.stringify(name)} is reserved`);
  return name;
}

/**
 * Validates a POST /v1/users body; throws ValidationError naming every field at fault. `created`: a new
 * user, who may not take Callout's own actor names (one made before they were reserved keeps its name,
 * and may be changed and disabled).
 */
export function compileUser(body: unknown, opts: { created?: boolean } = {}): UserSpec {
  const p = new Problems();
  if (!isObject(body)) {
    p.add('', 'the body must be a JSON object');
    p.throwIfAny();
  }
  const v = body as Doc;
  unknownKeys(p, v, '', USER_KEYS);
  const name = checkUserName(p, v.name, 'name');
  if (opts.created && name !== undefined && ACTOR_NAMES.has(name))
    p.add('name', `${JSON.stringify(name)} is reserved: the timeline names Callout itself so`);
  const displayName = str(p, v.displayName, 'displayName', { required: false, max: 200 });
  if (displayName !== undefined && displayName.trim() === '') p.add('displayName', 'must not be empty');
  const email = str(p, v.email, 'email', { required: false, max: 254 });
  if (email !== undefined && !EMAIL_PATTERN.test(email)) p.add('email', 'must be an email address, e.g. alice@example.com');
  p.throwIfAny();
  return Object.freeze({ name: name!, displayName: displayName?.trim() || name!, email: email ?? null });
}

/** Checks a list of roles (API keys): non-empty, known words, no repeats. */
export function checkRoles(p: Problems, v: unknown, field: string): Role[] | undefined {
  if (!Array.isArray(v) || v.length === 0) return void p.add(field, `must be a non-empty list of ${ROLE_LIST.join(', ')}`);
  const roles: Role[] = [];
  v.forEach((r: unknown, i: number) => {
    if (typeof r !== 'string' || !(ROLE_LIST as readonly string[]).includes(r))
      p.add(`${field}[${i}]`, `must be one of ${ROLE_LIST.join(', ')}`);
    else if (roles.includes(r as Role)) p.add(`${field}[${i}]`, `${r} is listed twice`);
    else roles.push(r as Role);
  });
  return roles.length === v.length ? roles : undefined;
}

/**
 * The user an API key acts as (api/user.ts userOf): its user, else its own name, unless that name
 * could be a user's: then `key:<name>`, which no user can be called. Also whose notifications it reads.
 */
export function actingUser(key: { name: string; user?: string | undefined }): string {
  if (key.user) return key.user;
  return USER_NAME_PATTERN.test(key.name) ? `key:${key.name}` : key.name;
}
