// Optimistic concurrency on configuration (connectors, action types, processes, queues): a resource's
// answer carries `ETag: "<revision>"`; a PATCH sent with `If-Match: "<revision>"` changes it only if
// that is still the stored revision, else 412, so two builders editing one resource cannot silently
// overwrite each other. Without the header a PATCH applies to whatever is stored, as before.

import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { ValidationError, type RevisionGuard } from '../errors.ts';

const TAG = /^"([1-9][0-9]{0,14})"$/;

/**
 * The guard an `If-Match` header asks for: `"3"` expects revision 3; `*` (or no header) expects none
 * beyond the resource existing, which the PATCH requires anyway. Several tags (`"3", "4"`) and weak
 * ones (`W/"3"`) are refused by name: If-Match compares strongly, and one revision is all a change can
 * have been made on.
 */
export function ifMatchGuard(header: string | string[] | undefined): RevisionGuard {
  if (header === undefined) return {};
  const refuse = (message: string): never => {
    throw new ValidationError([{ field: 'If-Match', message }]);
  };
  const value = typeof header === 'string' ? header.trim() : refuse('must be sent once');
  if (value === '*') return {};
  if (value.startsWith('W/')) return refuse('must be a strong entity tag such as "3" (the ETag a read answered), not a weak one');
  const m = TAG.exec(value);
  if (!m) return refuse('must be one entity tag such as "3", with the quotes: the ETag a read of the resource answered, or *');
  return { ifRevision: Number(m[1]) };
}

/** Sends `thing` with its revision as its entity tag, for a later PATCH to send back in `If-Match`. */
export function withETag<T extends { revision: number }>(reply: FastifyReply, thing: T): T {
  void reply.header('etag', `"${thing.revision}"`);
  return thing;
}

/** The header in a PATCH route's OpenAPI schema (documentation only: ifMatchGuard checks it, naming the field). */
export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      description:
        'The ETag a read of this resource answered (such as "3", with the quotes): the change is made only if the resource is still at that revision, else 412 and nothing changes. Without it, the change applies to whatever is stored.',
    }),
  ),
});
