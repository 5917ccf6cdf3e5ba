// Secrets at rest: AES-256-GCM with a key from CALLOUT_SECRET_KEY or, on the embedded store, a key
// generated on first start and kept beside the data with owner-only permissions.

import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { restrictToOwner } from './files.ts';

export interface Encrypted {
  $enc: string;
  /**
   * The destination the secret was entered for: its origin (for OAuth, the token URL's and the API's,
   * space-separated). Also in the ciphertext's additional data. Absent on secrets stored before the binding.
   */
  origin?: string;
}

export class SecretBox {
  private readonly key: Buffer;
  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the secret key must be 32 bytes (64 hex characters or 44 base64 characters)');
    this.key = key;
  }

  static fromString(text: string): SecretBox {
    const t = text.trim();
    return new SecretBox(/^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64'));
  }

  /** The key file beside the data: created once, readable by its owner only (tightened, with a notice, if it was not). */
  static fromFile(path: string, notice: (message: string) => void = () => {}): SecretBox {
    if (!existsSync(path)) {
      writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    }
    restrictToOwner(path, notice);
    return SecretBox.fromString(readFileSync(path, 'utf8'));
  }

  /**
   * `bound` is authenticated but not encrypted (AES-GCM additional data): decrypting with any other
   * `bound` fails, so a secret bound to a destination cannot be opened for another one.
   */
  encrypt(plain: string, bound?: string): Encrypted {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    if (bound !== undefined) c.setAAD(Buffer.from(bound, 'utf8'));
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return { $enc: Buffer.concat([iv, c.getAuthTag(), body]).toString('base64') };
  }

  /** Throws when the key is wrong, the text was altered, or `bound` is not what it was encrypted with. */
  decrypt(e: Encrypted, bound?: string): string {
    const raw = Buffer.from(e.$enc, 'base64');
    const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    if (bound !== undefined) d.setAAD(Buffer.from(bound, 'utf8'));
    d.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
  }

  /** A keyed MAC, used for callback tokens: unguessable without the key, checkable without a lookup. */
  mac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('base64url').slice(0, 32);
  }

  macMatches(text: string, mac: string): boolean {
    const expected = Buffer.from(this.mac(text));
    const given = Buffer.from(mac);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}

export const isEncrypted = (v: unknown): v is Encrypted => typeof v === 'object' && v !== null && typeof (v as Encrypted).$enc === 'string';
