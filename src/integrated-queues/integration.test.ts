import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { QueueIntegrationBody, compileIntegration } from './integration.ts';
import { ValidationError } from '../errors.ts';

const ids = new Map([
  ['connector:vendor', 'c-1'],
  ['actionType:vendor-submit', 't-1'],
  ['actionType:vendor-update', 't-2'],
]);
const exists = (kind: string, ref: string) => ids.get(`${kind}:${ref}`);

function fields(body: unknown): string[] {
  try {
    compileIntegration(body, exists);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return ((e as ValidationError).errors ?? []).map((x) => `${x.field}: ${x.message}`);
  }
  throw new Error('expected a ValidationError');
}

describe("a queue's integration", () => {
  it('needs a connector and onAssign; the other action types are optional; names are kept as the ids they resolve to', () => {
    expect(compileIntegration({ connector: 'vendor', onAssign: 'vendor-submit', onUpdate: 'vendor-update' }, exists)).toEqual({
      connector: 'c-1',
      onAssign: 't-1',
      onUpdate: 't-2',
      onClose: null,
      onResolutionRejected: null,
    });
  });

  it('names each missing, unknown, mistyped or non-existent field', () => {
    expect(fields({ onClose: 'nope', extra: 1, onUpdate: 5 })).toEqual([
      'integration.extra: is not a known field',
      'integration.connector: is required',
      'integration.onAssign: is required',
      'integration.onUpdate: must be a name of 1 to 200 characters',
      'integration.onClose: action type "nope" does not exist',
    ]);
    expect(fields({ connector: 'other', onAssign: 'vendor-submit' })).toEqual(['integration.connector: connector "other" does not exist']);
    expect(fields('vendor')).toEqual(['integration: must be an object']);
  });

  it('its schema refuses unknown fields at the route too', () => {
    const validate = new Ajv({ strict: false }).compile(QueueIntegrationBody);
    expect(validate({ connector: 'v', onAssign: 'a', onClose: null })).toBe(true);
    expect(validate({ connector: 'v', onAssign: 'a', onSomething: 'x' })).toBe(false);
  });
});
