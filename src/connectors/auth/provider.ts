// Authentication of outbound calls: each auth type gives the headers to add. OAuth providers
// (token fetch and refresh) implement the same interface.

import type { AuthSpec } from '../connector.ts';

export interface AuthProvider {
  /** Headers to add to an attempt; never logged or written to a timeline. */
  headers(): Promise<Record<string, string>> | Record<string, string>;
  /** Called after a 401: true when the credentials were renewed and one resend is worthwhile. */
  renewAfterUnauthorized?(rejectedHeaders?: Record<string, string>): Promise<boolean>;
  /** Names of the headers this provider adds, so request logs can leave them out. */
  readonly headerNames: readonly string[];
}

export function staticAuth(auth: AuthSpec): AuthProvider {
  switch (auth.type) {
    case 'none':
      return { headers: () => ({}), headerNames: [] };
    case 'basic': {
      const h = { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
      return { headers: () => h, headerNames: ['authorization'] };
    }
    case 'bearer': {
      const h = { authorization: `Bearer ${auth.token}` };
      return { headers: () => h, headerNames: ['authorization'] };
    }
    case 'header': {
      const h = Object.fromEntries(Object.entries(auth.headers).map(([k, v]) => [k.toLowerCase(), v]));
      return { headers: () => h, headerNames: Object.keys(h) };
    }
    case 'oauth2_client_credentials':
    case 'oauth2_refresh_token':
      throw new Error(`auth type ${auth.type} needs an OAuth provider`);
  }
}

/** Which grant a token request used, so messages can say what was refused. */
export type TokenGrant = 'client_credentials' | 'refresh_token';

/**
 * The token endpoint answered and refused (a 4xx such as invalid_client or invalid_grant): retrying
 * will not help until someone fixes the connector's credentials. Carries the server's OAuth `error`
 * and `error_description`, never a secret.
 */
export class CredentialsRefusedError extends Error {
  readonly code = 'CREDENTIALS_REFUSED';
  readonly retryable = false;
  constructor(
    readonly grant: TokenGrant,
    /** The OAuth `error` code, or `http_<status>` when the answer had none. */
    readonly error: string,
    readonly errorDescription: string | undefined,
    readonly status: number,
  ) {
    super(
      `token endpoint refused the ${grant === 'client_credentials' ? 'client credentials' : 'refresh token'}: ${error}${errorDescription ? ` (${errorDescription})` : ''}`,
    );
    this.name = 'CredentialsRefusedError';
  }
}

/** Why a token could not be obtained although the credentials were not refused. */
export type TokenEndpointFailure = 'unreachable' | 'timeout' | 'server_error' | 'invalid_response';

/** The token endpoint could not be reached, timed out, failed (5xx, 429) or answered nonsense: retry later. */
export class TokenEndpointUnavailableError extends Error {
  readonly code = 'TOKEN_ENDPOINT_UNAVAILABLE';
  readonly retryable = true;
  constructor(
    readonly reason: TokenEndpointFailure,
    message: string,
    /** The HTTP status, when the endpoint answered. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'TokenEndpointUnavailableError';
  }
}
