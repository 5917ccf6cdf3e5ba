import { describe, expect, it } from 'vitest';
import { clientOf } from './connection-cap.ts';

describe('the client a connection counts against', () => {
  it('is an IPv4 address as it is, mapped or not', () => {
    expect(clientOf('203.0.113.7')).toBe('203.0.113.7');
    expect(clientOf('::ffff:203.0.113.7')).toBe('::ffff:203.0.113.7');
  });

  it('is an IPv6 address by its /64, however it is written', () => {
    const block = '2001:db8:aa:1::/64';
    for (const a of ['2001:db8:aa:1::1', '2001:0db8:00aa:0001:ffff:ffff:ffff:ffff', '2001:DB8:AA:1:0:0:0:9'])
      expect(clientOf(a), a).toBe(block);
    expect(clientOf('2001:db8:aa:2::1')).not.toBe(block);
    expect(clientOf('::1')).toBe('0:0:0:0::/64');
    expect(clientOf('fe80::1')).toBe('fe80:0:0:0::/64');
  });
});
