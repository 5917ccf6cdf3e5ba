// Who a request acts as; its own module so route files need not import server.ts (which imports them).

import type { FastifyRequest } from 'fastify';
import { actingUser } from '../users/user.ts';

/**
 * The user a request acts as: the key's user when it has one. A key made without a user acts under
 * its own name, unless that name could be a user's (lower-case, e.g. "alice"): it then acts as
 * `key:<name>`, which no user can be called, so a key named after a person never reads their
 * notifications or picks up work as them. (`CALLOUT_ADMIN_KEY` acts under its name, as always.)
 */
export function userOf(req: FastifyRequest): string {
  return req.principal ? actingUser(req.principal) : 'anonymous';
}

/** Who reads, for a resource its owner and admins see (saved views, bulk replay runs). */
export function readerOf(req: FastifyRequest): { user: string; admin: boolean } {
  return { user: userOf(req), admin: req.principal?.roles.includes('admin') === true };
}
