// The pages' static files, prepared once per process: the Preact app and the admin dashboard bundled by
// esbuild at server start (no separate build step: `npm start` does it), every file compressed ahead
// (brotli and gzip) and given a strong ETag; bundles get content-hashed names and are cached for a year.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';
import { favicon, pngIcon } from './icons.ts';

export interface Asset {
  body: Buffer;
  br: Buffer;
  gzip: Buffer;
  type: string;
  etag: string;
  /** Content-hashed name: cache for a year without asking again. */
  immutable: boolean;
}

export interface WebAssets {
  get(name: string): Asset | undefined;
  /** The hashed file name a bundle was given, e.g. app.js → app-3F2A1B.js. */
  hashed(logical: string): string;
  /** Encoded bytes of the named assets as a browser that accepts brotli gets them (docs, tests). */
  brotliBytes(names: string[]): number;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.svg': 'image/svg+xml',
};

function asset(body: Buffer | string, type: string, immutable: boolean): Asset {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  const compressible = !type.startsWith('image/png') && !type.startsWith('image/x-icon');
  return {
    body: buf,
    br: compressible
      ? zlib.brotliCompressSync(buf, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } })
      : buf,
    gzip: compressible ? zlib.gzipSync(buf, { level: 9 }) : buf,
    type,
    etag: `"${crypto.createHash('sha256').update(buf).digest('base64url').slice(0, 22)}"`,
    immutable,
  };
}

// One build per process and web folder: test suites start many servers, and the files do not change under them.
const built = new Map<string, Promise<WebAssets>>();

export function loadWebAssets(webDir: string, clientFile: string): Promise<WebAssets> {
  const key = `${webDir}\n${clientFile}`;
  let p = built.get(key);
  if (!p) {
    p = build(webDir, clientFile);
    built.set(key, p);
    p.catch(() => built.delete(key));
  }
  return p;
}

async function build(webDir: string, clientFile: string): Promise<WebAssets> {
  const files = new Map<string, Asset>();
  const logical = new Map<string, string>();
  const add = (name: string, file: string) => {
    const ext = path.extname(file);
    const src = fs.readFileSync(file, 'utf8');
    if (ext === '.ts')
      files.set(name.replace(/\.ts$/, '.js'), asset(stripTypeScriptTypes(src), TYPES['.js']!, false));
    else if (TYPES[ext]) files.set(name, asset(src, TYPES[ext]!, false));
  };
  // The older pages (/sim, /m's reminder script, the shared style sheet) are served as they are, type-stripped.
  for (const f of fs.readdirSync(webDir))
    if (fs.statSync(path.join(webDir, f)).isFile()) add(f, path.join(webDir, f));
  // The typed client's modules import each other by their .ts names, so each is also served under it.
  const clientDir = path.dirname(clientFile);
  for (const f of fs.readdirSync(clientDir).filter((n) => n.endsWith('.ts'))) {
    add(f, path.join(clientDir, f));
    files.set(f, files.get(f.replace(/\.ts$/, '.js'))!);
  }

  // esbuild is loaded only here, so nothing else in the server depends on it.
  const esbuild = await import('esbuild');
  const entries: Record<string, string> = {};
  for (const name of ['app', 'admin']) {
    const entry = path.join(webDir, name, 'main.ts');
    if (fs.existsSync(entry)) entries[name] = entry;
  }
  if (Object.keys(entries).length > 0) {
    const out = await esbuild.build({
      entryPoints: entries,
      bundle: true,
      minify: true,
      format: 'esm',
      target: ['chrome100', 'firefox100', 'safari15'],
      write: false,
      outdir: '/out',
      entryNames: '[name]-[hash]',
      metafile: true,
      legalComments: 'none',
      logLevel: 'silent',
    });
    for (const f of out.outputFiles) {
      const name = path.basename(f.path);
      files.set(name, asset(Buffer.from(f.contents), TYPES[path.extname(name)]!, true));
      const base = name.replace(/-[A-Z0-9]+(\.\w+)$/, '$1');
      logical.set(base, name);
    }
  }
  for (const size of [192, 512]) files.set(`icon-${size}.png`, asset(pngIcon(size), TYPES['.png']!, false));
  files.set('favicon.ico', asset(favicon(), TYPES['.ico']!, false));

  return {
    get: (name) => files.get(name),
    hashed: (name) => {
      const h = logical.get(name);
      if (!h) throw new Error(`no bundle named ${name} (is web/${name.split('.')[0]}/main.ts there?)`);
      return h;
    },
    brotliBytes: (names) => names.reduce((n, x) => n + (files.get(x)?.br.length ?? 0), 0),
  };
}

/** An asset made at request time from a template (HTML that names the hashed bundles), with the same treatment. */
export function dynamicAsset(body: string, type: string): Asset {
  return asset(body, type, false);
}

export { TYPES as ASSET_TYPES };
