// Which way the arrows point (../shared/STYLE.md, CONTRIBUTING.md): the core imports the domain, its own
// ports and shared utilities, never a channel, a gateway, an ingress or a store engine; the domain imports
// nothing of ours but itself. Read from the source files, so a new import that breaks the rule fails here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/server.ts';

const SRC = path.join(ROOT, 'src');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import of a file, as a path under src/. */
function imports(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g))
    out.push(path.relative(SRC, path.resolve(path.dirname(file), m[1]!)));
  return out;
}

function violations(folder: string, allowed: (target: string) => boolean): string[] {
  return files(path.join(SRC, folder)).flatMap((f) =>
    imports(f)
      .filter((t) => !allowed(t))
      .map((t) => `${path.relative(SRC, f)} imports ${t}`),
  );
}

test('core/ imports only the domain, its own ports, utilities and the interfaces it is given', () => {
  const allowed = (t: string) =>
    /^(core|domain|util|errors)\//.test(t) ||
    [
      'store/store.ts', // the Store port (STYLE.md keeps the interface beside its engines)
      'store/storage-errors.ts',
      'presence/presence.ts', // the Presence port, likewise
      'apps/app-module.ts',
      'apps/registry.ts', // the app router knows apps only by number
      'config/config.ts',
    ].includes(t);
  assert.deepEqual(violations('core', allowed), []);
});

test('domain/ is pure: it imports nothing of ours but the domain', () => {
  assert.deepEqual(
    violations('domain', (t) => t.startsWith('domain/')),
    [],
  );
});

test('a channel never imports an ingress (http/, ws/) or the composition root', () => {
  assert.deepEqual(
    violations('channels', (t) => !/^(http|ws)\//.test(t) && t !== 'server.ts'),
    [],
  );
});
