// The pages' static files, prepared once: the Preact app and the admin dashboard bundled by esbuild,
// every file compressed ahead (brotli and gzip) and given a strong ETag; bundles get content-hashed names
// and are cached for a year. The production build (scripts/build.ts, run by `npm start`) prepares them
// into one file beside the server bundle, because compressing at quality 11 is most of a start's CPU;
// run from the sources (tests, `node src/main.ts`), they are prepared at start, once per process.
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

/** What a build prepared: the assets by served name, and each bundle's logical name → hashed name. */
export interface PreparedAssets {
  files: Map<string, Asset>;
  logical: Map<string, string>;
}

// Defined (esbuild `define`) only in the production bundle: the prepared assets' file, relative to the
// bundle. From the sources it is undeclared, and `typeof` says so without a ReferenceError.
declare const QUN_PREBUILT_WEB_ASSETS: string | undefined;
const PREBUILT =
  typeof QUN_PREBUILT_WEB_ASSETS === 'string' ? new URL(QUN_PREBUILT_WEB_ASSETS, import.meta.url) : undefined;

// One build per process and web folder: test suites start many servers, and the files do not change under them.
const built = new Map<string, Promise<WebAssets>>();

export function loadWebAssets(webDir: string, clientFile: string): Promise<WebAssets> {
  const key = `${webDir}\n${clientFile}`;
  let p = built.get(key);
  if (!p) {
    p = (PREBUILT ? readPrepared(PREBUILT) : prepareWebAssets(webDir, clientFile)).then(served);
    built.set(key, p);
    p.catch(() => built.delete(key));
  }
  return p;
}

interface StoredAsset extends Omit<Asset, 'body' | 'br' | 'gzip'> {
  body: string;
  /** Absent when the encoding is the body itself (PNG, ICO). */
  br?: string;
  gzip?: string;
}

/** The prepared assets as one JSON text (base64 bodies), for the production build to write. */
export function serializePrepared(p: PreparedAssets): string {
  const files: Record<string, StoredAsset> = {};
  for (const [name, a] of p.files) {
    files[name] = {
      type: a.type,
      etag: a.etag,
      immutable: a.immutable,
      body: a.body.toString('base64'),
      ...(a.br !== a.body ? { br: a.br.toString('base64') } : {}),
      ...(a.gzip !== a.body ? { gzip: a.gzip.toString('base64') } : {}),
    };
  }
  return JSON.stringify({ files, logical: Object.fromEntries(p.logical) });
}

async function readPrepared(file: URL): Promise<PreparedAssets> {
  const j = JSON.parse(await fs.promises.readFile(file, 'utf8')) as {
    files: Record<string, StoredAsset>;
    logical: Record<string, string>;
  };
  const files = new Map<string, Asset>();
  // Names that served the same asset (a client module under its .ts and .js name) share it again.
  const byEtag = new Map<string, Asset>();
  for (const [name, s] of Object.entries(j.files)) {
    let a = byEtag.get(s.etag);
    if (!a) {
      const body = Buffer.from(s.body, 'base64');
      a = {
        type: s.type,
        etag: s.etag,
        immutable: s.immutable,
        body,
        br: s.br === undefined ? body : Buffer.from(s.br, 'base64'),
        gzip: s.gzip === undefined ? body : Buffer.from(s.gzip, 'base64'),
      };
      byEtag.set(s.etag, a);
    }
    files.set(name, a);
  }
  return { files, logical: new Map(Object.entries(j.logical)) };
}

function served({ files, logical }: PreparedAssets): WebAssets {
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

/** Bundles, compresses and hashes every asset: the slow part, done at start or by the production build. */
export async function prepareWebAssets(webDir: string, clientFile: string): Promise<PreparedAssets> {
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
  // The pages' shells name the hashed bundles; served at / and /admin (page-routes.ts), revalidated by ETag.
  for (const name of ['app', 'admin']) {
    const file = path.join(webDir, name, 'index.html');
    if (!fs.existsSync(file)) continue;
    let text = fs.readFileSync(file, 'utf8');
    for (const ext of ['js', 'css']) {
      const hashed = logical.get(`${name}.${ext}`);
      if (hashed) text = text.replaceAll(`{{${name}.${ext}}}`, `/assets/${hashed}`);
    }
    files.set(`${name}/index.html`, asset(text, TYPES['.html']!, false));
  }
  for (const size of [192, 512]) files.set(`icon-${size}.png`, asset(pngIcon(size), TYPES['.png']!, false));
  files.set('favicon.ico', asset(favicon(), TYPES['.ico']!, false));
  return { files, logical };
}

export { TYPES as ASSET_TYPES };
