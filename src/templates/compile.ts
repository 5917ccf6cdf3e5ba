// compileTemplates: turns an action type's path, headers and body templates plus its field
// declarations into fields, a JSON Schema, an input validator and a fast request renderer.

import { RenderError, TemplateError } from './errors.ts';
import { HEADER_LINE_BREAK_REASON } from '../validation/header-value.ts';
import { buildInputSchema, inferFields, type FieldDeclarations, type FieldSpec, type InputSchema } from './fields.ts';
import { parseJsonTemplate, type JsonNode } from './json.ts';
import {
  compileForm,
  compileJson,
  compilePath,
  compileText,
  headerSafe,
  slotFor,
  type Slot,
  type SystemValues,
  type TextRenderer,
} from './render.ts';
import { parseTemplate, tokensOf, type Segment, type Token } from './tokens.ts';
import { compileInputValidator, checkDefaults, type InputResult } from './validate.ts';

export type BodyTemplate = { format: 'json'; template: string } | { format: 'form'; fields: Record<string, string> } | { format: 'none' };

export interface TemplateSet {
  /** A path under the connector's base URL, or a full URL; tokens in it are percent-encoded. */
  path: string;
  headers?: Record<string, string>;
  /** @default { format: 'none' } */
  body?: BodyTemplate;
}

export interface RenderedRequest {
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
  contentType: string | undefined;
}

export interface CompiledTemplates {
  /** User fields (not system tokens): in order of first appearance, then declared-only fields. */
  fields: Record<string, FieldSpec>;
  /** System tokens used, in order of first appearance, e.g. ['$callbackUrl']. */
  systemTokens: string[];
  /** The JSON Schema (draft-07) of the launch input. */
  schema: InputSchema;
  validateInput(input: unknown): InputResult;
  /** Renders from validated values; throws RenderError for a value that cannot go where it is placed. */
  render(values: Record<string, unknown>, system: SystemValues): RenderedRequest;
  /** The RenderError the path and headers would throw for these values, at launch, before anything is stored. */
  refusal(values: Record<string, unknown>): RenderError | undefined;
}

// Stand-ins for the system tokens when checking input at launch: the checks concern field values only.
const CHECK_SYSTEM: SystemValues = { callbackUrl: '', callbackToken: '', actionId: '', caseId: null, idempotencyKey: '' };

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';
// RFC 9110 token characters: what a header name may be made of.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

type ParsedBody =
  { format: 'json'; tree: JsonNode } | { format: 'form'; fields: Array<[key: string, segments: Segment[]]> } | { format: 'none' };

/** Compiles once per action type (throws TemplateError); the result renders many requests. */
export function compileTemplates(set: TemplateSet, declared?: FieldDeclarations, opts: { maxFields?: number } = {}): CompiledTemplates {
  if (set === null || typeof set !== 'object') throw new TemplateError('path', 0, 'templates must be an object with a path');
  if (typeof set.path !== 'string') throw new TemplateError('path', 0, 'must be a string');
  const path = parseTemplate(set.path, 'path');
  const headers = parseHeaders(set.headers);
  const body = parseBody(set.body);

  const tokens = [...tokensOf(path), ...headers.flatMap(([, s]) => tokensOf(s)), ...bodyTokens(body)];
  const fieldNames = unique(tokens.filter((t) => !t.system).map((t) => t.name));
  const systemTokens = unique(tokens.filter((t) => t.system).map((t) => t.name));

  const fields = inferFields(fieldNames, declared, opts.maxFields);
  checkDefaults(fields);
  const schema = buildInputSchema(fields);
  const validateInput = compileInputValidator(fields, schema);

  const slots = new Map<string, Slot>();
  const slot = (token: Token): Slot => {
    let s = slots.get(token.name);
    if (s === undefined) {
      s = slotFor(token, fields);
      slots.set(token.name, s);
    }
    return s;
  };

  const renderPath = compilePath(path, slot);
  const renderHeaders = headers.map(([name, segments]) => [name, compileText(segments, slot, headerSafe(`headers.${name}`))] as const);
  const renderBody = compileBody(body, slot);
  const contentType = body.format === 'json' ? JSON_TYPE : body.format === 'form' ? FORM_TYPE : undefined;

  return {
    fields,
    systemTokens,
    schema,
    validateInput,
    render(values, system) {
      const renderedHeaders: Record<string, string> = {};
      for (const [name, render] of renderHeaders) renderedHeaders[name] = render(values, system);
      return {
        path: renderPath(values, system),
        headers: renderedHeaders,
        body: renderBody === undefined ? undefined : renderBody(values, system),
        contentType,
      };
    },
    refusal(values) {
      try {
        renderPath(values, CHECK_SYSTEM);
        for (const [, render] of renderHeaders) render(values, CHECK_SYSTEM);
        return undefined;
      } catch (err) {
        if (err instanceof RenderError) return err;
        throw err;
      }
    },
  };
}

