// Takeover: every engine keeps a heartbeat in the store, and takes back the claims of nodes that have
// died, within seconds, whatever the lease (the longest connector timeout plus a margin) says.
//
// A node's id is one life of one process: `<name>#<random>`, the lease owner its claims carry. Dead is:
// - on this host: its process is gone (or, with this process's pid, it is not one of the engines
//   running here), known at once; so a node restarting on the same data takes back its previous life's
//   claims before its first claim, without waiting for a heartbeat to age. "This host" is where a pid
//   names the same process: the host name, the kernel's boot and the pid namespace (hostIdentity).
//   Two containers of one name (host networking, a set `hostname:`), each its own pid 1, took each
//   other for a previous life every two seconds and sent every action again; a container restarted
//   in a new pid namespace is now found by its heartbeat instead (within 60 % of the setting);
// - elsewhere: no heartbeat within 60 % of the takeover setting. Heartbeats and checks come every
//   fifth of it, so a death is acted on within 80 % of the setting, and a node stalled for less than
//   three heartbeats is not taken for dead. (A node wrongly taken for dead loses only its claims: its
//   writes meet the version guard, and it records itself again at its next heartbeat.)
// Heartbeats are stamped with the engine's clock; nodes on different hosts need clocks within a
// fraction of the setting of each other (NTP).

import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { NodeRow, Store } from '../store/types.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';

/** The engines running in this process (tests and tools may run several on one store). */
const alive = new Set<string>();

export interface Self {
  id: string;
  host: string;
  pid: number;
  startedAt: number;
}

/**
 * Where a pid names the same process: the host name and, on Linux, the kernel's boot id (machines of
 * one name, clones) and this process's pid namespace (containers of one name). Elsewhere, the name.
 */
export function hostIdentity(): string {
  const name = hostname();
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const pidNamespace = /\d+/.exec(readlinkSync('/proc/self/ns/pid'))?.[0] ?? '';
    return `${name} boot:${boot} pidns:${pidNamespace}`;
  } catch {
    return name;
  }
}

/** Whether a process with this pid runs on this host (EPERM: it runs, as another user). */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The nodes among `rows` that are dead, as seen by `me` at `now` (see the top of this file). */
export function deadNodes(
  rows: NodeRow[],
  me: Self,
  now: number,
  takeoverAfterMs: number,
  runs: (pid: number) => boolean = processRuns,
  here: ReadonlySet<string> = alive,
): string[] {
  const stale = (r: NodeRow): boolean => r.heartbeatAt < now - takeoverAfterMs * 0.6;
  return rows
    .filter((r) => {
      if (r.id === me.id) return false;
      if (r.host !== me.host) return stale(r);
      if (r.pid === me.pid) return !here.has(r.id);
      return !runs(r.pid) || stale(r);
    })
    .map((r) => r.id);
}

export interface NodeHeartbeatOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** The node's name (logs); its id adds a random part per life. */
  name: string;
  takeoverAfterMs: number;
  /** Claims were taken back: look for work now. */
  onTakenBack: (count: number) => void;
}

export class NodeHeartbeat {
  readonly self: Self;
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> = Promise.resolve();

  constructor(private readonly o: NodeHeartbeatOptions) {
    this.self = { id: `${o.name}#${randomBytes(4).toString('hex')}`, host: hostIdentity(), pid: process.pid, startedAt: o.clock.now() };
  }

  /** Records this node, takes back what dead nodes (a previous life first of all) held, and keeps beating. */
  async start(): Promise<void> {
    alive.add(this.self.id);
    await this.beat(true);
    // Real time, not the engine's clock: a fake clock advanced by hours must not fire a heartbeat per step.
    this.timer = setInterval(
      () => {
        this.beating = this.beating.then(() => this.beat(false));
      },
      Math.max(50, this.o.takeoverAfterMs / 5),
    );
    this.timer.unref();
  }

  /** Stops beating and forgets this node (its claims, if any are left, are released). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    alive.delete(this.self.id);
    await this.beating;
    await this.o.store
      .takeOver({ nodeIds: [this.self.id], orphans: false, now: this.o.clock.now() })
      .catch((err) => this.o.logger.warn({ err }, 'removing this node from the store failed; others will in a few seconds'));
  }

  private async beat(first: boolean): Promise<void> {
    try {
      const now = this.o.clock.now();
      await this.o.store.heartbeatNode({ ...this.self, heartbeatAt: now });
      const dead = deadNodes(await this.o.store.listNodes(), this.self, now, this.o.takeoverAfterMs);
      if (dead.length === 0 && !first) return;
      const ids = await this.o.store.takeOver({ nodeIds: dead, orphans: first, now });
      if (ids.length > 0) {
        this.o.logger.warn({ nodes: dead, actions: ids.length }, 'took back the work of nodes that stopped');
        this.o.onTakenBack(ids.length);
      }
    } catch (err) {
      this.o.logger.warn({ err }, 'the node heartbeat failed; retrying');
    }
  }
}
