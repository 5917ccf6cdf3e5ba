// The Idempotency-Key request header, as every route that takes one reads it.

import { Type } from '@sinclair/typebox';
import { ValidationError } from '../errors.ts';

/**
 * The beginnings of the keys Callout launches under itself: a schedule's tick, a process step, a bulk
 * launch's row, an integrated queue's submission (tickLaunchKey, stepLaunchKey, rowLaunchKey,
 * integrationLaunchKey). Keys are one namespace, so a client that sent `schedule:<id>@<tick>` first
 * would have that run refused, or answered with its own action; a step's key would let it stand in
 * for the action a process waits on. They are refused from outside.
 */
export const RESERVED_KEY_PREFIXES = ['schedule:', 'case:', 'bulk:', 'integration:'] as const;

/**
 * The key a request is stored under: the header's value within the caller's own namespace (the user its
 * API key acts as, or the key's name), undefined when absent; a 422 naming it when empty, over 200
 * characters, or in Callout's own namespace. (Node joins a header sent twice into one value, "a, b":
 * that is one key.) Scoped, one client cannot take another's key: a predictable key sent first would
 * otherwise answer the other client's launch with its own action, or refuse it with a 409.
 */
export function idempotencyKeyOf(header: string | string[] | undefined, scope: string): string | undefined {
  const key = checkedKey(header);
  // A newline is in no user or key name, nor in a header value: scopes cannot run into each other.
  return key === undefined ? undefined : `${scope}\n${key}`;
}

/** The header's value as sent (checked as idempotencyKeyOf checks it), for a key kept where its scope is already known. */
export function checkedKey(header: string | string[] | undefined, opts: { reserved?: boolean } = {}): string | undefined {
  if (header === undefined) return undefined;
  const refuse = (message: string): never => {
    throw new ValidationError([{ field: 'Idempotency-Key', message }]);
  };
  if (typeof header !== 'string' || header.length === 0 || header.length > 200) return refuse('must be 1–200 characters');
  // Only where Callout launches under keys of its own (a command's key is never one of them).
  const reserved = opts.reserved === false ? undefined : RESERVED_KEY_PREFIXES.find((p) => header.startsWith(p));
  if (reserved !== undefined)
    return refuse(
      `must not begin with "${reserved}": keys beginning ${RESERVED_KEY_PREFIXES.map((p) => `"${p}"`).join(', ')} are Callout's own`,
    );
  return header;
}

/** The header in a route's OpenAPI schema (documentation only: idempotencyKeyOf checks it, naming the field). */
export const IdempotencyKeyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      description:
        "Makes the request safe to repeat: the same key with the same body answers the first result and changes nothing again; with another body, 409. Keys are the caller's own: the same key from another user (or API key acting as its own name) is another key. 1–200 characters; keys beginning schedule:, case:, bulk: or integration: are Callout's own.",
    }),
  ),
});

/**
 * The header on a command that changes an existing resource (a retry, a decline): a repeat answers it
 * as it is now. `among`: the caller's own entries a key is recognised in, for its description.
 */
export const commandIdempotencyKeyHeaders = (among: string) =>
  Type.Object({
    'idempotency-key': Type.Optional(
      // Its length is checked by checkedKey (a 422 naming Idempotency-Key), as the launch's header's is.
      Type.String({
        description: `Makes the command safe to repeat (its answer lost, a double submit, several at once, on any node): the same key from the same caller with the same body answers the resource as it is now and does nothing again; with another body, 409. Kept hashed with the command's timeline entry (not shown); recognised among ${among}, however many entries others added since (a key older than those is a new request). 1–200 characters.`,
      }),
    ),
  });

export const CommandIdempotencyKeyHeaders = commandIdempotencyKeyHeaders("the caller's own latest 50 retries of the action");
