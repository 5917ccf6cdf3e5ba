// The case worker on its injected clock: it applies waiting events at its poll and when the engine
// announces a write of a case's action, and nothing while stopped. A real SQLite store.

import { afterEach, beforeEach, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../store/sqlite/store.ts';
import { FakeClock } from '../clock.ts';
import { createLogger } from '../logger.ts';
import type { Engine } from '../engine/engine.ts';
import type { Registry } from '../engine/registry.ts';
import { CaseLauncher } from './case-launcher.ts';
import { CaseWorker } from './case-worker.ts';
import { compileProcess } from './definition.ts';
import { newCaseRun } from './runner.ts';

const definition = compileProcess({ name: 'p', steps: [{ name: 'task', kind: 'manual', queue: 'hr' }] });
let dir: string;
let store: SqliteStore;
let clock: FakeClock;
let engine: EventEmitter & { dueAt(at: number): void };
let worker: CaseWorker;

const settle = () => new Promise((r) => setTimeout(r, 50));
const newCase = (id: string) =>
  store.createCase(
    {
      id,
      data: {},
      owner: null,
      createdAt: clock.now(),
      updatedAt: clock.now(),
      process: 'p',
      definition,
      steps: newCaseRun(definition, {}).steps,
    },
    { startEvent: { type: 'case_started' } },
  );

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'callout-worker-'));
  store = new SqliteStore({ file: join(dir, 'callout.db'), synchronous: 'normal' });
  await store.migrate();
  clock = new FakeClock();
  engine = Object.assign(new EventEmitter(), { dueAt: () => undefined });
  // Manual steps only: the launcher needs no action types.
  const launcher = new CaseLauncher({ store, registry: {} as Registry, engine: engine as unknown as Engine });
  worker = new CaseWorker({
    store,
    engine: engine as unknown as Engine,
    launcher,
    clock,
    logger: createLogger({ level: 'silent' }),
    pollIntervalMs: 1000,
  });
});
afterEach(async () => {
  await worker.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

it('applies waiting events at its poll, on its clock, and when the engine writes a case action', async () => {
  await newCase('c1');
  worker.start();
  clock.advance(0);
  // What it does is waited for (a loaded machine may take more than 50 ms); what it must not do yet gets a settle.
  await expect.poll(async () => (await store.getCase('c1'))?.steps?.[0]?.status).toBe('waiting_for_person');
  expect((await store.getCase('c1'))?.steps?.[0]).toMatchObject({ status: 'waiting_for_person', actionId: expect.any(String) });

  // Written by another node: found at the next poll, not before.
  await newCase('c2');
  clock.advance(500);
  await settle();
  expect((await store.getCase('c2'))?.steps?.[0]?.status).toBe('pending');
  clock.advance(600);
  await expect.poll(async () => (await store.getCase('c2'))?.steps?.[0]?.status).toBe('waiting_for_person');

  // An action of a case written by this node's engine wakes it at once.
  await newCase('c3');
  engine.emit('action', { caseId: 'c3' });
  clock.advance(0);
  // The clock stays short of the next poll however long this waits: only the wake can do it.
  await expect.poll(async () => (await store.getCase('c3'))?.steps?.[0]?.status).toBe('waiting_for_person');
});

it('does nothing while stopped', async () => {
  await newCase('c1');
  worker.start();
  await worker.stop();
  clock.advance(5000);
  await settle();
  expect((await store.getCase('c1'))?.steps?.[0]?.status).toBe('pending');
});

/** Holds the first read of a case (its apply) until released; counts every read of it. */
function holdFirstRead(id: string) {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let entered!: () => void;
  const inApply = new Promise<void>((r) => (entered = r));
  const hold = { reads: 0, inApply, release, getCase: store.getCase.bind(store) };
  store.getCase = async (caseId) => {
    if (caseId === id && hold.reads++ === 0) {
      entered();
      await held;
    }
    return hold.getCase(caseId);
  };
  return hold;
}

// Stopping while an event is applied: stop() waits for that apply, and claims nothing more meanwhile
// (it claimed again as each apply ended, so events written during the wait, such as the next step's of
// a case the engine moved on, were applied too, and a steady stream kept stop() and close() waiting).
it('claims nothing more once stopped, while it waits for the applies in flight', async () => {
  await newCase('c1');
  const { inApply, release, getCase } = holdFirstRead('c1');
  worker.start();
  clock.advance(0);
  await inApply;
  const stopped = worker.stop();
  await newCase('c2');
  release();
  await stopped;
  expect((await getCase('c1'))?.steps?.[0]?.status).toBe('waiting_for_person');
  await settle();
  expect((await getCase('c2'))?.steps?.[0]?.status).toBe('pending');
});

// An apply that outlasts its lease (a slow provider's submission) is not begun a second time by its own
// node: the event is claimable again, and a request's inline drain of the case claimed and applied it
// beside the first (a task submitted twice).
it('does not apply an event a second time on its own node while the first apply outlasts the lease', async () => {
  await newCase('c1');
  const hold = holdFirstRead('c1');
  const { inApply, release, getCase } = hold;
  worker.start();
  clock.advance(0);
  await inApply;
  clock.advance(31_000);
  await worker.drain('c1');
  expect(hold.reads).toBe(1);
  release();
  await settle();
  expect((await getCase('c1'))?.steps?.[0]?.status).toBe('waiting_for_person');
});
