// A loopback mock external system for one test file: started before its tests, closed after them,
// with how many requests each action (its Idempotency-Key) made to it.

import { afterAll, beforeAll } from 'vitest';
import { startMockServer, type MockServer } from '../../src/mock/server.ts';

export interface FileMock {
  readonly server: MockServer;
  readonly url: string;
  /** Requests that carried this action's id as their Idempotency-Key. */
  sends(id: string): number;
}

export function fileMock(): FileMock {
  let server: MockServer | undefined;
  beforeAll(async () => {
    server = await startMockServer();
  });
  afterAll(async () => server?.close());
  const started = (): MockServer => {
    if (!server) throw new Error('the mock starts in beforeAll: use it inside a test');
    return server;
  };
  return {
    get server() {
      return started();
    },
    get url() {
      return started().url;
    },
    sends: (id) => started().log.filter((e) => e.key === id).length,
  };
}

/** Lets real time pass: for work that happens on the loop, not on a test's fake clock. */
export const settle = (ms = 50): Promise<void> => new Promise((r) => setTimeout(r, ms));
