// Plain headers (a connector's defaults, an action type's templates) as a caller may read them:
// builders see what they configure as written; other roles (operators, an external system's
// integration key) see credential-named ones `[redacted]`, as the timeline shows them. Credentials
// belong in a connector's `auth`, which is write-only.

import type { FastifyRequest } from 'fastify';
import { withCredentialsRedacted } from '../connectors/auth/redact.ts';

export function asReadBy<T extends { headers: Record<string, string> }>(req: FastifyRequest, view: T): T {
  const roles = req.principal?.roles ?? [];
  if (roles.includes('admin') || roles.includes('builder')) return view;
  const headers = withCredentialsRedacted(view.headers);
  return headers === view.headers ? view : { ...view, headers };
}
