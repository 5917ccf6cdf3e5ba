import { describe, expect, it } from 'vitest';
import { startupProblem } from './startup-errors.ts';

const fsError = (code: string, path: string): Error => Object.assign(new Error(`${code}: failed, open '${path}'`), { code, path });

describe('startupProblem', () => {
  it('tells a read-only or full data folder in one line naming the setting (a stack trace before)', () => {
    expect(startupProblem(fsError('EROFS', '/srv/callout/callout.db'))).toBe(
      '/srv/callout/callout.db is on a read-only file system: CALLOUT_DATA_DIR (--data-dir) must name a folder this process can write',
    );
    expect(startupProblem(fsError('ENOSPC', '/srv/callout/callout.db'))).toBe(
      'no space left on the device of /srv/callout/callout.db: free some, or set CALLOUT_DATA_DIR (--data-dir) to a folder on another',
    );
  });
  it('leaves what it does not know to its stack trace', () => {
    expect(startupProblem(fsError('EIO', '/srv/callout/callout.db'))).toBeUndefined();
    expect(startupProblem(new Error('boom'))).toBeUndefined();
  });
});
