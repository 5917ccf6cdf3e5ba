// What the benchmark reads about processes and the machine: CPU seconds of other processes (the
// database servers, the mock) from /proc, and the facts a result needs to be compared.

import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { execFileSync } from 'node:child_process';

/** USER_HZ: /proc reports CPU time in these ticks (100 on Linux). */
const TICKS_PER_SECOND = 100;

/** user + system CPU seconds of one process, or NaN if it is gone. */
export function cpuSecondsOfPid(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces: fields start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/**
 * Sum of CPU seconds of every process whose command name is one of `names` (e.g. postgres, redis-server).
 * Backends that exit between two readings take their time with them; the pools here keep theirs open.
 */
export function cpuSecondsOfCommands(names: readonly string[]): number {
  let total = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const comm = readFileSync(`/proc/${d}/comm`, 'utf8').trim();
      if (!names.some((n) => comm.startsWith(n))) continue;
      const v = cpuSecondsOfPid(Number(d));
      if (Number.isFinite(v)) total += v;
    } catch {
      /* the process exited while we looked */
    }
  }
  return total;
}

/** Resident set size of this process now, in MB. */
export function rssMb(): number {
  return process.memoryUsage.rss() / 1048576;
}

/** Peak resident set size of this process so far, in MB (ru_maxrss). */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  kernel: string;
  node: string;
  disk?: string;
}

export function machineInfo(): MachineInfo {
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    /* keep os.cpus() */
  }
  return {
    cpus: nproc,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    kernel: release(),
    node: process.version,
  };
}
