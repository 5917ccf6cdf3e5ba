// The secret key a store was written with. The store keeps the key's fingerprint (a MAC of a fixed
// text: it tells nothing of the key), so a node with another key refuses to start, saying which
// setting to mend, rather than failing to open each stored secret and callback token one by one (a
// 500 on a connector, a callback that never lands). A store restored without its key file gets no
// new one written beside it.

import { closeSync, existsSync, fsyncSync, linkSync, openSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { SetupError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import { SecretBox } from './secrets.ts';

const FINGERPRINT_SETTING = 'secret_key_fingerprint';
const fingerprint = (box: SecretBox): string => box.mac('callout:secret-key-fingerprint:v1');

/**
 * The store's secret key: `secretKey` (CALLOUT_SECRET_KEY) when given, else the key file beside an
 * embedded store's data (`keyFile`), created for a new store. A store that first opens with this
 * version records the key it is opened with.
 */
export async function openStoreKey(
  store: Pick<Store, 'ensureSetting'>,
  opts: { secretKey?: string; keyFile: string | null; notice?: (message: string) => void },
): Promise<SecretBox> {
  if (opts.secretKey || opts.keyFile === null) {
    const box = SecretBox.fromString(opts.secretKey ?? '');
    await check(store, box, 'CALLOUT_SECRET_KEY is not the key this store was written with: set it to that key');
    return box;
  }
  const keyFile = opts.keyFile;
  if (existsSync(keyFile)) {
    const box = SecretBox.fromFile(keyFile, opts.notice);
    await check(
      store,
      box,
      `${keyFile} is not the key this store was written with: put the store's own secret.key there (it is kept beside callout.db; back them up together), or set CALLOUT_SECRET_KEY to that key`,
    );
    return box;
  }
  // A new key: on disk first, then its fingerprint in the store. The other order left a store that a
  // failed write of the file (a full disk, a crash) made impossible to start: its fingerprint named a
  // key that existed nowhere. The file appears whole or not at all (written aside, then linked).
  const text = randomBytes(32).toString('hex');
  const box = SecretBox.fromString(text);
  const aside = `${keyFile}.${process.pid}.${randomBytes(4).toString('hex')}.new`;
  const fd = openSync(aside, 'wx', 0o600);
  try {
    writeSync(fd, text + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(aside, keyFile);
  } catch (e) {
    // Another process opening the same new store made it first: use that one.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return openStoreKey(store, opts);
    throw e;
  } finally {
    rmSync(aside, { force: true });
  }
  if ((await store.ensureSetting(FINGERPRINT_SETTING, fingerprint(box))) !== fingerprint(box)) {
    // A store restored without its key file: the new file would only hide that.
    rmSync(keyFile, { force: true });
    throw new SetupError(
      `this store was written with a secret key, and ${keyFile} is missing: restore the secret.key that was beside callout.db, or set CALLOUT_SECRET_KEY to that key`,
    );
  }
  return SecretBox.fromFile(keyFile, opts.notice);
}

async function check(store: Pick<Store, 'ensureSetting'>, box: SecretBox, message: string): Promise<void> {
  if ((await store.ensureSetting(FINGERPRINT_SETTING, fingerprint(box))) !== fingerprint(box)) throw new SetupError(message);
}