function parseHeaders(headers: unknown): Array<[name: string, segments: Segment[]]> {
  if (headers === undefined) return [];
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    throw new TemplateError('headers', 0, 'must be an object of header names to values');
  }
  const seen = new Set<string>();
  return Object.entries(headers as Record<string, unknown>).map(([name, value]) => {
    const at = `headers.${name}`;
    if (name.includes('{{')) throw new TemplateError(at, 0, 'tokens are not allowed in header names, only in values');
    if (!HEADER_NAME.test(name)) throw new TemplateError(at, 0, `invalid header name "${name}"`);
    const lower = name.toLowerCase();
    if (seen.has(lower)) throw new TemplateError(at, 0, 'duplicate header (header names are case-insensitive)');
    seen.add(lower);
    if (typeof value !== 'string') throw new TemplateError(at, 0, 'must be a string');
    // Only what would inject a header: this also compiles stored action types, and one saved before
    // the wider rule (headerValueProblem, applied when one is saved) must still load; a character HTTP
    // cannot carry is then refused when its request is built (To Do / Invalid Input).
    const lineBreak = value.search(/[\r\n\0]/);
    if (lineBreak !== -1) throw new TemplateError(at, lineBreak, HEADER_LINE_BREAK_REASON);
    return [name, parseTemplate(value, at)];
  });
}

function parseBody(body: unknown): ParsedBody {
  if (body === undefined) return { format: 'none' };
  if (body === null || typeof body !== 'object') throw new TemplateError('body', 0, 'must be an object with a format');
  const b = body as Record<string, unknown>;
  switch (b.format) {
    case 'none':
      return { format: 'none' };
    case 'json':
      if (typeof b.template !== 'string') throw new TemplateError('body.template', 0, 'must be a string of JSON text');
      return { format: 'json', tree: parseJsonTemplate(b.template, 'body.template') };
    case 'form': {
      const fields = b.fields;
      if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
        throw new TemplateError('body.fields', 0, 'must be an object of form field names to values');
      }
      return {
        format: 'form',
        fields: Object.entries(fields as Record<string, unknown>).map(([key, value]) => {
          const at = `body.fields.${key}`;
          if (key.includes('{{')) throw new TemplateError(at, 0, 'tokens are not allowed in form field names, only in values');
          if (typeof value !== 'string') throw new TemplateError(at, 0, 'must be a string');
          return [key, parseTemplate(value, at)];
        }),
      };
    }
    default:
      throw new TemplateError('body.format', 0, `unknown body format ${JSON.stringify(b.format)}: use json, form or none`);
  }
}

function bodyTokens(body: ParsedBody): Token[] {
  switch (body.format) {
    case 'json':
      return jsonTokens(body.tree);
    case 'form':
      return body.fields.flatMap(([, segments]) => tokensOf(segments));
    case 'none':
      return [];
  }
}

/** Tokens of a JSON tree in document order. */
function jsonTokens(node: JsonNode): Token[] {
  switch (node.kind) {
    case 'literal':
      return [];
    case 'string':
      return tokensOf(node.segments);
    case 'object':
      return node.entries.flatMap((e) => jsonTokens(e.value));
    case 'array':
      return node.items.flatMap(jsonTokens);
  }
}

function compileBody(body: ParsedBody, slot: (token: Token) => Slot): TextRenderer | undefined {
  switch (body.format) {
    case 'json':
      return compileJson(body.tree, slot);
    case 'form':
      return compileForm(body.fields.map(([key, segments]) => [key, compileText(segments, slot)]));
    case 'none':
      return undefined;
  }
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}
