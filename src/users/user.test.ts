// POST /v1/users validation and the role list of API keys.

import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { Ajv } from 'ajv';
import { Problems, ValidationError } from '../errors.ts';
import { UserBody } from './schemas.ts';
import { ApiKeyBody } from '../api-keys/schemas.ts';
import { checkRoles, compileUser } from './user.ts';

function problems(body: unknown, created = false): Array<{ field: string; message: string }> {
  try {
    compileUser(body, { created });
  } catch (e) {
    if (e instanceof ValidationError) return e.errors ?? [];
    throw e;
  }
  throw new Error('expected the body to be refused');
}

describe('compileUser', () => {
  it('accepts the SPEC example', () => {
    expect(compileUser({ name: 'alice', displayName: 'Alice Ng', email: 'alice@example.com' })).toEqual({
      name: 'alice',
      displayName: 'Alice Ng',
      email: 'alice@example.com',
    });
  });

  it('defaults displayName to the name and email to null', () => {
    expect(compileUser({ name: 'bob.smith' })).toEqual({ name: 'bob.smith', displayName: 'bob.smith', email: null });
  });

  it('refuses names that are not lower-case logins, and the reserved "me", "system" and "anonymous"', () => {
    for (const name of ['Alice', 'al ice', '-bob', '', 'a'.repeat(65), 'user:x']) {
      expect(problems({ name })[0]!.field).toBe('name');
    }
    expect(problems({ name: 'me' })).toEqual([{ field: 'name', message: '"me" is reserved' }]);
    // The timeline's words for Callout itself: a person so named could not be told apart in an audit.
    for (const name of ['system', 'anonymous']) {
      expect(problems({ name }, true)).toEqual([{ field: 'name', message: `"${name}" is reserved: the timeline names Callout itself so` }]);
      // One made before the names were reserved is still changed (and disabled) by its name.
      expect(compileUser({ name }).name).toBe(name);
    }
    expect(problems({})).toEqual([{ field: 'name', message: 'is required' }]);
  });

  it('names every bad field at once, including unknown ones', () => {
    expect(problems({ name: 'alice', displayName: ' ', email: 'not-an-address', roles: ['admin'] }).map((e) => e.field)).toEqual([
      'roles',
      'displayName',
      'email',
    ]);
    expect(problems('alice')).toEqual([{ field: '', message: 'the body must be a JSON object' }]);
  });
});

describe('checkRoles', () => {
  it('accepts known roles and refuses unknown, repeated or none', () => {
    const p = new Problems();
    expect(checkRoles(p, ['operator', 'builder'], 'roles')).toEqual(['operator', 'builder']);
    expect(checkRoles(p, ['operator', 'root', 'operator'], 'roles')).toBeUndefined();
    expect(checkRoles(p, [], 'roles')).toBeUndefined();
    expect(p.list.map((e) => e.field)).toEqual(['roles[1]', 'roles[2]', 'roles']);
  });
});

describe('schemas', () => {
  it('refuse unknown properties and unknown roles', () => {
    expect(Value.Check(UserBody, { name: 'alice', displayName: 'Alice Ng', email: 'alice@example.com' })).toBe(true);
    expect(Value.Check(UserBody, { name: 'alice', admin: true })).toBe(false);
    // StringEnum is an Unsafe schema TypeBox's own checker does not know: check it as the server does, with Ajv.
    const apiKey = new Ajv({ strict: false }).compile(ApiKeyBody);
    expect(apiKey({ name: 'alice-laptop', roles: ['operator'], user: 'alice' })).toBe(true);
    expect(apiKey({ name: 'k', roles: ['root'] })).toBe(false);
  });
});
