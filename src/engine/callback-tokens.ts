// Callback tokens: `<action id>.<MAC>`, made and checked with the secret key, so no table of tokens
// exists to leak or to grow. They go to the external system only; what is recorded shows a placeholder.

import type { SecretBox } from '../crypto/secrets.ts';
import type { ActionRecord } from '../lifecycle/action.ts';

/** Tokens are only for the external system they were made for: every string recorded shows this instead. */
export const TOKEN_PLACEHOLDER = '[callback token]';

/** The values of the system tokens a template may use (`$callbackUrl`, `$actionId`, …). */
export interface SystemValues {
  callbackUrl: string;
  callbackToken: string;
  actionId: string;
  caseId: string | null;
  idempotencyKey: string;
}

export class CallbackTokens {
  constructor(
    private readonly box: SecretBox,
    /** Base of `$callbackUrl`. */
    private readonly publicUrl: string,
  ) {}

  /** `<action id>.<MAC>`: unguessable without the secret key, checked without a look-up table. */
  make(actionId: string): string {
    return `${actionId}.${this.box.mac(`callback:${actionId}`)}`;
  }

  /** The action a callback token belongs to, or undefined when the token is not genuine. */
  actionIdOf(token: string): string | undefined {
    const dot = token.indexOf('.');
    if (dot <= 0) return undefined;
    const id = token.slice(0, dot);
    return this.box.macMatches(`callback:${id}`, token.slice(dot + 1)) ? id : undefined;
  }

  /** The values of the system tokens; the token (an HMAC) only when asked for, as it costs a MAC. */
  systemValues(a: ActionRecord, withToken = true): SystemValues {
    const token = withToken ? this.make(a.id) : '';
    return {
      callbackUrl: `${this.publicUrl}/v1/callbacks/${token}`,
      callbackToken: token,
      actionId: a.id,
      caseId: a.caseId,
      idempotencyKey: a.id,
    };
  }
}

/** `value` with every occurrence of `token` (in strings, keys included) replaced by the placeholder. */
export function redactToken<T>(value: T, token: string): T {
  if (typeof value === 'string') return value.split(token).join(TOKEN_PLACEHOLDER) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactToken(v, token)) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactToken(k, token), redactToken(v, token)])) as T;
  return value;
}
