// Who may own a case: someone who reads its escalations, which arrive as notifications of the name they
// act as (GET /v1/notifications). A user who is not disabled, or an API key that acts as its own name
// (`actingUser`: `key:ci-bot` for a key named like a person, `CALLOUT_ADMIN_KEY` as it is) with a role
// that reads notifications. Any other owner would receive nothing.

import type { ApiKeyRow, UserRow } from '../store/types.ts';
import { actingUser } from '../users/user.ts';

/** Where the rule looks: the store, or (an import) the users as the file leaves them. */
export interface OwnerLookup {
  user(name: string): Promise<Pick<UserRow, 'disabled'> | undefined>;
  keys(): Promise<readonly ApiKeyRow[]>;
}

const READS_NOTIFICATIONS = new Set(['admin', 'builder', 'operator']);

/** What is wrong with `owner` as a case's owner, or undefined when they would see its escalations. */
export async function ownerProblem(owner: string, look: OwnerLookup): Promise<string | undefined> {
  const user = await look.user(owner);
  if (user) return user.disabled ? `${JSON.stringify(owner)} is a disabled user, who would not see the case's escalations` : undefined;
  const keys = (await look.keys()).filter((k) => k.revokedAt === undefined && k.user === undefined);
  const reader = keys.find((k) => actingUser(k) === owner);
  if (reader)
    return reader.roles.some((r) => READS_NOTIFICATIONS.has(r))
      ? undefined
      : `the API key ${JSON.stringify(reader.name)} (${reader.roles.join(', ')}) cannot read notifications, so it would not see the case's escalations`;
  const named = keys.find((k) => k.name === owner);
  if (named)
    return `the API key ${JSON.stringify(owner)} reads its notifications as ${JSON.stringify(actingUser(named))}: name that as the owner`;
  return `no user (or API key acting as its own name) is named ${JSON.stringify(owner)}; the case's escalations would reach nobody`;
}

/** The store as it is at each look. */
export function storedOwners(store: {
  getUser(name: string): Promise<UserRow | undefined>;
  listApiKeys(): Promise<ApiKeyRow[]>;
}): OwnerLookup {
  return { user: (name) => store.getUser(name), keys: () => store.listApiKeys() };
}
