// The CLI run as a user runs it: `callout <args>` in a child process, its exit status and output.

import { spawnSync } from 'node:child_process';

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `callout <args>` (the sources, through tsx) with env added to this process's, up to 60 s. */
export function cli(args: string[], env: Record<string, string>): CliRun {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
