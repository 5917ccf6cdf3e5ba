// Route schemas shared by the resources' plugins (TypeBox): validation, and the OpenAPI document.
// Each resource keeps its own bodies in `src/<resource>/schemas.ts`.

import { Type } from '@sinclair/typebox';

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });

/** A string out of a fixed list: one `enum` error naming the field (a union of literals gives one per value). */
export const StringEnum = <const T extends string>(values: readonly T[], opts: { description?: string; default?: T } = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...opts });
