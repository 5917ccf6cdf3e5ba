// Authentication of outbound calls: each auth type gives the headers to add. OAuth providers
// (token fetch and refresh) implement the same interface.

import type { AuthSpec } from '../connector.ts';

export interface AuthProvider {
  /** Headers to add to an attempt; never logged or written to a timeline. */
  headers(): Promise<Record<string, string>> | Record<string, string>;
  /** Called after a 401: true when the credentials were renewed and one resend is worthwhile. */
  renewAfterUnauthorized?(): Promise<boolean>;
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
