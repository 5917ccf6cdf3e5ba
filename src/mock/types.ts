// The mock external system's request, answer and per-route state, shared by its routes and its provider.

import type { CallbackSender } from './callbacks.ts';

export interface MockRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Null when the URL has no query string. */
  query: URLSearchParams | null;
  /** The Idempotency-Key header, if any. */
  key: string | null;
  /** Parsed JSON or form body; null when there is none. */
  body: unknown;
  /** The Authorization header, for the OAuth-protected routes. */
  authorization: string | null;
}

export interface Answer {
  status: number;
  /** JSON text; empty for statuses that carry no body. */
  body: string;
  /** Extra headers as a flat [name, value, ...] list. */
  headers?: string[];
  /** Added to the global latency before answering. */
  delayMs?: number;
  /** Runs right after the answer has been written. */
  then?: () => void;
}

/** What the routes read and change; owned by the server, options mutable through setOptions. */
export interface RouteState {
  callbackDelayMs: number;
  rateBudget: { limit: number; perMs: number } | undefined;
  rateWindowStart: number;
  rateWindowCount: number;
  /** Requests seen per Idempotency-Key on /fail-then-ok ('' for requests without a key). */
  failThenOkCounts: Map<string, number>;
  nextRef: number;
  callbacks: CallbackSender;
  /** Access tokens issued by /oauth/token. */
  tokens: Set<string>;
}
