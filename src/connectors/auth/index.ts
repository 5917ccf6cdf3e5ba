// The auth provider for a connector, by auth type: static headers, or a token endpoint.

import type { AuthSpec } from '../connector.ts';
import type { Clock } from '../../clock.ts';
import type { ConnectorEntry } from '../../engine/registry.ts';
import { type AuthProvider, staticAuth } from './provider.ts';
import { clientCredentialsAuth } from './oauth-client-credentials.ts';
import { refreshTokenAuth, type RefreshTokenAuthProvider } from './oauth-refresh-token.ts';

export {
  type AuthProvider,
  CredentialsRefusedError,
  TokenEndpointUnavailableError,
  type TokenEndpointFailure,
  type TokenGrant,
  staticAuth,
} from './provider.ts';
export { closeTokenClients, isTokenAuthProvider, type TokenAuthProvider, TOKEN_TIMEOUT_MS } from './token-client.ts';

export interface AuthDeps {
  clock: Clock;
  /** Persist the rotated refresh token (encrypted): the one stored before it no longer works. Must not throw. */
  onRefreshTokenRotated?: (connectorId: string, token: string) => void;
  /** Same rule as outbound sends: token URLs on loopback or private addresses are refused unless true. */
  allowPrivateNetworks: boolean;
}

export function authProviderFor(entry: ConnectorEntry, deps: AuthDeps): AuthProvider {
  const auth = entry.spec.auth;
  switch (auth.type) {
    case 'oauth2_client_credentials':
      return clientCredentialsAuth(auth, { clock: deps.clock, allowPrivateNetworks: deps.allowPrivateNetworks });
    case 'oauth2_refresh_token': {
      const rotated = deps.onRefreshTokenRotated;
      return refreshTokenAuth(auth, {
        clock: deps.clock,
        allowPrivateNetworks: deps.allowPrivateNetworks,
        ...(rotated ? { onRefreshTokenRotated: (token: string) => rotated(entry.id, token) } : {}),
      });
    }
    default:
      return staticAuth(auth);
  }
}

/**
 * One provider per connector for the whole process, so the Sender and Test connection share the
 * cached token and, above all, the current refresh token (a rotated-away one is dead, and using it
 * again makes many servers revoke the whole grant).
 *
 * A new connector revision keeps its provider when the auth settings did not change, or changed only
 * by storing a refresh token this provider rotated to: persisting a rotation must not cause a refresh.
 */
export class AuthProviders {
  private byId = new Map<string, { auth: AuthSpec; provider: AuthProvider }>();

  constructor(private readonly deps: AuthDeps) {}

  for(entry: ConnectorEntry): AuthProvider {
    const hit = this.byId.get(entry.id);
    if (hit && sameAuth(hit.auth, entry.spec.auth, hit.provider)) return hit.provider;
    const provider = authProviderFor(entry, this.deps);
    this.byId.set(entry.id, { auth: entry.spec.auth, provider });
    return provider;
  }

  forget(connectorId: string): void {
    this.byId.delete(connectorId);
  }
}

function sameAuth(held: AuthSpec, next: AuthSpec, provider: AuthProvider): boolean {
  if (held.type === 'oauth2_refresh_token' && next.type === 'oauth2_refresh_token') {
    if (!(provider as RefreshTokenAuthProvider).hasHeld(next.refreshToken)) return false;
    return stableJson({ ...held, refreshToken: '' }) === stableJson({ ...next, refreshToken: '' });
  }
  return stableJson(held) === stableJson(next);
}

function stableJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}
