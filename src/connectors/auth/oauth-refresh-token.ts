// oauth2_refresh_token: a stored refresh token (from a user's consent, obtained outside Callout)
// exchanged for access tokens (RFC 6749 §6). When the server rotates the refresh token, the new one
// replaces the old in memory at once and is handed to the caller to persist: the old one is dead.

import type { AuthSpec } from '../connector.ts';
import type { Clock } from '../../clock.ts';
import { requestToken, TokenCache, tokenAuthProvider, type TokenAuthProvider } from './token-client.ts';

export interface RefreshTokenOptions {
  clock: Clock;
  allowPrivateNetworks: boolean;
  /**
   * Called with the new refresh token when the server rotates it, before the access token is used.
   * Must not throw: persist asynchronously and report failures there.
   */
  onRefreshTokenRotated?: (refreshToken: string) => void;
  /** Token endpoint timeout. @default 10 s */
  timeoutMs?: number;
}

export interface RefreshTokenAuthProvider extends TokenAuthProvider {
  /** The refresh token currently held (the stored one, or the latest rotation). */
  currentRefreshToken(): string;
  /** True when `token` is one this provider held: the stored one or any it rotated to. */
  hasHeld(token: string): boolean;
}

export function refreshTokenAuth(
  auth: Extract<AuthSpec, { type: 'oauth2_refresh_token' }>,
  opts: RefreshTokenOptions,
): RefreshTokenAuthProvider {
  let refreshToken = auth.refreshToken;
  const held = new Set([refreshToken]);
  const cache = new TokenCache(async () => {
    const res = await requestToken({
      tokenUrl: auth.tokenUrl,
      grant: { type: 'refresh_token', refreshToken },
      clientId: auth.clientId,
      ...(auth.clientSecret !== undefined ? { clientSecret: auth.clientSecret } : {}),
      clientAuth: 'body',
      allowPrivateNetworks: opts.allowPrivateNetworks,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    });
    if (res.refreshToken !== undefined && res.refreshToken !== refreshToken) {
      refreshToken = res.refreshToken;
      held.add(refreshToken);
      opts.onRefreshTokenRotated?.(refreshToken);
    }
    return res;
  }, opts.clock);
  return { ...tokenAuthProvider(cache), currentRefreshToken: () => refreshToken, hasHeld: (t) => held.has(t) };
}
