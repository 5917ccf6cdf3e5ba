// Error classes of the template system: one for a bad template or field declaration (found when an
// action type is saved), one for a value that cannot be rendered safely (found when an action is sent).

import { CalloutError } from '../errors.ts';

/** A template or field declaration that cannot be compiled. `location` names where, `position` where in it. */
export class TemplateError extends CalloutError {
  /** Where the problem is: "path", "headers.X-Request", "body.template", "body.fields.text", "fields.Priority.type". */
  readonly location: string;
  /** 0-based character offset in that template (0 for locations that are not template text). */
  readonly position: number;
  /** What is wrong, for a person: "unclosed token: expected '}}'". */
  readonly reason: string;

  constructor(location: string, position: number, reason: string) {
    super('TEMPLATE_INVALID', `${location} at position ${position}: ${reason}`, [{ field: location, message: reason }]);
    this.name = 'TemplateError';
    this.location = location;
    this.position = position;
    this.reason = reason;
  }
}

/** A value that cannot be placed in the request, e.g. a line break in a header (header injection). */
export class RenderError extends CalloutError {
  /** The field (or system token, e.g. "$callbackUrl") whose value was refused. */
  readonly field: string;
  /** Where it was going: "headers.X-Request". */
  readonly location: string;
  readonly reason: string;

  constructor(field: string, location: string, reason: string) {
    super('RENDER_INVALID', `${field} (${location}): ${reason}`, [{ field, message: reason }]);
    this.name = 'RenderError';
    this.field = field;
    this.location = location;
    this.reason = reason;
  }
}
