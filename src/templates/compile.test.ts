import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { compileTemplates, TemplateError, type FieldDeclarations, type SystemValues, type TemplateSet } from './index.ts';

const system: SystemValues = {
  callbackUrl: 'https://callout.example.com/v1/callbacks/tok-1',
  callbackToken: 'tok-1',
  actionId: 'act-1',
  caseId: null,
  idempotencyKey: 'idem-1',
};

/** The action type of SPEC section 10. */
const openVendorTicket: TemplateSet = {
  path: '/tickets/{{ Queue }}',
  headers: { 'X-Request': '{{ $actionId }}' },
  body: {
    format: 'json',
    template: '{"title": "{{ Title }}", "priority": "{{ Priority }}", "callback": "{{ $callbackUrl }}"}',
  },
};

function templateError(set: TemplateSet, declared?: FieldDeclarations): TemplateError {
  try {
    compileTemplates(set, declared);
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('expected a TemplateError');
}

describe('compileTemplates', () => {
  it('the SPEC example validates its input and renders its request', () => {
    const compiled = compileTemplates(openVendorTicket, { Priority: { type: 'integer' } });
    const input = compiled.validateInput({ Queue: 'hr', Title: 'Laptop', Priority: 2 });
    expect(input.ok).toBe(true);
    if (!input.ok) return;
    expect(compiled.render(input.value, system)).toEqual({
      path: '/tickets/hr',
      headers: { 'X-Request': 'act-1' },
      body: '{"title":"Laptop","priority":2,"callback":"https://callout.example.com/v1/callbacks/tok-1"}',
      contentType: 'application/json',
    });
  });

  it('fields are parsed from path, headers and body, in order of first appearance, with declared overrides', () => {
    const compiled = compileTemplates(
      {
        path: '/queues/{{ Queue }}/tickets?due={{ Due }}',
        headers: { 'X-Tenant': '{{ Tenant }}', 'X-Queue': '{{ Queue }}' },
        body: { format: 'json', template: '{"t": "{{ Title }}", "d": "{{ Due }}", "m": {"x": ["{{ Meta }}"]}}' },
      },
      {
        Due: { type: 'date', required: false, description: 'When it is due' },
        Meta: { type: 'json', default: {} },
        ResultCode: { type: 'string', required: false },
      },
    );
    expect(compiled.fields).toEqual({
      Queue: { type: 'string', required: true },
      Due: { type: 'date', required: false, description: 'When it is due' },
      Tenant: { type: 'string', required: true },
      Title: { type: 'string', required: true },
      Meta: { type: 'json', required: true, default: {} },
      ResultCode: { type: 'string', required: false },
    });
    expect(Object.keys(compiled.fields)).toEqual(['Queue', 'Due', 'Tenant', 'Title', 'Meta', 'ResultCode']);
  });

  it('form fields are parsed too', () => {
    const compiled = compileTemplates({
      path: '/',
      body: { format: 'form', fields: { text: '{{ Message }}', to: '{{ To }}' } },
    });
    expect(Object.keys(compiled.fields)).toEqual(['Message', 'To']);
  });

  it('system tokens are listed apart from fields, once each, in order of first appearance', () => {
    const compiled = compileTemplates({
      path: '/x?case={{ $caseId }}',
      headers: { 'Idempotency-Key': '{{ $idempotencyKey }}' },
      body: { format: 'form', fields: { cb: '{{ $callbackUrl }}', case: '{{ $caseId }}' } },
    });
    expect(compiled.systemTokens).toEqual(['$caseId', '$idempotencyKey', '$callbackUrl']);
    expect(compiled.fields).toEqual({});
  });

  it('validateInput and the schema agree with the fields', () => {
    const compiled = compileTemplates(openVendorTicket, { Priority: { type: 'integer', default: 3 } });
    expect(compiled.validateInput({ Queue: 'hr', Title: 'Laptop' })).toEqual({
      ok: true,
      value: { Queue: 'hr', Title: 'Laptop', Priority: 3 },
    });
    expect(compiled.validateInput({ Queue: 'hr', Priority: '2', Callback: 'x' })).toEqual({
      ok: false,
      errors: [
        { field: 'Title', message: 'is required' },
        { field: 'Priority', message: 'must be an integer' },
        { field: 'Callback', message: 'is not a field of this action type' },
      ],
    });
  });

  describe('the published JSON Schema', () => {
    const compiled = compileTemplates(
      {
        path: '/t/{{ Queue }}',
        body: { format: 'json', template: '{"p": "{{ Priority }}", "d": "{{ Due }}", "at": "{{ At }}"}' },
      },
      {
        Priority: { type: 'integer', default: 3, description: '1 to 5' },
        Due: { type: 'date', required: false },
        At: { type: 'datetime', required: false },
        Urgent: { type: 'boolean', required: false },
        Cost: { type: 'number', required: false },
        Extra: { type: 'json', required: false },
      },
    );

    it('describes the input object', () => {
      expect(compiled.schema).toEqual({
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: {
          Queue: { type: 'string' },
          Priority: { type: 'integer', description: '1 to 5', default: 3 },
          Due: { type: 'string', format: 'date' },
          At: { type: 'string', format: 'date-time' },
          Urgent: { type: 'boolean' },
          Cost: { type: 'number' },
          Extra: {},
        },
        required: ['Queue'],
        additionalProperties: false,
      });
    });

    it('is a standard schema a validator such as ajv compiles, accepting good input and refusing bad', () => {
      const ajv = new Ajv({ strict: true });
      addFormatsModule.default(ajv);
      expect(ajv.validateSchema(compiled.schema)).toBe(true);
      const validate = ajv.compile(compiled.schema);
      expect(validate({ Queue: 'hr' })).toBe(true);
      expect(
        validate({
          Queue: 'hr',
          Priority: 1,
          Due: '2024-05-01',
          At: '2024-05-01T09:30:00Z',
          Urgent: true,
          Cost: 9.5,
          Extra: { any: ['thing'] },
        }),
      ).toBe(true);
      expect(validate({})).toBe(false);
      expect(validate({ Queue: 'hr', Priority: '1' })).toBe(false);
      expect(validate({ Queue: 'hr', Due: '01/05/2024' })).toBe(false);
      expect(validate({ Queue: 'hr', At: 'yesterday' })).toBe(false);
      expect(validate({ Queue: 'hr', Unknown: 1 })).toBe(false);
      expect(validate({ Queue: 2 })).toBe(false);
    });
  });

  describe('template errors name the location and position', () => {
    it('in the path', () => {
      const error = templateError({ path: '/tickets/{{ Queue' });
      expect([error.code, error.location, error.position, error.reason]).toEqual([
        'TEMPLATE_INVALID',
        'path',
        9,
        "unclosed token: expected '}}'",
      ]);
    });

    it('in a header value', () => {
      const error = templateError({ path: '/', headers: { 'X-Request': 'id={{ $actionID }}' } });
      expect([error.location, error.position]).toEqual(['headers.X-Request', 3]);
    });

    it('in a JSON body that is not valid JSON', () => {
      const error = templateError({ path: '/', body: { format: 'json', template: '{"title": "{{ Title }}",}' } });
      expect(error.location).toBe('body.template');
      expect(error.position).toBe(24);
      expect(error.reason).toMatch(/^invalid JSON: /);
    });

    it('in a form value', () => {
      const error = templateError({ path: '/', body: { format: 'form', fields: { text: 'Hi {{ }}' } } });
      expect([error.location, error.position]).toEqual(['body.fields.text', 3]);
    });

    it('a declared type not in the list', () => {
      const error = templateError(openVendorTicket, { Priority: { type: 'int' as never } });
      expect(error.location).toBe('fields.Priority.type');
    });

    it('a default that does not match the type', () => {
      const error = templateError(openVendorTicket, { Priority: { type: 'integer', default: '3' } });
      expect([error.location, error.reason]).toEqual(['fields.Priority.default', 'the default must be an integer']);
    });

    it('a header value with a literal line break', () => {
      const error = templateError({ path: '/', headers: { 'X-A': 'ok\r\nX-B: injected' } });
      expect([error.location, error.position]).toEqual(['headers.X-A', 2]);
    });

    it('an invalid or duplicate header name, or a token in it', () => {
      expect(templateError({ path: '/', headers: { 'Bad Name': 'x' } }).location).toBe('headers.Bad Name');
      expect(templateError({ path: '/', headers: { 'X-{{ A }}': 'x' } }).reason).toMatch(/not allowed in header names/);
      expect(templateError({ path: '/', headers: { 'X-A': '1', 'x-a': '2' } }).reason).toMatch(/duplicate header/);
    });

    it('a token in a form field name', () => {
      const error = templateError({ path: '/', body: { format: 'form', fields: { '{{ K }}': 'v' } } });
      expect(error.location).toBe('body.fields.{{ K }}');
    });

    it('an unknown body format or a template that is not text', () => {
      expect(templateError({ path: '/', body: { format: 'xml' } as never }).location).toBe('body.format');
      expect(templateError({ path: '/', body: { format: 'json', template: { a: 1 } } as never }).location).toBe('body.template');
      expect(templateError({ path: 42 } as never).location).toBe('path');
    });
  });
});
