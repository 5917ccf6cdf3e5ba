// Compiling a POST /v1/processes body: defaults, references, expressions, and errors naming the field.

import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { Value } from '@sinclair/typebox/value';
import { compileProcess } from './definition.ts';
import { ProcessBody } from './schemas.ts';

function problems(body: unknown, refs = {}): Array<{ field: string; message: string }> {
  try {
    compileProcess(body, refs);
  } catch (e) {
    if (e instanceof ValidationError) return e.errors ?? [];
    throw e;
  }
  throw new Error('expected the body to be refused');
}

const spec = {
  name: 'new-starter',
  steps: [
    { name: 'approve', kind: 'manual', title: 'Approve the starter', queue: 'hr' },
    {
      name: 'laptop',
      kind: 'external',
      actionType: 'order-laptop',
      input: '{ "Title": case.name, "Queue": "hr" }',
      waitForResponse: true,
      onFailure: 'stop',
    },
    { name: 'shape', kind: 'map', expression: '{ "laptopTicket": steps.laptop.output.ticket }' },
    { name: 'welcome', kind: 'external', actionType: 'send-sms', useBodyOf: 'shape', waitForResponse: false, when: 'case.mobile != null' },
  ],
};

describe('compileProcess', () => {
  it('compiles the SPEC 10.1 example into a frozen definition with defaults', () => {
    const p = compileProcess(spec);
    expect(p.name).toBe('new-starter');
    expect(p.steps.map((s) => s.kind)).toEqual(['manual', 'external', 'map', 'external']);
    expect(p.steps[0]).toEqual({
      name: 'approve',
      kind: 'manual',
      title: 'Approve the starter',
      queue: 'hr',
      due: null,
      when: null,
      onFailure: 'stop',
    });
    expect(p.steps[3]).toMatchObject({
      useBodyOf: 'shape',
      input: null,
      waitForResponse: false,
      when: 'case.mobile != null',
      title: 'welcome',
    });
    expect(Object.isFrozen(p) && Object.isFrozen(p.steps) && Object.isFrozen(p.steps[0])).toBe(true);
  });

  it('defaults waitForResponse to true and onFailure to stop', () => {
    const p = compileProcess({ name: 'p', steps: [{ name: 'a', kind: 'external', actionType: 't' }] });
    expect(p.steps[0]).toMatchObject({ waitForResponse: true, onFailure: 'stop', input: null, useBodyOf: null });
  });

  it('names the step field of a JSONata syntax error, with its position', () => {
    const errors = problems({
      name: 'p',
      steps: [
        { name: 'a', kind: 'manual', queue: 'hr' },
        { name: 'b', kind: 'map', expression: '{ "x": 1 }' },
        { name: 'c', kind: 'external', actionType: 't', input: '{ "Title": case.name ' },
        { name: 'd', kind: 'map', expression: '{}', when: 'case.a = ' },
      ],
    });
    expect(errors).toEqual([
      { field: 'steps[2].input', message: expect.stringMatching(/^is not a valid JSONata expression at position \d+/) },
      { field: 'steps[3].when', message: expect.stringMatching(/^is not a valid JSONata expression/) },
    ]);
  });

  it('requires unique step names', () => {
    const errors = problems({
      name: 'p',
      steps: [
        { name: 'a', kind: 'manual', queue: 'hr' },
        { name: 'a', kind: 'map', expression: '{}' },
      ],
    });
    expect(errors).toEqual([{ field: 'steps[1].name', message: '"a" is already the name of an earlier step' }]);
  });

  it('requires useBodyOf to name an earlier map step, not a later one, a manual one or itself', () => {
    const errors = problems({
      name: 'p',
      steps: [
        { name: 'm', kind: 'manual', queue: 'hr' },
        { name: 'x', kind: 'external', actionType: 't', useBodyOf: 'later' },
        { name: 'y', kind: 'external', actionType: 't', useBodyOf: 'm' },
        { name: 'later', kind: 'map', expression: '{}' },
        { name: 'z', kind: 'external', actionType: 't', useBodyOf: 'later', input: '{}' },
      ],
    });
    expect(errors.map((e) => e.field)).toEqual(['steps[1].useBodyOf', 'steps[2].useBodyOf', 'steps[4].useBodyOf']);
    expect(errors[0]!.message).toBe('must name an earlier map step; "later" is not one');
    expect(errors[2]!.message).toContain('cannot be used together with input');
  });

  it("requires actionType on external steps and expression on map steps; a manual step without queue uses its case's", () => {
    const errors = problems({
      name: 'p',
      steps: [
        { name: 'a', kind: 'external' },
        { name: 'b', kind: 'manual' },
        { name: 'c', kind: 'map' },
      ],
    });
    expect(errors).toEqual([
      { field: 'steps[0].actionType', message: 'is required' },
      { field: 'steps[2].expression', message: 'is required' },
    ]);
    const p = compileProcess({
      name: 'p',
      steps: [
        { name: 'b', kind: 'manual' },
        { name: 'c', kind: 'manual', queue: null },
      ],
    });
    expect(p.steps.map((s) => (s as { queue: unknown }).queue)).toEqual([null, null]);
    expect(problems({ name: 'p', steps: [{ name: 'b', kind: 'manual', queue: 7 }] }).map((e) => e.field)).toEqual(['steps[0].queue']);
  });

  it('refuses unknown kinds, settings of another kind, bad onFailure and waitForResponse, and bad names', () => {
    const errors = problems({
      name: '',
      color: 'red',
      steps: [
        { name: 'a', kind: 'script' },
        { name: 'b', kind: 'manual', queue: 'hr', actionType: 't' },
        { name: 'c', kind: 'external', actionType: 't', onFailure: 'retry', waitForResponse: 'yes' },
        { name: '1st', kind: 'map', expression: '{}' },
        'not a step',
      ],
    });
    expect(errors.map((e) => e.field)).toEqual([
      'color',
      'name',
      'steps[0].kind',
      'steps[1].actionType',
      'steps[2].onFailure',
      'steps[2].waitForResponse',
      'steps[3].name',
      'steps[4]',
    ]);
  });

  it('refuses a body without steps, with no steps, or not an object', () => {
    expect(problems({ name: 'p' })).toEqual([{ field: 'steps', message: 'is required' }]);
    expect(problems({ name: 'p', steps: [] })).toEqual([{ field: 'steps', message: 'must hold at least one step' }]);
    expect(problems([])).toEqual([{ field: '', message: 'the body must be a JSON object' }]);
  });

  it('resolves action types and queues through the given resolvers and names the unknown ones', () => {
    const refs = {
      actionType: (r: string) => (r === 'order-laptop' ? 'at_1' : undefined),
      queue: (r: string) => (r === 'hr' ? 'q_1' : undefined),
    };
    const p = compileProcess(
      {
        name: 'p',
        steps: [
          { name: 'a', kind: 'manual', queue: 'hr' },
          { name: 'b', kind: 'external', actionType: 'order-laptop' },
        ],
      },
      refs,
    );
    expect(p.steps[0]).toMatchObject({ queue: 'q_1' });
    expect(p.steps[1]).toMatchObject({ actionType: 'at_1' });
    const errors = problems(
      {
        name: 'p',
        steps: [
          { name: 'a', kind: 'manual', queue: 'ops' },
          { name: 'b', kind: 'external', actionType: 'nope' },
        ],
      },
      refs,
    );
    expect(errors).toEqual([
      { field: 'steps[0].queue', message: 'no queue "ops" exists' },
      { field: 'steps[1].actionType', message: 'no action type "nope" exists' },
    ]);
  });

  it('the route schema accepts the SPEC example and refuses unknown settings and kinds', () => {
    expect(Value.Check(ProcessBody, spec)).toBe(true);
    expect(Value.Check(ProcessBody, { ...spec, owner: 'x' })).toBe(false);
    expect(Value.Check(ProcessBody, { name: 'p', steps: [{ name: 'a', kind: 'manual', queue: 'hr', actionType: 't' }] })).toBe(false);
    expect(Value.Check(ProcessBody, { name: 'p', steps: [{ name: 'a', kind: 'script' }] })).toBe(false);
    expect(Value.Check(ProcessBody, { name: 'p', steps: [] })).toBe(false);
  });
});
