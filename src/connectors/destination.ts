// Where outbound calls may go: only under the connector's base URL, and never to loopback or
// private addresses unless the deployment allows it. Checked at save (base URL, token URL), at
// connect time for names and literals, and on the connected socket (see guarded-connect.ts), so
// neither a DNS name nor an unusual address spelling can smuggle a call inside.

import { isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { isDotSegment } from '../templates/render.ts';

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

/** The embedded IPv4 address of an IPv6 form that carries one (mapped, SIIT, NAT64, 6to4, Teredo). */
function embeddedV4(a: IPv6, range: string): IPv4[] | undefined {
  const p = a.parts;
  const v4 = (hi: number, lo: number): IPv4 => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  switch (range) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
    case 'rfc6145': // ::ffff:0:a.b.c.d
      return [v4(p[6]!, p[7]!)];
    case 'rfc6052': // 64:ff9b::a.b.c.d; the local-use 64:ff9b:1::/48 is private by definition
      return p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0 ? [v4(p[6]!, p[7]!)] : undefined;
    case '6to4': // 2002:aabb:ccdd::/48
      return [v4(p[1]!, p[2]!)];
    case 'teredo': // 2001:0:server-v4:flags:port:~client-v4 (RFC 4380): both ends must be public
      return [v4(p[2]!, p[3]!), v4(~p[6]! & 0xffff, ~p[7]! & 0xffff)];
    default:
      return undefined;
  }
}

function isPrivateV4(a: IPv4): boolean {
  // Everything ipaddr.js names (unspecified, broadcast, multicast, link-local incl. 169.254.169.254,
  // loopback, CGNAT, RFC 1918, reserved and test nets, benchmarking, AS112, AMT) is refused.
  return a.range() !== 'unicast';
}

function isPrivateV6(a: IPv6): boolean {
  const range = a.range();
  const inner = embeddedV4(a, range);
  if (inner) return inner.some(isPrivateV4);
  // Public only in global unicast 2000::/3 outside every special range. This also refuses the
  // deprecated IPv4-compatible ::a.b.c.d (no host routes it to the IPv4 address it spells).
  return range !== 'unicast' || (a.parts[0]! & 0xe000) !== 0x2000;
}

/** True for any address that is not plainly public, in any IPv4 or IPv6 spelling. Non-addresses are false. */
export function isPrivateAddress(ip: string): boolean {
  let s = ip.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return isPrivateV4(ipaddr.IPv4.parse(s));
  // A zone id ("fe80::1%eth0") scopes an address to a local link: never a public destination.
  if (isIP(s) === 6) return s.includes('%') || isPrivateV6(ipaddr.IPv6.parse(s));
  return false;
}

/**
 * A host as the WHATWG URL parser (and so undici) would connect to it: lower case, without brackets or
 * trailing dots, IPv4 in dotted decimal ("0x7f.1", "2130706433" and "0177.0.0.1" are 127.0.0.1).
 */
export function normaliseHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (isIP(h) === 6) return ipaddr.IPv6.parse(h).toString();
  try {
    h = new URL(`http://${h}/`).hostname;
  } catch {
    return h.replace(/\.+$/, ''); // not a valid host: the URL checks refuse it elsewhere
  }
  if (h.startsWith('[')) return ipaddr.IPv6.parse(h.slice(1, -1)).toString();
  return h.replace(/\.+$/, '');
}

const LOCAL_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback', 'broadcasthost']);
const LOCAL_SUFFIXES = ['.localhost', '.local', '.internal', '.home.arpa', '.localdomain'];

/** True when a host is plainly local (checked without DNS): a private address in any spelling, or a local name. */
export function isLocalHostName(host: string): boolean {
  const h = normaliseHost(host);
  if (h === '') return true;
  if (isIP(h)) return isPrivateAddress(h);
  return LOCAL_NAMES.has(h) || LOCAL_SUFFIXES.some((s) => h.endsWith(s));
}

export class DestinationRefusedError extends Error {
  readonly code = 'DESTINATION_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'DestinationRefusedError';
  }
}

