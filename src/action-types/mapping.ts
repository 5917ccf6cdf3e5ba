// Response mapping: JSONata expressions compiled when an action type is saved (a syntax error is
// refused with its position) and evaluated against a response or callback body.

import jsonata from 'jsonata';
import type { Problems } from '../errors.ts';

export interface ResponseMappingSpec {
  /** Condition on the response body that must hold for success (response mode). */
  successWhen: string | null;
  /** Expression whose result becomes the action's output and is merged into case data. */
  output: string | null;
  /** Expression giving the external system's reference from the accepting response. */
  externalReference: string | null;
  /** Expression giving the rejected reason when successWhen fails. */
  rejectedReason: string | null;
}

export type CompiledExpression = ReturnType<typeof jsonata>;
export type CompiledMapping = { [K in keyof ResponseMappingSpec]: CompiledExpression | null };

export const MAPPING_KEYS = ['successWhen', 'output', 'externalReference', 'rejectedReason'] as const;

export function compileExpression(p: Problems, text: string | null, field: string): CompiledExpression | null {
  if (text === null) return null;
  try {
    return jsonata(text);
  } catch (e) {
    const err = e as { position?: number; message?: string };
    p.add(field, `is not a valid JSONata expression at position ${err.position ?? 0}: ${err.message ?? String(e)}`);
    return null;
  }
}

export interface MappingContext {
  status?: number;
  headers?: Record<string, string>;
  input: Record<string, unknown>;
}

/** Evaluates one expression with `$status`, `$headers` and `$input` bound; undefined when it yields nothing. */
export async function evaluate(expr: CompiledExpression, body: unknown, ctx: MappingContext): Promise<unknown> {
  return expr.evaluate(body ?? {}, { status: ctx.status, headers: ctx.headers, input: ctx.input });
}
