// oauth2_client_credentials: the connector's own client id and secret exchanged for an access
// token (RFC 6749 §4.4), cached and refreshed before expiry.

import type { AuthSpec } from '../connector.ts';
import type { Clock } from '../../clock.ts';
import { requestToken, TokenCache, tokenAuthProvider, type TokenAuthProvider } from './token-client.ts';

export interface ClientCredentialsOptions {
  clock: Clock;
  allowPrivateNetworks: boolean;
  /** Token endpoint timeout. @default 10 s */
  timeoutMs?: number;
}

export function clientCredentialsAuth(
  auth: Extract<AuthSpec, { type: 'oauth2_client_credentials' }>,
  opts: ClientCredentialsOptions,
): TokenAuthProvider {
  const cache = new TokenCache(
    () =>
      requestToken({
        tokenUrl: auth.tokenUrl,
        grant: {
          type: 'client_credentials',
          ...(auth.scope ? { scope: auth.scope } : {}),
          ...(auth.audience ? { audience: auth.audience } : {}),
        },
        clientId: auth.clientId,
        clientSecret: auth.clientSecret,
        clientAuth: auth.clientAuth,
        allowPrivateNetworks: opts.allowPrivateNetworks,
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      }),
    opts.clock,
  );
  return tokenAuthProvider(cache);
}
