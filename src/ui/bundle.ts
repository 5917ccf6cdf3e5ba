// The browser bundle: src/ui/client compiled by esbuild in this process on first request and kept
// in memory (minified, one JS and one CSS file), so there is no build step to remember and no CDN.
// A tool only some builders use (the cURL import) is a dynamic import(): esbuild splits it into a
// chunk of its own, fetched when first used, so every page load does not carry it. esbuild keeps its
// small runtime helpers in a chunk of their own that app.js imports: the page preloads those.

import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { basename } from 'node:path';

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
  /** The other JavaScript files, by name (chunk-<content hash>.js, served beside app-<hash>.js). */
  chunks: Map<string, Asset>;
  /** The chunks app.js imports statically: every page load fetches them, so they count in its size. */
  initial: string[];
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
    splitting: true,
    outdir: '/',
    entryNames: 'app',
    chunkNames: 'chunk-[hash]',
    legalComments: 'none',
    logLevel: 'silent',
    metafile: true,
  });
  const type = 'text/javascript; charset=utf-8';
  const js = r.outputFiles.find((f) => f.path === '/app.js');
  if (!js) throw new Error('the UI bundle has no JavaScript output');
  const chunks = r.outputFiles.filter((f) => /^\/chunk-[\w-]+\.js$/.test(f.path));
  return {
    js: asset(Buffer.from(js.contents), type),
    css: asset(readFileSync(`${CLIENT}styles.css`), 'text/css; charset=utf-8'),
    chunks: new Map(chunks.map((f) => [f.path.slice(1), asset(Buffer.from(f.contents), type)])),
    initial: Object.entries(r.metafile.outputs)
      .filter(([path]) => basename(path) === 'app.js')
      .flatMap(([, o]) => o.imports.filter((i) => i.kind === 'import-statement').map((i) => basename(i.path))),
  };
}
