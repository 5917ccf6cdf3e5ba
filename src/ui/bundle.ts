// The browser bundle: src/ui/client compiled by esbuild in this process on first request and kept
// in memory (minified, one JS and one CSS file), so there is no build step to remember and no CDN.

import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export interface Asset {
  body: Buffer;
  gzip: Buffer;
  type: string;
  /** Content hash: the asset URL carries it, so it can be cached for good. */
  hash: string;
}

export interface Bundle {
  js: Asset;
  css: Asset;
}

const CLIENT = fileURLToPath(new URL('./client/', import.meta.url));

function asset(body: Buffer, type: string): Asset {
  return { body, gzip: gzipSync(body, { level: 9 }), type, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) };
}

let cached: Promise<Bundle> | undefined;

/** Builds once per process; a failed build is retried on the next request. */
export function getBundle(): Promise<Bundle> {
  cached ??= buildBundle().catch((e: unknown) => {
    cached = undefined;
    throw e;
  });
  return cached;
}

async function buildBundle(): Promise<Bundle> {
  const r = await build({
    entryPoints: [`${CLIENT}main.tsx`],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    write: false,
    outfile: 'app.js',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const js = r.outputFiles.find((f) => f.path.endsWith('.js'));
  if (!js) throw new Error('the UI bundle has no JavaScript output');
  return {
    js: asset(Buffer.from(js.contents), 'text/javascript; charset=utf-8'),
    css: asset(readFileSync(`${CLIENT}styles.css`), 'text/css; charset=utf-8'),
  };
}
