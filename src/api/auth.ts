// Authentication, authorisation and rate limits, decided on the route that will run (never on the raw
// URL): every route needs a valid API key unless its config names it public, and roles come from the
// matched route's config. Registered before any route, so a route cannot escape it.

import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import rateLimit, { type CreateRateLimitOptions } from '@fastify/rate-limit';
import type { Callout } from '../callout.ts';
import { ROLES, type Principal, type Role } from '../api-keys/service.ts';
import { problem, sendProblem, type Problem } from './problem.ts';
import { scraperOnly } from './roles.ts';
import { presentedSessionKeyId, principalFromCookie } from '../ui/session.ts';
import { clientOf } from './connection-cap.ts';

/** The key a public UI-session request is counted against (limitBy 'session'). */
const SESSION_KEY_ID = Symbol('sessionKeyId');
type WithSessionKey = FastifyRequest & { [SESSION_KEY_ID]?: string };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles allowed on the route (admin always is); absent means any valid key. `public` needs no key. */
    roles?: readonly Role[] | 'public';
    /**
     * How a public route is rate limited: per `:token` (callbacks), per the key of the UI session it
     * presents (its address without one), or not at all (health, the UI's page and bundle). @default per client address
     */
    limitBy?: 'token' | 'session' | 'none';
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface ApiLimits {
  /** Requests a minute per API key (and node). @default 6000 */
  perKey?: number;
  /** Requests a minute per client address without a valid key: slows key guessing. @default 60 */
  perAddressWithoutKey?: number;
  /** Requests a minute per callback token: an external system answers an action a few times. @default 600 */
  perCallbackToken?: number;
}

export const DEFAULT_API_LIMITS: Required<ApiLimits> = { perKey: 6000, perAddressWithoutKey: 60, perCallbackToken: 600 };

/** One route as registered, for the routes test and anyone auditing what is public. */
export interface RouteEntry {
  method: string;
  url: string;
  roles: readonly Role[] | 'public' | undefined;
}

const routeTables = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every route of a server built by buildServer, HEAD and hidden ones included. */
export function routesOf(app: FastifyInstance): readonly RouteEntry[] {
  return routeTables.get(app) ?? [];
}

const BEARER = /^bearer[ \t]+([\x21-\x7e]{1,200})[ \t]*$/i;

/**
 * Whether the key or session a request was admitted with still admits it (not revoked, not signed
 * out, its user not disabled): for answers that last, such as the live feed.
 */
export async function stillAdmitted(req: FastifyRequest, callout: Callout): Promise<boolean> {
  const id = req.principal?.id;
  if (id === undefined) return false;
  const header = req.headers.authorization;
  const key = header === undefined ? undefined : BEARER.exec(header)?.[1];
  const principal = key !== undefined ? await callout.apiKeys.authenticate(key) : await principalFromCookie(req, callout);
  return principal?.id === id;
}

