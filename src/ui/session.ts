// The web UI's session: an API key exchanged once for a cookie holding a random session id, its
// expiry and a MAC with the Callout's secret key. The session lives in the store (the id's hash, the
// key's hash, the expiry) and is checked there with its key on every request, so signing out or
// revoking the key ends it at once on every node, copies of the cookie included. The MAC turns away
// made-up cookies before the store is asked. Unsafe methods with the cookie also need the CSRF header.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Callout } from '../callout.ts';
import { principalOf, type Principal } from '../api-keys/service.ts';
import { CalloutError } from '../errors.ts';
import { actingUser } from '../users/user.ts';
import { PEOPLE } from '../api/roles.ts';
import { randomToken, sha256 } from '../ids.ts';
import type { ApiKeyRow } from '../store/types.ts';

export const SESSION_COOKIE = 'callout_session';
/**
 * The cookie's name when Callout is reached over https. A browser keeps a `__Host-` cookie only when it
 * is Secure, for Path=/ and without a Domain: another port or a sibling host cannot plant one beside it.
 */
export const SECURE_SESSION_COOKIE = '__Host-callout_session';
/** The header the UI sends on unsafe methods; its value is `csrfToken(cookie)`. */
export const CSRF_HEADER = 'x-callout-csrf';
/** A working day: the key itself is the long-lived credential. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/**
 * Open sessions one key may hold; signing in once more ends its oldest. Without a bound, anyone with
 * any valid key could fill the store with sessions by signing in in a loop.
 */
export const MAX_SESSIONS_PER_KEY = 50;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The cookie value of a session: `<sessionId>.<expiresAt>.<mac>`; the store holds only the id's hash. */
export function sessionValue(callout: Callout, sessionId: string, expiresAt: number): string {
  return `${sessionId}.${expiresAt}.${callout.box.mac(`session|${sessionId}|${expiresAt}`)}`;
}

const COOKIE_FORM = /^([A-Za-z0-9_-]{43})\.(\d{13})\.([A-Za-z0-9_-]{32})$/;

/** The session id of an authentic, unexpired cookie (not yet checked against the store). */
function sessionIdOf(callout: Callout, cookie: string): string | undefined {
  const m = COOKIE_FORM.exec(cookie);
  if (!m) return undefined;
  const [, id, exp, mac] = m as unknown as [string, string, string, string];
  if (!callout.box.macMatches(`session|${id}|${exp}`, mac)) return undefined;
  if (Number(exp) <= callout.clock.now()) return undefined;
  return id;
}

/** Bound to one session: a cross-site page can neither read it nor guess it. */
export function csrfToken(callout: Callout, cookie: string): string {
  return callout.box.mac(`csrf|${cookie}`);
}

/** Every value the request's Cookie header gives `name`, in order. */
export function cookieValues(req: FastifyRequest, name: string): string[] {
  const header = req.headers.cookie;
  if (!header) return [];
  const out: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) out.push(part.slice(eq + 1).trim());
  }
  return out;
}

const isSecure = (req: FastifyRequest, callout: Callout): boolean => req.protocol === 'https' || callout.publicUrl.startsWith('https:');
const cookieName = (req: FastifyRequest, callout: Callout): string => (isSecure(req, callout) ? SECURE_SESSION_COOKIE : SESSION_COOKIE);

/**
 * The session cookie of the request, or undefined without one. Two of them mean a page of another port
 * or host on this domain planted one beside Callout's (browsers send both, the longer path first):
 * neither is trusted, or the page would run as the planted session while showing the victim's name.
 */
function sessionCookie(req: FastifyRequest, callout: Callout): string | undefined {
  const values = cookieValues(req, cookieName(req, callout));
  if (values.length > 1)
    throw new CalloutError(
      'UNAUTHORIZED',
      "More than one Callout session cookie came with this request (another page of this host set one): clear this site's cookies and sign in again",
    );
  return values[0];
}

/** The key's row when the cookie is authentic, unexpired and its key still valid; else undefined. */
async function sessionKey(callout: Callout, cookie: string): Promise<ApiKeyRow | undefined> {
  const id = sessionIdOf(callout, cookie);
  if (id === undefined) return undefined;
  // Signed out (on any node) or never opened here: the row is gone.
  const session = await callout.store.findUiSession(sha256(id));
  if (!session || session.expiresAt <= callout.clock.now()) return undefined;
  const row = await callout.store.findApiKey(session.keyHash);
  // A revoked key ends its sessions at once, on every node.
  if (!row || !(await callout.apiKeys.usable(row)) || !forPeople(row.roles)) return undefined;
  return row;
}

/**
 * The id of the key whose valid session the request presents, without the CSRF check (for counting a
 * request against its key's allowance rather than its address's); undefined without one valid cookie.
 */
