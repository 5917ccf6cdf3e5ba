// POST /v1/queues validation: members, allocation words and the integration block.

import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { ValidationError } from '../errors.ts';
import { compileQueue } from './queue.ts';
import { QueueBody } from './schemas.ts';

function problems(body: unknown, refs = {}): Array<{ field: string; message: string }> {
  try {
    compileQueue(body, refs);
  } catch (e) {
    if (e instanceof ValidationError) return e.errors ?? [];
    throw e;
  }
  throw new Error('expected the body to be refused');
}

describe('compileQueue', () => {
  it('accepts the SPEC example and defaults allocation to none', () => {
    expect(compileQueue({ name: 'hr', members: ['alice', 'bob'], allocation: 'round_robin' })).toEqual({
      name: 'hr',
      description: null,
      members: ['alice', 'bob'],
      allocation: 'round_robin',
      integration: null,
    });
    expect(compileQueue({ name: 'hr' })).toMatchObject({ members: [], allocation: 'none' });
  });

  it('accepts an integrated queue', () => {
    const q = compileQueue({
      name: 'vendor-desk',
      integration: { connector: 'vendor', onAssign: 'vendor-submit', onClose: 'vendor-close' },
    });
    expect(q.integration).toEqual({
      connector: 'vendor',
      onAssign: 'vendor-submit',
      onUpdate: null,
      onClose: 'vendor-close',
      onResolutionRejected: null,
    });
  });

  it('names bad members, repeated members, unknown users, a bad allocation and integration mistakes', () => {
    const errors = problems(
      { name: 'hr', members: ['alice', 'Bob', 'alice', 'zed'], allocation: 'random', integration: { onAssign: 'x', onDelete: 'y' } },
      { userExists: (u: string) => u !== 'zed' },
    );
    expect(errors.map((e) => e.field)).toEqual([
      'members[1]',
      'members[2]',
      'members[3]',
      'allocation',
      'integration.onDelete',
      'integration.connector',
    ]);
    expect(errors[3]!.message).toBe('must be one of none, round_robin, least_loaded, owner');
  });

  it('the schema refuses unknown properties', () => {
    expect(Value.Check(QueueBody, { name: 'hr', members: ['alice'], allocation: 'owner' })).toBe(true);
    expect(Value.Check(QueueBody, { name: 'hr', owner: 'alice' })).toBe(false);
    expect(Value.Check(QueueBody, { name: 'hr', allocation: 'random' })).toBe(false);
  });
});
