// Queues (SPEC 10.1, section 7): where work waits for people. Validation of a POST /v1/queues body
// into a frozen spec; members are user names, checked by the given resolver when there is one.

import { type Doc, NAME_HINT, NAME_PATTERN, isObject, obj, str, unknownKeys } from '../validation/check.ts';
import { Problems, ValidationError } from '../errors.ts';
import { compileIntegration, type QueueIntegration } from '../integrated-queues/integration.ts';
import { checkUserName } from '../users/user.ts';
import { ALLOCATIONS, type Allocation } from './allocate.ts';

export const MAX_MEMBERS = 1000;
const ALLOCATION_LIST = Object.values(ALLOCATIONS);
export type { QueueIntegration };

export interface QueueSpec {
  readonly name: string;
  readonly description: string | null;
  readonly members: readonly string[];
  /** @default 'none' */
  readonly allocation: Allocation;
  readonly integration: QueueIntegration | null;
}

export interface QueueRefs {
  userExists?: (name: string) => boolean;
  /**
   * The id of the connector or action type an integration names (by id or name), undefined when none
   * exists; without it references are taken as given (unchecked).
   */
  configId?: (kind: 'connector' | 'actionType', ref: string) => string | undefined;
}

/**
 * Validates a POST /v1/queues body; throws ValidationError naming every field at fault. `storedName`:
 * the queue's own name when it is stored already, taken as it is (one kept from before a rule on names).
 */
export function compileQueue(body: unknown, refs: QueueRefs = {}, storedName?: string): QueueSpec {
  const p = new Problems();
  if (!isObject(body)) {
    p.add('', 'the body must be a JSON object');
    p.throwIfAny();
  }
  const v = body as Doc;
  unknownKeys(p, v, '', ['name', 'description', 'members', 'allocation', 'integration']);
  // "hr " beside "hr" would be a second queue nobody could tell apart (NAME_PATTERN allows a trailing space).
  const name =
    typeof v.name === 'string' && v.name !== storedName && v.name.trim() !== '' && v.name !== v.name.trim()
      ? void p.add('name', 'must not start or end with a space')
      : str(p, v.name, 'name', { pattern: NAME_PATTERN, patternHint: NAME_HINT });
  const description = str(p, v.description, 'description', { required: false, notBlank: true, max: 2000 }) ?? null;

  const members: string[] = [];
  if (v.members !== undefined) {
    if (!Array.isArray(v.members)) p.add('members', 'must be a list of user names');
    else if (v.members.length > MAX_MEMBERS) p.add('members', `must list at most ${MAX_MEMBERS} users`);
    else
      v.members.forEach((m: unknown, i: number) => {
        const user = checkUserName(p, m, `members[${i}]`);
        if (user === undefined) return;
        if (members.includes(user)) p.add(`members[${i}]`, `${user} is listed twice`);
        else if (refs.userExists !== undefined && !refs.userExists(user)) p.add(`members[${i}]`, `no user ${JSON.stringify(user)} exists`);
        else members.push(user);
      });
  }

  const allocation = v.allocation ?? 'none';
  if (!(ALLOCATION_LIST as readonly unknown[]).includes(allocation)) p.add('allocation', `must be one of ${ALLOCATION_LIST.join(', ')}`);

  let integration: QueueIntegration | null = null;
  const i = obj(p, v.integration, 'integration', false);
  if (i !== undefined) {
    try {
      integration = compileIntegration(i, refs.configId ?? ((_kind, ref) => ref));
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      for (const f of e.errors ?? []) p.add(f.field, f.message);
    }
  }
  p.throwIfAny();
  return Object.freeze({
    name: name ?? '',
    description,
    members: Object.freeze(members),
    allocation: allocation as Allocation,
    integration,
  });
}
