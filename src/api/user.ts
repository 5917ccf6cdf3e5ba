// Who a request acts as; its own module so route files need not import server.ts (which imports them).

import type { FastifyRequest } from 'fastify';

/** The user a request acts as: the key's user when it has one, else the API key's name. */
export function userOf(req: FastifyRequest): string {
  return req.principal?.user ?? req.principal?.name ?? 'anonymous';
}