export const ALLOW_HINT = 'set CALLOUT_ALLOW_PRIVATE_NETWORKS=1 to allow it';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A dns.lookup for undici's connector that refuses private addresses (one private answer refuses all). */
export function guardedLookup(hostname: string, options: object, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const list = addresses as LookupAddress[];
    const bad = list.find((a) => isPrivateAddress(a.address));
    if (bad)
      return callback(
        new DestinationRefusedError(`${hostname} resolves to ${bad.address}, a private or loopback address; ${ALLOW_HINT}`),
        [],
      );
    if (list.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
    if ((options as { all?: boolean }).all) return callback(null, list);
    const first = list[0]!;
    callback(null, first.address, first.family);
  });
}

/** True when a path (without query) holds a dot segment, with "/" or "\" (which URL parsers also split on). */
export function hasDotSegment(path: string): boolean {
  return path.split(/[/\\]/).some(isDotSegment);
}

/**
 * What is wrong with an action type's path template on its own, before anything is rendered: an
 * absolute URL, a scheme-relative one, or a literal dot segment would leave the connector's base URL
 * (every send would be refused). Tokens are checked when they render.
 */
export function staticPathProblem(template: string): string | undefined {
  const text = template.replace(/\{\{[^}]*\}\}/g, 'x');
  if (/^[a-z][a-z0-9+.-]*:/i.test(text) || /^[/\\]{2}/.test(text))
    return "must be a path under the connector's base URL, not an absolute URL (the base URL belongs to the connector)";
  if (hasDotSegment(text.split(/[?#]/, 1)[0]!)) return 'must not contain a dot segment ("." or ".."), which would leave the base URL';
  return undefined;
}

/** Joins a rendered path onto the base URL and checks that the result stays under it. */
// Base URLs parsed once (every send joins a path onto its connector's): origin and path only, so
// nothing can change the cached value; bounded, as connectors' base URLs can be edited at will.
const BASES = new Map<string, { readonly origin: string; readonly pathname: string }>();
function parsedBase(baseUrl: string): { readonly origin: string; readonly pathname: string } {
  let b = BASES.get(baseUrl);
  if (!b) {
    const u = new URL(baseUrl);
    if (BASES.size >= 256) BASES.clear();
    BASES.set(baseUrl, (b = { origin: u.origin, pathname: u.pathname }));
  }
  return b;
}

export function resolveUnderBase(baseUrl: string, renderedPath: string): URL {
  const base = parsedBase(baseUrl);
  let raw: string;
  if (/^[a-z][a-z0-9+.-]*:/i.test(renderedPath)) raw = renderedPath;
  else {
    const basePath = base.pathname.endsWith('/') ? base.pathname.slice(0, -1) : base.pathname;
    const rel = renderedPath.startsWith('/') || renderedPath.startsWith('?') || renderedPath === '' ? renderedPath : `/${renderedPath}`;
    raw = base.origin + basePath + rel;
  }
  let target: URL;
  try {
    target = new URL(raw);
  } catch {
    throw new DestinationRefusedError(`${JSON.stringify(renderedPath.slice(0, 200))} does not make a valid URL under ${baseUrl}`);
  }
  // The URL parser removes dot segments silently; whatever their source, the path we were given is
  // not the one that would be sent, so refuse rather than guess.
  const rawPath = raw.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#\\]*/i, '').split(/[?#]/, 1)[0]!;
  if (hasDotSegment(rawPath))
    throw new DestinationRefusedError(`the path ${JSON.stringify(rawPath)} contains a dot segment ("." or ".."), which would change it`);
  const prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  const underBase =
    target.origin === base.origin && (target.pathname === base.pathname || target.pathname.startsWith(prefix) || base.pathname === '/');
  if (!underBase) throw new DestinationRefusedError(`${target.origin}${target.pathname} is outside the connector's base URL ${baseUrl}`);
  // An absolute URL rendered from input may name a user (https://api@host/…): the connector's own
  // authentication is what goes to its base URL, never credentials a template or an input put there.
  if (target.username !== '' || target.password !== '')
    throw new DestinationRefusedError(
      `${JSON.stringify(renderedPath.slice(0, 200))} names a user or password in the URL, which is never sent`,
    );
  return target;
}
