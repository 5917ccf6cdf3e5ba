// Users (SPEC 10.1): created and changed by an admin, read by every role (to assign work to them).
// A disabled user keeps their name on past work; their keys are refused, queues give them no new tasks
// and their open tasks go back to their queues.

import type { Store, UserRow } from '../store/types.ts';
import type { Clock } from '../clock.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { compileUser } from './user.ts';
import type { UserView } from './schemas.ts';
import type { TaskService } from '../tasks/service.ts';
import { type PageQuery, checkNameCursor, pageOf, pageLimit } from '../pages.ts';
import { USER_NAME_PATTERN } from './user.ts';

export interface UserPatch {
  displayName?: string;
  email?: string | null;
  disabled?: boolean;
}

export class UserService {
  /** `tasks`: moves a disabled user's open tasks back to their queues. */
  constructor(private readonly d: { store: Store; clock: Clock; tasks?: Pick<TaskService, 'release'> }) {}

  async create(body: unknown): Promise<UserView> {
    const row = this.newRow(body);
    await this.d.store.insertUser(row);
    return userView(row);
  }

  /** A new user's row, not stored yet (an import stores several at once). */
  newRow(body: unknown, disabled = false): UserRow {
    const now = this.d.clock.now();
    return { ...compileUser(body, { created: true }), disabled, createdAt: now, updatedAt: now };
  }

  /** Every user, by name (the library's; the API pages them). */
  async list(): Promise<UserView[]> {
    return (await this.d.store.listUsers()).map(userView);
  }

  /** A page of users by name; `next` is the `before` of the following page (the last name; null at the end). */
  async page(q: PageQuery = {}): Promise<{ items: UserView[]; next: string | null }> {
    checkNameCursor(q.before, (n) => USER_NAME_PATTERN.test(n));
    const { rows, more } = await this.d.store.listUsersPage({
      ...(q.before !== undefined ? { after: q.before } : {}),
      limit: pageLimit(q.limit),
    });
    return pageOf(rows, more, userView, (u) => u.name);
  }

  async get(name: string): Promise<UserView> {
    return userView(await this.row(name));
  }

  /**
   * A user disabled (`by` is who did it) gives back their open tasks, To Do and In Progress, to their
   * queues: they can no longer sign in to finish them. Disabling again gives back what is still theirs.
   */
  async update(name: string, patch: UserPatch, by = 'system'): Promise<UserView> {
    const row = this.changedRow(await this.row(name), patch);
    if (!(await this.d.store.updateUser(row))) throw new NotFoundError('User', name);
    if (patch.disabled === true) await this.disabled(name, by);
    return userView(row);
  }

  /** A user disabled by a change stored elsewhere (an imported file): their open tasks go back as update's do. */
  async stored(before: UserRow | undefined, after: UserRow, by: string): Promise<void> {
    if (after.disabled && before?.disabled !== true) await this.disabled(after.name, by);
  }

  private async disabled(name: string, by: string): Promise<void> {
    // Tasks on integrated queues too: given back to the queue's people, nothing sent to the provider.
    await this.d.tasks?.release(name, by, { inProgress: true, integrated: true, because: `${name} was disabled` });
  }

  /** `cur` with `patch` applied, checked as a new user is; not stored yet. */
  changedRow(cur: UserRow, patch: UserPatch): UserRow {
    if (patch.disabled !== undefined && typeof patch.disabled !== 'boolean')
      throw new ValidationError([{ field: 'disabled', message: 'must be true or false' }]);
    // The same checks as a new user, on the result: a blank display name or a bad address is named.
    const email = patch.email === undefined ? cur.email : patch.email;
    const spec = compileUser({
      name: cur.name,
      displayName: patch.displayName ?? cur.displayName,
      ...(email !== null ? { email } : {}),
    });
    return { ...cur, ...spec, disabled: patch.disabled ?? cur.disabled, updatedAt: this.d.clock.now() };
  }

  /** The user, or undefined: for checks by other services (assignees, queue members). */
  async find(name: string): Promise<UserRow | undefined> {
    return this.d.store.getUser(name);
  }

  private async row(name: string): Promise<UserRow> {
    const u = await this.d.store.getUser(name);
    if (!u) throw new NotFoundError('User', name);
    return u;
  }
}

export function userView(u: UserRow): UserView {
  return {
    name: u.name,
    displayName: u.displayName,
    email: u.email,
    disabled: u.disabled,
    createdAt: new Date(u.createdAt).toISOString(),
    updatedAt: new Date(u.updatedAt).toISOString(),
  };
}