export async function registerAuth(app: FastifyInstance, callout: Callout, limits: ApiLimits = {}): Promise<void> {
  const l = { ...DEFAULT_API_LIMITS, ...limits };
  app.decorateRequest('principal', null);

  const table: RouteEntry[] = [];
  routeTables.set(app, table);
  app.addHook('onRoute', (r: RouteOptions) => {
    const roles = r.config?.roles;
    // A typo in a route's roles must not quietly open it: refuse to start instead.
    if (roles !== undefined && roles !== 'public' && (roles.length === 0 || roles.some((x) => !ROLES.includes(x))))
      throw new Error(`route ${r.url}: roles must be "public" or a non-empty list of ${ROLES.join(', ')}`);
    for (const method of [r.method].flat()) table.push({ method, url: r.url, roles });
  });

  // Counters per node, in memory: a limit is a guard against floods, not a quota to share exactly.
  await app.register(rateLimit, { global: false });
  const window = 60_000;
  // `cache` (counters kept, least recently used dropped) reaches the store but is missing from the types.
  const limiter = (o: CreateRateLimitOptions & { cache: number }): ReturnType<typeof app.createRateLimit> =>
    app.createRateLimit({ timeWindow: window, ...o } as CreateRateLimitOptions);
  const perKey = limiter({ max: l.perKey, keyGenerator: (req) => req.principal!.id, cache: 10_000 });
  // An IPv6 client by its /64 (as the connection cap counts it): one host holds a whole /64 of addresses.
  const perAddress = limiter({ max: l.perAddressWithoutKey, keyGenerator: (req) => clientOf(req.ip), cache: 50_000 });
  // Signed in, the UI's own session calls (whoami, sign-out) count against an allowance of the key (as
  // large as its API allowance, kept apart from it), not the address's:
  // requests without a key from the same address (a proxy, an office's NAT) cannot lock it out of signing out.
  const perSession = limiter({ max: l.perKey, keyGenerator: (req) => (req as WithSessionKey)[SESSION_KEY_ID]!, cache: 10_000 });
  const perToken = limiter({
    max: l.perCallbackToken,
    keyGenerator: (req) => (req.params as { token?: string }).token ?? clientOf(req.ip),
    cache: 100_000,
  });
  /**
   * A callback token's allowance is its own when the engine made it (checked by its MAC, no look-up);
   * a forged one counts against its address, as a guessed key does (an allowance per guess would be no
   * limit, and would flood the counters). Signed routes without a token count per address at the
   * callback allowance: their handlers check the signature.
   */
  const tokenLimit = (req: FastifyRequest): typeof perToken => {
    const token = (req.params as { token?: string }).token;
    return token === undefined || callout.engine.actionIdOfToken(token) !== undefined ? perToken : perAddress;
  };

  /** Addresses (by clientOf) over their allowance for requests without a valid key, and until when. */
  const blockedUntil = new Map<string, number>();
  const addressBlocked = (req: FastifyRequest): boolean => {
    const client = clientOf(req.ip);
    const until = blockedUntil.get(client);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    blockedUntil.delete(client);
    return false;
  };

  /** Counts the request; answers 429 with Retry-After when over the limit. */
  const limited = async (req: FastifyRequest, reply: FastifyReply, check: typeof perKey): Promise<boolean> => {
    const r = await check(req);
    if (r.isAllowed || !r.isExceeded) return false;
    if (check === perAddress) {
      // Bounded as the counters are: the oldest entry goes first.
      if (blockedUntil.size >= 50_000) blockedUntil.delete(blockedUntil.keys().next().value!);
      blockedUntil.set(clientOf(req.ip), Date.now() + r.ttlInSeconds * 1000);
    }
    reply.header('retry-after', String(Math.max(1, r.ttlInSeconds)));
    reply.header('x-ratelimit-limit', String(r.max));
    reply.header('x-ratelimit-remaining', '0');
    sendProblem(reply, problem('RATE_LIMITED', `More than ${r.max} requests a minute; try again in ${r.ttlInSeconds} s`));
    return true;
  };

  const unauthorized = (reply: FastifyReply, p: Problem): FastifyReply => sendProblem(reply.header('www-authenticate', 'Bearer'), p);

  app.addHook('onRequest', async (req, reply) => {
    const config = req.routeOptions.config;
    const roles = config?.roles;
    if (roles === 'public') {
      if (config.limitBy === 'none') return;
      if (config.limitBy === 'session') {
        const keyId = await presentedSessionKeyId(req, callout);
        (req as WithSessionKey)[SESSION_KEY_ID] = keyId;
        await limited(req, reply, keyId === undefined ? perAddress : perSession);
        return;
      }
      await limited(req, reply, config.limitBy === 'token' ? tokenLimit(req) : perAddress);
      return;
    }
    const header = req.headers.authorization;
    if (header === undefined) {
      // The web UI's session cookie stands in for the key (checked against the store, CSRF on changes).
      // A cookie refused outright (two of them) is counted against the address like any request without a key.
      const session = await principalFromCookie(req, callout).catch(async (err: unknown) => {
        if (await limited(req, reply, perAddress)) return null;
        throw err;
      });
      if (session === null) return reply;
      if (session) return admit(req, reply, session, roles);
      if (await limited(req, reply, perAddress)) return;
      return unauthorized(reply, problem('UNAUTHORIZED', 'Send an API key as Authorization: Bearer <key>'));
    }
    const key = BEARER.exec(header)?.[1];
    if (key === undefined) {
      if (await limited(req, reply, perAddress)) return;
      return unauthorized(
        reply,
        problem('UNAUTHORIZED', 'The Authorization header must be "Bearer <key>"', [
          { field: 'Authorization', message: 'must be the word Bearer, a space and an API key' },
        ]),
      );
    }
    // An address already over its allowance for guesses is refused without a look-up of a key that
    // is not live: a flood of made-up keys would otherwise cost the store a read each.
    if (addressBlocked(req) && !(await callout.apiKeys.mayBeKey(key))) {
      await limited(req, reply, perAddress);
      return;
    }
    const principal = await callout.apiKeys.authenticate(key);
    if (!principal) {
      if (await limited(req, reply, perAddress)) return;
      return unauthorized(reply, problem('UNAUTHORIZED', 'The API key is not valid (unknown, revoked, or its user is disabled)'));
    }
    return admit(req, reply, principal, roles);
  });

  /** An authenticated request: counted against its key's limit, then its roles checked against the route's. */
  async function admit(
    req: FastifyRequest,
    reply: FastifyReply,
    principal: Principal,
    roles: readonly Role[] | undefined,
  ): Promise<FastifyReply | undefined> {
    req.principal = principal;
    if (await limited(req, reply, perKey)) return reply;
    if (!roles && scraperOnly(principal.roles))
      return sendProblem(reply, problem('FORBIDDEN', 'This key has only the metrics role: it may read GET /metrics and nothing else'));
    if (roles && !principal.roles.includes('admin') && !roles.some((r) => principal.roles.includes(r)))
      return sendProblem(
        reply,
        problem('FORBIDDEN', `This needs one of the roles ${roles.join(', ')}; the key has ${principal.roles.join(', ')}`),
      );
    return undefined;
  }
}
