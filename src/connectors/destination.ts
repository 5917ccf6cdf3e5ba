// Where outbound calls may go: only under the connector's base URL, and never to loopback or
// private addresses unless the deployment allows it (checked at save and again at connect time,
// so a DNS name cannot be pointed at an internal address later).

import { isIP } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';

const PRIVATE_V4: Array<[number, number]> = [
  [0x00000000, 8], // 0.0.0.0/8
  [0x0a000000, 8], // 10/8
  [0x64400000, 10], // 100.64/10 carrier-grade NAT
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link-local (cloud metadata)
  [0xac100000, 12], // 172.16/12
  [0xc0a80000, 16], // 192.168/16
  [0xc6120000, 15], // 198.18/15 benchmarking
  [0xe0000000, 4], // multicast
  [0xf0000000, 4], // reserved
];

export function isPrivateAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) {
    const n = ip.split('.').reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
    return PRIVATE_V4.some(([base, bits]) => (n & (~0 << (32 - bits))) >>> 0 === base);
  }
  if (v === 6) {
    const s = ip.toLowerCase();
    if (s === '::1' || s === '::') return true;
    if (s.startsWith('::ffff:')) return isPrivateAddress(s.slice(7));
    return /^(fc|fd|fe8|fe9|fea|feb|ff)/.test(s);
  }
  return false;
}

/** True when a host name is plainly local (checked without DNS). */
export function isLocalHostName(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(h)) return isPrivateAddress(h);
  return h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.local') || h.endsWith('.internal');
}

export class DestinationRefusedError extends Error {
  readonly code = 'DESTINATION_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'DestinationRefusedError';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A dns.lookup for undici's connector that refuses private addresses. */
export function guardedLookup(hostname: string, options: object, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const list = addresses as LookupAddress[];
    const bad = list.find((a) => isPrivateAddress(a.address));
    if (bad)
      return callback(
        new DestinationRefusedError(
          `${hostname} resolves to ${bad.address}, a private or loopback address; set CALLOUT_ALLOW_PRIVATE_NETWORKS=1 to allow it`,
        ),
        [],
      );
    if ((options as { all?: boolean }).all) return callback(null, list);
    const first = list[0]!;
    callback(null, first.address, first.family);
  });
}

/** Joins a rendered path onto the base URL and checks that the result stays under it. */
export function resolveUnderBase(baseUrl: string, renderedPath: string): URL {
  const base = new URL(baseUrl);
  let target: URL;
  if (/^[a-z][a-z0-9+.-]*:/i.test(renderedPath)) target = new URL(renderedPath);
  else {
    const basePath = base.pathname.endsWith('/') ? base.pathname.slice(0, -1) : base.pathname;
    const rel = renderedPath.startsWith('/') || renderedPath.startsWith('?') || renderedPath === '' ? renderedPath : `/${renderedPath}`;
    target = new URL(base.origin + basePath + rel);
  }
  const prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  const underBase =
    target.origin === base.origin && (target.pathname === base.pathname || target.pathname.startsWith(prefix) || base.pathname === '/');
  if (!underBase) throw new DestinationRefusedError(`${target.origin}${target.pathname} is outside the connector's base URL ${baseUrl}`);
  return target;
}
