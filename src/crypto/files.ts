// Files at rest hold every secret (encrypted) and the key that opens them: owner-only, always.

import { chmodSync, statSync } from 'node:fs';

/**
 * Takes group and other permissions away from an existing file or folder (to 0600 / 0700) and says
 * so through `notice`; a path that does not exist is left alone, also one that goes while it is
 * looked at (another node closing the store last deletes its -wal and -shm files).
 */
export function restrictToOwner(path: string, notice: (message: string) => void): void {
  try {
    const st = statSync(path);
    const mode = st.mode & 0o777;
    if ((mode & 0o077) === 0) return;
    const want = st.isDirectory() ? 0o700 : 0o600;
    chmodSync(path, want);
    notice(
      `${path} was readable by others (mode ${mode.toString(8).padStart(4, '0')}); changed it to ${want.toString(8).padStart(4, '0')}`,
    );
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
  }
}
