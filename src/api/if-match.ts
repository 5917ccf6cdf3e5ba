// Optimistic concurrency on configuration (connectors, action types, processes, queues): a resource's
// answer carries `ETag: "<revision>"`; a PATCH sent with `If-Match: "<revision>"` changes it only if
// that is still the stored revision, else 412, so two builders editing one resource cannot silently
// overwrite each other. Without the header a PATCH applies to whatever is stored, as before.
//
// Webhook subscriptions and schedules are tagged by what the builder chose instead (settingsTag): their
// stored revision also moves when Callout keeps its own books (a failing streak, a disabled endpoint, a
// tick's next run), which would refuse a builder's change that undoes nobody's.

import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { ValidationError, type RevisionGuard, type SettingsGuard } from '../errors.ts';
import { stableJson } from '../ids.ts';

const TAG = /^"([1-9][0-9]{0,14})"$/;
/** A settings tag: 16 bytes of SHA-256 in base64url, quoted. */
const SETTINGS_TAG = /^"[A-Za-z0-9_-]{22}"$/;

/** The header's one strong tag, or undefined for `*`; refuses (422 naming If-Match) what is not one tag such as `example`. */
function oneStrongTag(header: string | string[], example: string): string | undefined {
  const refuse = (message: string): never => {
    throw new ValidationError([{ field: 'If-Match', message }]);
  };
  const value = typeof header === 'string' ? header.trim() : refuse('must be sent once');
  if (value === '*') return undefined;
  if (value.startsWith('W/')) return refuse(`must be a strong entity tag such as ${example} (the ETag a read answered), not a weak one`);
  return value;
}

/**
 * The guard an `If-Match` header asks for: `"3"` expects revision 3; `*` (or no header) expects none
 * beyond the resource existing, which the PATCH requires anyway. Several tags (`"3", "4"`) and weak
 * ones (`W/"3"`) are refused by name: If-Match compares strongly, and one revision is all a change can
 * have been made on.
 */
export function ifMatchGuard(header: string | string[] | undefined): RevisionGuard {
  if (header === undefined) return {};
  const value = oneStrongTag(header, '"3"');
  if (value === undefined) return {};
  const m = TAG.exec(value);
  if (!m)
    throw new ValidationError([
      { field: 'If-Match', message: 'must be one entity tag such as "3", with the quotes: the ETag a read of the resource answered, or *' },
    ]);
  return { ifRevision: Number(m[1]) };
}

/**
 * The entity tag of what a builder chose for a resource (webhooks: settingsOf; schedules: their
 * builder-editable fields), never of what Callout keeps about it: a short SHA-256 of their JSON with
 * every object's keys sorted (PostgreSQL's jsonb gives keys back in its own order), quoted as a strong
 * ETag. Equal settings, equal tag: it does not move with the revision when Callout records a failing
 * streak, disables an endpoint or advances a schedule's next run.
 */
export function settingsTag(settings: Record<string, unknown>): string {
  return `"${createHash('sha256').update(stableJson(settings)).digest().subarray(0, 16).toString('base64url')}"`;
}

/**
 * The guard an `If-Match` header asks for on a resource tagged by settingsTag: the tag a read
 * answered, compared (strongly) inside the write; `*` or no header expects nothing. A tag of another
 * form (a revision such as "3", several, weak) is refused by name.
 */
export function ifMatchSettings(header: string | string[] | undefined): SettingsGuard {
  if (header === undefined) return {};
  const value = oneStrongTag(header, '"q5J0Vf2aHkqJ3cRz9sNw1A"');
  if (value === undefined) return {};
  if (!SETTINGS_TAG.test(value))
    throw new ValidationError([
      {
        field: 'If-Match',
        message:
          'must be one entity tag such as "q5J0Vf2aHkqJ3cRz9sNw1A", with the quotes: the ETag (or etag field) a read of the resource answered, or *',
      },
    ]);
  return { ifTag: value };
}

/** Sends `thing`'s settings tag (its `etag` field) as its entity tag, for a later PATCH to send back in `If-Match`. */
export function withSettingsTag<T extends { etag: string }>(reply: FastifyReply, thing: T): T {
  void reply.header('etag', thing.etag);
  return thing;
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

/** The header of a PATCH on a resource tagged by its settings (documentation only: ifMatchSettings checks it, naming the field). */
export const IfMatchSettingsHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      description:
        "The ETag a read of this resource answered (its `etag` field, with the quotes): the change is made only if the builder's settings are still the ones read, else 412 and nothing changes. Callout's own bookkeeping (a failing streak, a disabled endpoint, a schedule's next run) does not change the tag. Without it, the change applies to whatever is stored.",
    }),
  ),
});
