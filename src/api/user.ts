// Who a request acts as; its own module so route files need not import server.ts (which imports them).

import type { FastifyRequest } from 'fastify';
import type { Principal } from '../api-keys/service.ts';
import { USER_NAME_PATTERN } from '../users/user.ts';

/**
 * The user a request acts as: the key's user when it has one. A key made without a user acts under
 * its own name, unless that name could be a user's (lower-case, e.g. "alice"): it then acts as
 * `key:<name>`, which no user can be called, so a key named after a person never reads their
 * notifications or picks up work as them. (`CALLOUT_ADMIN_KEY` acts under its name, as always.)
 */
export function userOf(req: FastifyRequest): string {
  return req.principal ? actingUser(req.principal) : 'anonymous';
}

/** The user a key acts as (see userOf); also what the UI compares a task's assignee with. */
export function actingUser(p: Pick<Principal, 'name' | 'user'>): string {
  if (p.user) return p.user;
  return USER_NAME_PATTERN.test(p.name) ? `key:${p.name}` : p.name;
}
