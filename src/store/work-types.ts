// Rows of the work around the actions (people, queues, cases), as the stores read and write them.

import type { CaseEvent } from '../processes/runner.ts';

// ---- people and queues (W1)
export interface UserRow {
  name: string;
  displayName: string;
  email: string | null;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A queue; `doc` is its QueueSpec without the name (members, allocation, description, integration). */
export interface QueueRow {
  name: string;
  doc: Record<string, unknown>;
  revision: number;
  createdAt: number;
  updatedAt: number;
}

export interface AllocationOutcome {
  actionId: string;
  queue: string;
  assignee: string | null;
  message: string;
}

// ---- cases and processes

export interface CaseFilter {
  status?: 'open' | 'closed';
  owner?: string;
  /** Cases whose own queue this is, or with an open action (To Do or In Progress) on it. */
  queue?: string;
  process?: string;
  /** Cases one of whose actions is escalated (the case's own flag), or none. */
  escalated?: boolean;
  /** Cases stopped at a failed step (the case's `stopped_at`, processes/case-stop.ts), or not stopped. */
  stopped?: boolean;
  /** Text in the title or the data, case-insensitive. */
  q?: string;
  /** Cases created before this id (ids are time-ordered), for paging newest first. */
  before?: string;
  limit: number;
  /** Cut the page once its cases' data and steps pass this many bytes (the case that crosses it is the last). */
  maxBytes?: number;
}

export interface CaseEventClaim {
  now: number;
  leaseUntil: number;
  limit: number;
  /** Only this case's event (a request moving its own case on at once). */
  caseId?: string;
}

export interface CaseOutboxRow {
  seq: number;
  caseId: string;
  event: CaseEvent;
  createdAt: number;
}