export async function presentedSessionKeyId(req: FastifyRequest, callout: Callout): Promise<string | undefined> {
  const values = cookieValues(req, cookieName(req, callout));
  if (values.length !== 1) return undefined;
  return (await sessionKey(callout, values[0]!))?.id;
}

/** The UI is for people; an external system's key has the API, and would meet a page of refusals. */
function forPeople(roles: readonly string[]): boolean {
  return roles.some((r) => r === 'admin' || (PEOPLE as readonly string[]).includes(r));
}

/**
 * The principal of a request signed in through the UI, or undefined without a valid session.
 * Throws FORBIDDEN when an unsafe method comes with the cookie but without the CSRF header.
 * User credentials will come with users: a second cookie kind decoded here, same contract.
 */
export async function principalFromCookie(req: FastifyRequest, callout: Callout): Promise<Principal | undefined> {
  const cookie = sessionCookie(req, callout);
  if (!cookie) return undefined;
  const row = await sessionKey(callout, cookie);
  if (!row) return undefined;
  if (!SAFE_METHODS.has(req.method) && req.headers[CSRF_HEADER] !== csrfToken(callout, cookie))
    throw new CalloutError('FORBIDDEN', `A change made with the session cookie needs the ${CSRF_HEADER} header of that session`);
  return principalOf(row);
}

function setCookie(reply: FastifyReply, req: FastifyRequest, callout: Callout, value: string, maxAgeS: number): void {
  const secure = isSecure(req, callout);
  reply.header(
    'set-cookie',
    `${cookieName(req, callout)}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`,
  );
}

/** Signs in with an API key: sets the cookie and returns who is signed in, or undefined for a bad key. */
export async function signIn(req: FastifyRequest, reply: FastifyReply, callout: Callout, key: string): Promise<SessionView | undefined> {
  const principal = await callout.apiKeys.authenticate(key);
  if (!principal) return undefined;
  if (!forPeople(principal.roles))
    throw new CalloutError(
      'FORBIDDEN',
      `This key has only the ${principal.roles.join(' and ')} role${principal.roles.length > 1 ? 's' : ''}; the web UI needs an operator, builder or admin key`,
    );
  // Signing in again replaces the session this browser had: a copy of its cookie is refused too.
  await endPresentedSession(req, callout);
  const now = callout.clock.now();
  const exp = now + SESSION_TTL_MS;
  const id = randomToken(32);
  await callout.store.insertUiSession({ id: sha256(id), keyHash: sha256(key), expiresAt: exp }, now, MAX_SESSIONS_PER_KEY);
  const value = sessionValue(callout, id, exp);
  setCookie(reply, req, callout, value, SESSION_TTL_MS / 1000);
  return sessionView(callout, principal, csrfToken(callout, value), exp);
}

/** The session of this request (for the page to learn its roles and CSRF token), or undefined. */
export async function currentSession(req: FastifyRequest, callout: Callout): Promise<SessionView | undefined> {
  const cookie = sessionCookie(req, callout);
  if (!cookie) return undefined;
  const row = await sessionKey(callout, cookie);
  if (!row) return undefined;
  return sessionView(callout, principalOf(row), csrfToken(callout, cookie), Number(cookie.split('.')[1]));
}

/** What the page shows: a key that acts as a user shows that user's display name, not the key's. */
export interface SessionView extends Principal {
  /** The name the key's work is done in (a task's assignee when it picks the task up). */
  actsAs: string;
  csrf: string;
  expiresAt: string;
  displayName: string;
}

async function sessionView(callout: Callout, principal: Principal, csrf: string, expiresAt: number): Promise<SessionView> {
  let displayName = principal.name;
  if (principal.user !== undefined)
    displayName = (await callout.users.get(principal.user).catch(() => undefined))?.displayName ?? principal.user;
  return { ...principal, actsAs: actingUser(principal), csrf, expiresAt: new Date(expiresAt).toISOString(), displayName };
}

/** Ends the session in the store, so a copy of the cookie is refused too, and clears the cookie. */
export async function signOut(req: FastifyRequest, reply: FastifyReply, callout: Callout): Promise<void> {
  await endPresentedSession(req, callout);
  setCookie(reply, req, callout, '', 0);
  // A cookie planted beside ours at the UI's or the API's path (see sessionCookie) goes too; a browser
  // keeps one per path, and these are the paths the page's requests use.
  if (!isSecure(req, callout)) {
    const cleared = ['/ui', '/v1'].map((path) => `${SESSION_COOKIE}=; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=0`);
    reply.header('set-cookie', cleared); // Fastify adds Set-Cookie headers to those already set
  }
}

/** Deletes the sessions of the request's cookies (a planted one's too), those that are authentic and unexpired. */
async function endPresentedSession(req: FastifyRequest, callout: Callout): Promise<void> {
  for (const cookie of cookieValues(req, cookieName(req, callout))) {
    const id = sessionIdOf(callout, cookie);
    if (id !== undefined) await callout.store.deleteUiSession(sha256(id));
  }
}
