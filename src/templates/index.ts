// Public API of the template system: compile an action type's templates once, then validate launch
// input and render requests from it. Pure: no I/O, no clock.

export { compileTemplates } from './compile.ts';
export type { BodyTemplate, CompiledTemplates, RenderedRequest, TemplateSet } from './compile.ts';
export { TemplateError, RenderError } from './errors.ts';
export { FIELD_TYPES, SCHEMA_DIALECT } from './fields.ts';
export type { FieldDeclarations, FieldSpec, FieldType, InputSchema } from './fields.ts';
export type { SystemValues } from './render.ts';
export { SYSTEM_TOKENS } from './tokens.ts';
export type { SystemToken } from './tokens.ts';
export type { FieldError, InputResult } from './validate.ts';
