// The server's Node flags are written in three places a user runs it from: `npm start`, the systemd unit
// in docs/deployment.md, and the benchmarks (which import SERVER_NODE_FLAGS). The first two must agree.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../../../src/config/node-flags.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

test('npm start runs the server with every flag of SERVER_NODE_FLAGS', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const start = pkg.scripts.start!.split(/\s+/);
  assert.ok(start.includes('serve'));
  for (const flag of SERVER_NODE_FLAGS) assert.ok(start.includes(flag), `npm start lacks ${flag}`);
});

test('the systemd unit in docs/deployment.md starts the server with the same flags', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/deployment.md'), 'utf8');
  const execStart = doc.split('\n').filter((l) => l.startsWith('ExecStart=') && l.endsWith(' serve'));
  assert.ok(execStart.length > 0, 'no ExecStart=… serve line');
  for (const line of execStart)
    for (const flag of SERVER_NODE_FLAGS) assert.ok(line.split(' ').includes(flag), `${line} lacks ${flag}`);
});
