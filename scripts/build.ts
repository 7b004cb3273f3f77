// The production build that `npm start` runs first (the `prestart` script): src/main.ts bundled by esbuild
// into dist/main.mjs, and the web assets prepared beside it (dist/web-assets.json). A start from it
// resolves no TypeScript, strips no types and compresses nothing (docs/performance.md, "Start-up").
// What the sources import lazily (await import(…)) becomes a chunk of its own, dist/<name>-<hash>.mjs: the
// entry itself turns the compile cache on before the rest is compiled, and a server not configured for
// PostgreSQL, Redis or an SMS gateway does not even parse their code.
// Incremental: when no input is newer than the last build, it only compares times and exits.
//
//   node scripts/build.ts            build if anything changed
//   node scripts/build.ts --force    build anyway
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const BUNDLE = path.join(DIST, 'main.mjs');
const ASSETS = path.join(DIST, 'web-assets.json');
/** esbuild's metafile: what went into which chunk, and which files the build wrote. */
const META = path.join(DIST, 'meta.json');
/** Written last: a build that failed half-way is never taken for a complete one. */
const STAMP = path.join(DIST, 'build.json');

// Packages that cannot be bundled: native addons (better-sqlite3, esbuild's binary), optional native
// bindings found by require() at run time (pg-native), and smpp, which the gateway loads itself by
// createRequire so that only a server configured for SMPP pays for it. And what Fastify require()s only
// in a set-up Qun does not run: its Ajv validator and fast-json-stringify serializer compilers (Qun gives
// it zod's, src/http/app.ts) and light-my-request (`inject()`, used by tests on the sources). Bundled,
// their ~530 KB were read, hashed and kept on the heap by every start; external, a require() that never
// happens costs nothing, and one that does finds them in node_modules, as better-sqlite3.
const EXTERNAL = [
  'better-sqlite3',
  'esbuild',
  'pg-native',
  'smpp',
  '@fastify/ajv-compiler',
  '@fastify/fast-json-stringify-compiler',
  'light-my-request',
];

// Node's own modules are taken by require() in the bundle, not by import: importing node:http as an ES
// module makes Node build its facade, which reads every export, and http's lazy WebSocket export loads
// undici (~100 ms of a start). require() hands over the module object and reads nothing.
const builtinsByRequire: Plugin = {
  name: 'builtins-by-require',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (a) =>
      (a.kind === 'import-statement' || a.kind === 'dynamic-import') && isBuiltin(a.path)
        ? { path: a.path, namespace: 'node-builtin' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (a) => ({
      contents: `module.exports = require(${JSON.stringify(a.path)});`,
      loader: 'js',
    }));
  },
};

// Our sources write some characters as themselves (the command grammar's full-width '＃' and '：', the
// quiet-hours words). esbuild escapes them in strings but not in regular expressions, and one such
// character makes V8 hold the whole chunk's source as two bytes a character and decode it the slow way.
// \uXXXX means the same in a string, a template, a regular expression and a comment (the sources hold
// no String.raw, where it would not).
const asciiSources: Plugin = {
  name: 'ascii-sources',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (a) =>
      a.path.startsWith(path.join(ROOT, 'src') + path.sep)
        ? {
            contents: fs
              .readFileSync(a.path, 'utf8')
              .replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
            loader: 'ts',
          }
        : undefined,
    );
  },
};

/** Every file whose change changes the build. */
function inputs(): string[] {
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? walk(p) : [p];
    });
  return [
    ...walk(path.join(ROOT, 'src')),
    ...walk(path.join(ROOT, 'web')),
    path.join(ROOT, 'package-lock.json'),
    path.join(ROOT, 'package.json'),
    fileURLToPath(import.meta.url),
  ].filter((f) => fs.existsSync(f));
}

