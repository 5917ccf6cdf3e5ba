// API keys: created, listed and revoked by an admin; authenticate() turns a bearer key into a
// principal; ensureAdminKey() makes the first admin key (from CALLOUT_ADMIN_KEY or generated).

import type { ApiKeyRow, Store } from '../store/types.ts';
import { isoTime as iso, type Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { CalloutError, NotFoundError, Problems } from '../errors.ts';
import { randomToken, sha256, uuidv7 } from '../ids.ts';
import { isObject } from '../validation/check.ts';
import { ROLE_LIST as ROLES, USER_NAME_HINT, USER_NAME_PATTERN, type Role } from '../users/user.ts';
import type { ApiKeyView } from './schemas.ts';
import { type PageQuery, checkCursor, pageOf, pageLimit } from '../pages.ts';

export { ROLE_LIST as ROLES, type Role } from '../users/user.ts';

/** The name of the key made from CALLOUT_ADMIN_KEY (kept from the API, so a rotation can always insert it). */
export const ENV_ADMIN_KEY_NAME = 'CALLOUT_ADMIN_KEY';

/** Who a request acts as: an API key that is not revoked. */
export interface Principal {
  id: string;
  name: string;
  roles: Role[];
  /** The user the key acts as (actor, assignee, notifications, "me"); absent: the key's own name (api/user.ts). */
  user?: string;
}

export interface ApiKeyServiceDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
}

export class ApiKeyService {
  /** When this node last wrote each key's lastUsedAt: the write stays off the per-request path. */
  private readonly keyTouchedAt = new Map<string, number>();
  /** Hashes of the keys not revoked, read at most once a second, for {@link mayBeKey}. */
  private live: { hashes: Set<string>; at: number } | undefined;
  private liveLoad: Promise<Set<string>> | undefined;

  constructor(private readonly d: ApiKeyServiceDeps) {}

  /**
   * False when the key is certainly not a live one, without a look-up of its own: the hashes of live
   * keys are read at most once a second (one read however many ask). For requests from an address
   * already over its allowance for guesses, so a flood of made-up keys costs the store one read a
   * second rather than one each. A key made on another node in the last second may read as unknown.
   */
  async mayBeKey(key: string): Promise<boolean> {
    const hash = sha256(key);
    if (this.live?.hashes.has(hash)) return true;
    if (this.live !== undefined && this.d.clock.now() - this.live.at < 1_000) return false;
    this.liveLoad ??= this.d.store
      .listApiKeys()
      .then((rows) => {
        const hashes = new Set(rows.filter((r) => r.revokedAt === undefined).map((r) => r.keyHash));
        this.live = { hashes, at: this.d.clock.now() };
        return hashes;
      })
      .finally(() => (this.liveLoad = undefined));
    return (await this.liveLoad).has(hash);
  }

