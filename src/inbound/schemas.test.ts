import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { AcknowledgeBody, HandBackBody, MAX_TEXT, MessageBody, ReferenceParams } from './schemas.ts';
import { MAX_REFERENCE_CHARS } from '../json-limits.ts';
import { DeclineSolutionBody } from '../integrated-queues/integration.ts';

// The API's validator: ajv with all errors, no coercion (src/api/server.ts).
const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: false });
const check = (schema: object, value: unknown) => ajv.validate(schema, value);

describe('inbound request bodies', () => {
  it('acknowledge: one external reference, bounded, nothing else', () => {
    expect(check(AcknowledgeBody, { externalReference: 'INC-7' })).toBe(true);
    expect(check(AcknowledgeBody, { externalReference: '' })).toBe(false);
    expect(check(AcknowledgeBody, { externalReference: 'x'.repeat(MAX_REFERENCE_CHARS + 1) })).toBe(false);
    expect(check(AcknowledgeBody, { externalReference: 'INC-7', outcome: 'success' })).toBe(false);
    expect(check(AcknowledgeBody, {})).toBe(false);
  });

  it('message: non-empty text up to 10,000 characters', () => {
    expect(check(MessageBody, { message: 'On it' })).toBe(true);
    expect(check(MessageBody, { message: 'x'.repeat(MAX_TEXT + 1) })).toBe(false);
    expect(check(MessageBody, { message: 42 })).toBe(false);
  });

  it('hand-back: solved or closed, with the solution', () => {
    expect(check(HandBackBody, { resolution: 'solved', solution: 'Rebooted' })).toBe(true);
    expect(check(HandBackBody, { resolution: 'closed', solution: 'Duplicate' })).toBe(true);
    expect(check(HandBackBody, { resolution: 'done', solution: 'x' })).toBe(false);
    expect(check(HandBackBody, { resolution: 'solved' })).toBe(false);
  });

  it('decline-solution: a reason', () => {
    expect(check(DeclineSolutionBody, { note: 'Still broken' })).toBe(true);
    expect(check(DeclineSolutionBody, { note: '' })).toBe(false);
  });

  it('reference params: a connector and a bounded reference', () => {
    expect(check(ReferenceParams, { connector: 'vendor', externalReference: 'INC-7' })).toBe(true);
    expect(check(ReferenceParams, { connector: 'vendor', externalReference: 'x'.repeat(MAX_REFERENCE_CHARS + 1) })).toBe(false);
  });
});
