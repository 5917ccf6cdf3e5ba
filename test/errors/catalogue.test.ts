// Every named error carries a code of the catalogue, and the API answers with that code and its status.

import { describe, expect, it } from 'vitest';
import { CalloutClosedError, CalloutError, ERROR_CODES, SetupError } from '../../src/errors.ts';
import { TemplateError, RenderError } from '../../src/templates/errors.ts';
import { MappingError } from '../../src/action-types/mapping.ts';
import { InboundSignatureError } from '../../src/inbound/verify.ts';

describe('the error catalogue', () => {
  it('gives each named error class a catalogue code and its status', () => {
    const cases: Array<[CalloutError, string, number]> = [
      [new TemplateError('body.template', 3, "unclosed token: expected '}}'"), 'TEMPLATE_INVALID', 422],
      [new RenderError('Subject', 'headers.X-Subject', 'contains a line break'), 'RENDER_INVALID', 422],
      [new MappingError('response.output exceeded the time limit', 'time'), 'MAPPING_FAILED', 422],
      [new SetupError('CALLOUT_SECRET_KEY is required'), 'SETUP_INVALID', 500],
      [new InboundSignatureError(), 'UNAUTHORIZED', 401],
      [new CalloutClosedError(), 'CALLOUT_CLOSED', 503],
    ];
    for (const [err, code, status] of cases) {
      expect(err).toBeInstanceOf(CalloutError);
      expect(err.code).toBe(code);
      expect(err.status).toBe(status);
      expect(ERROR_CODES[err.code].status).toBe(status);
    }
  });

  it('names the field at fault for template and render errors', () => {
    expect(new TemplateError('path', 0, 'unknown field Nope').errors).toEqual([{ field: 'path', message: 'unknown field Nope' }]);
    expect(new RenderError('Subject', 'headers.X-Subject', 'contains a line break').errors).toEqual([
      { field: 'Subject', message: 'contains a line break' },
    ]);
  });

  it('has a status and a title for every code', () => {
    for (const [code, c] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^[A-Z_]+$/);
      expect(c.status).toBeGreaterThanOrEqual(400);
      expect(c.title.length).toBeGreaterThan(0);
    }
  });
});