/** The files a build wrote, from its metafile (none if there is none). */
function outputsOf(meta: string): string[] {
  try {
    const m = JSON.parse(fs.readFileSync(meta, 'utf8')) as { outputs: Record<string, unknown> };
    return Object.keys(m.outputs).map((f) => path.resolve(ROOT, f));
  } catch {
    return [];
  }
}

function upToDate(): boolean {
  let built: number;
  try {
    const stamp = JSON.parse(fs.readFileSync(STAMP, 'utf8')) as { node?: string };
    if (stamp.node !== process.version || !fs.existsSync(BUNDLE) || !fs.existsSync(ASSETS)) return false;
    built = fs.statSync(STAMP).mtimeMs;
  } catch {
    return false;
  }
  return inputs().every((f) => fs.statSync(f).mtimeMs < built);
}

async function build(): Promise<void> {
  const started = performance.now();
  // Loaded here: an up-to-date check needs neither.
  const esbuild = await import('esbuild');
  const { prepareWebAssets, serializePrepared } = await import('../src/http/web-assets.ts');
  fs.mkdirSync(DIST, { recursive: true });
  fs.rmSync(STAMP, { force: true });
  // A server still running from the last build imports some chunks only when first needed (web-push,
  // the OpenAPI document, a gateway): its files stay, and older ones go once this build is written.
  const previous = outputsOf(META);
  const out = await esbuild.build({
    entryPoints: [path.join(ROOT, 'src/main.ts')],
    // The metafile's paths are relative to this.
    absWorkingDir: ROOT,
    outdir: DIST,
    // Chunks sit beside the entry, not in a folder: modules that find the repository from their own
    // place (server.ts: import.meta.url + '..') are then as deep as in src/.
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22.18',
    external: EXTERNAL,
    plugins: [builtinsByRequire, asciiSources],
    // V8 keeps every module's source on the heap: whitespace and syntax are minified (~6 MB less RSS).
    // Identifiers are not: names stay as written (esbuild renames only on a clash), so stack traces
    // name the sources' functions; `node --enable-source-maps` maps their positions too.
    minifyWhitespace: true,
    minifySyntax: true,
    // Bundled CommonJS packages call require() for Node's modules and name __dirname; an ES module has
    // neither. Their __dirname uses (ioredis's package version, pino's worker transports, which Qun does
    // not use) read package files in try blocks or not at all, so dist/ serves.
    banner: {
      js: [
        "import { createRequire as __qunCreateRequire } from 'node:module';",
        "import { fileURLToPath as __qunFileUrlToPath } from 'node:url';",
        'const require = __qunCreateRequire(import.meta.url);',
        'const __filename = __qunFileUrlToPath(import.meta.url);',
        "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
      ].join(' '),
    },
    define: { QUN_PREBUILT_WEB_ASSETS: JSON.stringify(`./${path.basename(ASSETS)}`) },
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const prepared = await prepareWebAssets(
    path.join(ROOT, 'web'),
    path.join(ROOT, 'src/client/qun-client.ts'),
  );
  fs.writeFileSync(ASSETS, serializePrepared(prepared));
  // What went into which chunk, for `esbuild --analyze`-style questions (https://esbuild.github.io/analyze/).
  fs.writeFileSync(META, JSON.stringify(out.metafile));
  const keep = new Set([...previous, ...outputsOf(META), ASSETS, META, STAMP]);
  for (const f of fs.readdirSync(DIST)) if (!keep.has(path.join(DIST, f))) fs.rmSync(path.join(DIST, f));
  fs.writeFileSync(
    STAMP,
    `${JSON.stringify({ node: process.version, builtAt: new Date().toISOString() })}\n`,
  );
  const bytes = Object.values(out.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  process.stderr.write(
    `qun: built ${path.relative(ROOT, BUNDLE)} (${(bytes / 1e6).toFixed(1)} MB with its source map) and ` +
      `${path.relative(ROOT, ASSETS)} in ${Math.round(performance.now() - started)} ms\n`,
  );
}

if (process.argv.includes('--force') || !upToDate()) await build();
