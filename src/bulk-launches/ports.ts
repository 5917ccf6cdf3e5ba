// What bulk launches, bulk replays and schedules need from the rest of Callout, as small interfaces:
// the services take these in their constructors, so they are tested (and later rewired) on their own.

import type { Resolution } from '../lifecycle/states.ts';

/** Who launches: a person (`user:<name>`) or Callout itself (a schedule). */
export type LaunchActor = `user:${string}` | 'system';
import type { FieldSpec } from '../templates/fields.ts';
import type { InputResult } from '../templates/validate.ts';

export interface ActionLaunchRequest {
  actionType: string;
  input?: Record<string, unknown>;
}

export interface Launcher {
  /** One action; a repeat with the same key returns the first action and launches nothing. */
  launch(req: ActionLaunchRequest, opts: { idempotencyKey: string; actor: LaunchActor }): Promise<{ action: { id: string } }>;
  /**
   * Many actions in one transaction, each under its launch key; every request is validated first (a
   * ValidationError names the fields of the first bad one), and a key already used fails the batch (ConflictError).
   */
  launchMany(reqs: ActionLaunchRequest[], actor: LaunchActor, opts: { launchKeys: readonly string[] }): Promise<string[]>;
}

export interface CaseLaunch {
  process: string;
  title?: string | null;
  data: Record<string, unknown>;
  owner?: string | null;
}

/** Launches a case of a process; a repeat with the same key returns the first case. */
export interface CaseLauncher {
  create(body: CaseLaunch, opts: { idempotencyKey: string; actor: LaunchActor }): Promise<{ id: string }>;
}

/** The action types as the registry holds them (only what rows and filters need). */
export interface ActionTypes {
  actionType(idOrName: string): Promise<{
    compiled: {
      id: string;
      spec: { name: string; connectorId: string };
      templates: { fields: Readonly<Record<string, FieldSpec>>; validateInput(input: unknown): InputResult };
    };
  }>;
}

/** Changes an action as a person would (the engine's lifecycle); throws InvalidStateError when not allowed. */
export interface ActionChanger {
  retry(id: string, user: string): Promise<unknown>;
  close(id: string, user: string, resolution: Resolution, note?: string): Promise<unknown>;
}

/** Action types of a connector, for filters naming a connector. */
export interface Connectors {
  actionTypeIdsOf(connectorIdOrName: string): Promise<string[] | undefined>;
}
