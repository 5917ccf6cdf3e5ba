// Properties of the destination checks: resolveUnderBase never returns a URL outside the base (or
// one the URL parser rewrote with dot segments), and isPrivateAddress agrees with ipaddr.js's
// ranges for generated IPv4 and IPv6 addresses, in mapped and embedded forms too.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { DestinationRefusedError, isLocalHostName, isPrivateAddress, resolveUnderBase } from './destination.ts';

const BASES = ['https://desk.example.com/api', 'https://desk.example.com/api/v2/', 'https://desk.example.com', 'http://10.0.0.1:8080/x'];

const pathPart = fc.constantFrom(
  '/',
  '//',
  '..',
  '.',
  '%2e',
  '%2E%2e',
  '%252e',
  '\\',
  '?',
  '#',
  '@',
  ':',
  'http:',
  'https://',
  'api',
  'apix',
  'evil.example.com',
  'desk.example.com',
  'v2',
  'x',
  '[',
  '%',
  '\t',
  '\n',
  ' ',
);
const renderedPath = fc.oneof(
  fc.array(pathPart, { maxLength: 10 }).map((a) => a.join('')),
  fc.string({ unit: 'binary' }),
);

describe('resolveUnderBase', () => {
  it('refuses an absolute URL naming a user or password on the base origin (a CI run of the property below found it)', () => {
    for (const path of ['https://api@desk.example.com', 'https://api:pw@desk.example.com/tickets', 'https://:pw@desk.example.com/'])
      expect(() => resolveUnderBase('https://desk.example.com', path), path).toThrow(/names a user or password in the URL/);
    expect(resolveUnderBase('https://desk.example.com', 'https://desk.example.com/tickets?by=api@x').href).toBe(
      'https://desk.example.com/tickets?by=api@x',
    );
  });

  it('returns only URLs under the base, on its origin, without dot segments; anything else is refused', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BASES), renderedPath, (baseUrl, path) => {
        let url: URL;
        try {
          url = resolveUnderBase(baseUrl, path);
        } catch (err) {
          expect(err).toBeInstanceOf(DestinationRefusedError);
          return;
        }
        const base = new URL(baseUrl);
        expect(url.origin).toBe(base.origin);
        const prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
        expect(url.pathname === base.pathname || url.pathname.startsWith(prefix) || base.pathname === '/').toBe(true);
        expect(url.username + url.password).toBe('');
        // What is sent is what was rendered: the parser moved nothing.
        const raw = path.split(/[?#]/, 1)[0]!;
        expect(raw.split(/[/\\]/).map((s) => s.replace(/%(25)*2e/gi, '.'))).not.toContain('..');
      }),
      { numRuns: 2000 },
    );
  });
});

const v4Private = (a: string): boolean => ipaddr.IPv4.parse(a).range() !== 'unicast';
const v4 = fc.ipV4();
const hex = (a: string): string[] => {
  const o = ipaddr.IPv4.parse(a).octets;
  return [((o[0]! << 8) | o[1]!).toString(16), ((o[2]! << 8) | o[3]!).toString(16)];
};

describe('isPrivateAddress', () => {
  it('agrees with ipaddr.js for IPv4: private unless plain unicast', () => {
    fc.assert(
      fc.property(v4, (a) => {
        expect(isPrivateAddress(a)).toBe(v4Private(a));
      }),
    );
  });

  it('judges an IPv4 address the same in every IPv6 form that embeds it', () => {
    fc.assert(
      fc.property(v4, (a) => {
        const [hi, lo] = hex(a);
        const forms = [`::ffff:${a}`, `::ffff:${hi}:${lo}`, `0:0:0:0:0:ffff:${a}`, `::ffff:0:${a}`, `64:ff9b::${a}`, `2002:${hi}:${lo}::1`];
        for (const f of forms) expect(isPrivateAddress(f), f).toBe(v4Private(a));
        // Teredo: server then the client address with its bits flipped; private if either end is.
        const flip = (h: string): string => (~parseInt(h, 16) & 0xffff).toString(16);
        expect(isPrivateAddress(`2001:0:808:808:8000:63bf:${flip(hi!)}:${flip(lo!)}`)).toBe(v4Private(a));
        expect(isPrivateAddress(`2001:0:${hi}:${lo}:8000:63bf:f7f7:f7f7`)).toBe(v4Private(a));
      }),
    );
  });

  it('agrees with ipaddr.js for IPv6: public only as plain global unicast (2000::/3)', () => {
    const embedded = new Set(['ipv4Mapped', 'rfc6145', 'rfc6052', '6to4', 'teredo']);
    fc.assert(
      fc.property(fc.ipV6(), (a) => {
        const parsed = ipaddr.IPv6.parse(a);
        const range = parsed.range();
        if (embedded.has(range)) return; // judged by the embedded IPv4 address, above
        const globalUnicast = range === 'unicast' && (parsed.parts[0]! & 0xe000) === 0x2000;
        expect(isPrivateAddress(a), `${a} (${range})`).toBe(!globalUnicast);
      }),
      { numRuns: 2000 },
    );
  });

  it('a host in any spelling the URL parser accepts is judged as the address it means', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (n) => {
        const dotted = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
        const octal = dotted
          .split('.')
          .map((o) => `0${Number(o).toString(8)}`)
          .join('.');
        for (const host of [dotted, `${dotted}.`, String(n), `0x${n.toString(16)}`, octal, `[::ffff:${dotted}]`])
          expect(isLocalHostName(host), host).toBe(v4Private(dotted));
      }),
    );
  });
});