  /**
   * A new key, shown once. The HTTP schema already refuses wrong types and unknown fields; these
   * checks stay because library callers (the demo, embedding programs) reach here without it.
   */
  async create(body: unknown): Promise<ApiKeyView & { key: string }> {
    const p = new Problems();
    const b = isObject(body) ? body : (p.add('', 'the body must be a JSON object'), {});
    for (const k of Object.keys(b)) if (!['name', 'roles', 'user'].includes(k)) p.add(k, 'is not an API key field');
    if (typeof b.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9 _.@-]{0,99}$/.test(b.name))
      p.add('name', 'is required: 1–100 letters, digits, spaces, "_", ".", "@" or "-"');
    else if (b.name === ENV_ADMIN_KEY_NAME) p.add('name', `is kept for the key made from ${ENV_ADMIN_KEY_NAME}`);
    const roles = b.roles ?? ['operator'];
    if (!Array.isArray(roles) || roles.length === 0 || roles.some((r) => !(ROLES as readonly string[]).includes(r)))
      p.add('roles', `must be a non-empty list of ${ROLES.join(', ')}`);
    const user = b.user ?? null;
    if (user !== null && (typeof user !== 'string' || !USER_NAME_PATTERN.test(user))) p.add('user', USER_NAME_HINT);
    else if (user !== null && !(await this.d.store.getUser(user))) p.add('user', `no user ${JSON.stringify(user)} exists`);
    p.throwIfAny();
    const key = `co_${randomToken(24)}`;
    const now = this.d.clock.now();
    const row: ApiKeyRow = {
      id: uuidv7(now),
      name: b.name as string,
      keyHash: sha256(key),
      roles: [...new Set(roles as string[])],
      createdAt: now,
      ...(user !== null ? { user: user as string } : {}),
    };
    await this.d.store.insertApiKey(row);
    this.live = undefined;
    return { ...apiKeyView(row), key };
  }

  /** Every API key, revoked ones too; never the key or its hash. */
  async list(): Promise<ApiKeyView[]> {
    return (await this.d.store.listApiKeys()).map(apiKeyView);
  }

  /** A page of keys, revoked ones too, newest first; `next` is the `before` of the following page (null at the end). */
  async page(q: PageQuery = {}): Promise<{ items: ApiKeyView[]; next: string | null }> {
    checkCursor(q.before);
    const page = { ...(q.before !== undefined ? { before: q.before } : {}), limit: pageLimit(q.limit) };
    const { rows, more } = await this.d.store.listApiKeysPage(page);
    return pageOf(rows, more, apiKeyView, (k) => k.id);
  }

  /** Revokes a key: from the next request on, every node refuses it (each request reads the store). */
  async revoke(id: string): Promise<ApiKeyView> {
    const row = await this.d.store.revokeApiKey(id, this.d.clock.now());
    if (!row) throw new NotFoundError('API key', id);
    return apiKeyView(row);
  }

  /**
   * The key's principal, or undefined for an unknown or revoked key, or one whose user is disabled or gone. Reads the store every time, so a
   * revocation on any node holds at once; the last use is written at most once a minute per key and node.
   */
  async authenticate(key: string): Promise<Principal | undefined> {
    const row = await this.d.store.findApiKey(sha256(key));
    if (!row || !(await this.usable(row))) return undefined;
    const now = this.d.clock.now();
    if (now - (this.keyTouchedAt.get(row.id) ?? row.lastUsedAt ?? 0) >= 60_000) {
      this.keyTouchedAt.set(row.id, now);
      await this.d.store.touchApiKey(row.id, now);
    }
    return principalOf(row);
  }

  /** Not revoked, and its user (when it has one) exists and is not disabled: read per request, so both hold at once on every node. */
  async usable(row: ApiKeyRow): Promise<boolean> {
    if (row.revokedAt !== undefined) return false;
    if (row.user === undefined) return true;
    const u = await this.d.store.getUser(row.user);
    return u !== undefined && !u.disabled;
  }

  /**
   * Makes the key of CALLOUT_ADMIN_KEY, revoking the one made from an earlier value; without it,
   * generates an admin key on the first start and returns it (once).
   */
  async ensureAdminKey(adminKey: string | undefined): Promise<string | undefined> {
    const { store, logger } = this.d;
    const now = this.d.clock.now();
    if (adminKey) {
      const hash = sha256(adminKey);
      const current = await store.findApiKey(hash);
      // A revoked key never comes back (a leaked value must stay dead); a new value makes a new key.
      // Nor does it revoke the newer one: a node restarted with a stale value during a rotation would
      // otherwise lock every admin out of every node.
      if (current?.revokedAt !== undefined) {
        logger.warn(
          'CALLOUT_ADMIN_KEY is a revoked key (rotated away, or revoked through the API): this node changes no admin key; set the current value',
        );
        return undefined;
      }
      // A value already kept revokes only what is older than it: a node starting with the old value
      // while another rotates to the new one (both read before either wrote) must not revoke the new key.
      const newer = (k: ApiKeyRow): boolean =>
        current !== undefined && (k.createdAt > current.createdAt || (k.createdAt === current.createdAt && k.id > current.id));
      const keys = await store.listApiKeys();
      // Revoked since it was read: another node rotated meanwhile, and its key is the one to keep
      // (decided without comparing the two nodes' clocks).
      if (keys.some((k) => k.keyHash === hash && k.revokedAt !== undefined)) {
        logger.warn('CALLOUT_ADMIN_KEY was rotated away while this node started: this node changes no admin key; set the current value');
        return undefined;
      }
      for (const k of keys)
        if (k.origin === 'env' && k.keyHash !== hash && k.revokedAt === undefined) {
          if (newer(k)) {
            logger.warn(
              { apiKey: k.id },
              'CALLOUT_ADMIN_KEY is older than the admin key in use (made from a newer value): this node revokes neither; set the current value',
            );
            continue;
          }
          await store.revokeApiKey(k.id, now);
          logger.info({ apiKey: k.id }, 'CALLOUT_ADMIN_KEY changed: revoked the key made from its earlier value');
        }
      if (current) return undefined;
      const row: ApiKeyRow = { id: uuidv7(now), name: ENV_ADMIN_KEY_NAME, keyHash: hash, roles: ['admin'], createdAt: now, origin: 'env' };
      try {
        await store.insertApiKey(row);
      } catch (err) {
        // Nodes starting together with the new value: one inserts it, the others find it.
        if (!(err instanceof CalloutError && err.code === 'CONFLICT' && (await store.findApiKey(hash)))) throw err;
      }
      return undefined;
    }
    const candidate = `co_${randomToken(24)}`;
    const stored = await store.ensureSetting('generated_admin_key_hash', sha256(candidate));
    if (stored !== sha256(candidate)) return undefined; // generated and printed on an earlier start
    await store.insertApiKey({ id: uuidv7(now), name: 'admin', keyHash: stored, roles: ['admin'], createdAt: now, origin: 'generated' });
    return candidate;
  }
}

export function principalOf(row: ApiKeyRow): Principal {
  return { id: row.id, name: row.name, roles: row.roles as Role[], ...(row.user !== undefined ? { user: row.user } : {}) };
}

function apiKeyView(k: ApiKeyRow): ApiKeyView {
  return {
    id: k.id,
    name: k.name,
    roles: k.roles as Role[],
    user: k.user ?? null,
    origin: k.origin === 'env' ? ENV_ADMIN_KEY_NAME : (k.origin ?? 'api'),
    createdAt: new Date(k.createdAt).toISOString(),
    lastUsedAt: iso(k.lastUsedAt),
    revokedAt: iso(k.revokedAt),
  };
}
