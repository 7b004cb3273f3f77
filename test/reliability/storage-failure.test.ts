// Storage failures as they happen to a real server: the SQLite file's disk fills up, the PostgreSQL
// server goes away. (Linux refuses to remount a file system read-only while a file on it is open for
// writing, so a read-only SQLite file shows up at start, as a refusal to open, not mid-run.) Writes are refused with storage_unavailable (503),
// nothing is half-written, /readyz reports it while /healthz stays a liveness check, and the server
// recovers by itself once the storage is back.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { startWalCheckpointer } from '../../src/store/sqlite/wal-checkpointer.ts';
import { postgresInstalled, startPostgresAgain, stopPostgres } from '../helpers/postgres.ts';
import { eventually, startTestServer, type TestServer, tempDir } from '../helpers/server.ts';

/** A small tmpfs of our own: filling it or making it read-only touches nothing else on the machine. */
function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch (e) {
    if (process.env.CI) throw new Error(`mounting a tmpfs needs root (CI runs as root): ${e}`);
    process.stderr.write(
      '\n*** SKIPPING the SQLite storage-failure tests: mounting a tmpfs needs root ***\n\n',
    );
    return false;
  }
}

async function post(s: TestServer, token: string, groupId: number, body: string) {
  return s.api.req('POST', `/v1/groups/${groupId}/messages`, { body, clientMsgId: body.slice(0, 64) }, token);
}

async function history(s: TestServer, token: string, groupId: number): Promise<string[]> {
  const h = await s.api.req('GET', `/v1/groups/${groupId}/messages?limit=500`, undefined, token);
  return h.json.messages.map((m: { body: string }) => m.body);
}

async function status(s: TestServer, p: string): Promise<number> {
  return (await fetch(s.url + p)).status;
}

describe('SQLite: the disk fills up', () => {
  const mountPoint = tempDir('qun-tmpfs-');
  const mounted = mountTmpfs(mountPoint, '8m');
  let s: TestServer;
  let token = '';
  let groupId = 0;
  before(async () => {
    if (!mounted) return;
    s = await startTestServer({ QUN_DATA_DIR: path.join(mountPoint, 'data') }, {}, { sqliteFile: true });
    token = await s.api.signIn('+8613500135200', () => s.settle());
    groupId = (await s.api.req('POST', '/v1/groups', { name: 'Disk' }, token)).json.id;
  });
  after(async () => {
    if (!mounted) return;
    await s?.close();
    execFileSync('umount', ['-l', mountPoint]);
  });

  test('a full disk: writes answer 503 storage_unavailable, nothing half-written, recovery without restart', {
    skip: !mounted,
  }, async () => {
    assert.equal((await post(s, token, groupId, 'before')).status, 201);
    // Fill the file system to the last byte.
    const filler = path.join(mountPoint, 'filler');
    const fd = fs.openSync(filler, 'w');
    const chunk = Buffer.alloc(64 * 1024, 1);
    try {
      for (;;) fs.writeSync(fd, chunk);
    } catch (e) {
      assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
    }
    try {
      for (;;) fs.writeSync(fd, Buffer.alloc(1, 1));
    } catch {}
    fs.closeSync(fd);
    // SQLite reuses its WAL after a checkpoint, so a few commits may still fit: write until one is refused.
    const accepted: string[] = [];
    let refused: { status: number; json: { error: { code: string } } } | undefined;
    for (let i = 0; i < 3000 && !refused; i++) {
      const r = await post(s, token, groupId, `full-${i}-${'x'.repeat(900)}`);
      if (r.status === 201) accepted.push(`full-${i}`);
      else refused = r;
    }
    assert.ok(refused, 'a write was refused once the disk was full');
    assert.equal(refused.status, 503);
    assert.equal(refused.json.error.code, 'storage_unavailable');
    assert.equal(await status(s, '/readyz'), 503, '/readyz reports the store');
    assert.equal(await status(s, '/healthz'), 200, '/healthz stays a liveness check');
    // Space again: the same server takes writes, without a restart.
    fs.rmSync(filler);
    assert.equal(await status(s, '/readyz'), 200);
    assert.equal((await post(s, token, groupId, 'after')).status, 201);
    const bodies = (await history(s, token, groupId)).map((b) => b.replace(/-x+$/, ''));
    assert.deepEqual(bodies, ['before', ...accepted, 'after'], 'exactly the accepted messages, in order');
  });
});

describe('SQLite: the WAL checkpoint on a full disk', () => {
  const mountPoint = tempDir('qun-tmpfs-cp-');
  const mounted = mountTmpfs(mountPoint, '8m');
  after(() => {
    if (mounted) execFileSync('umount', ['-l', mountPoint]);
  });

  test('a checkpoint the full disk refuses is retried by the same worker, which goes on once there is space', {
    skip: !mounted,
  }, async () => {
    const file = path.join(mountPoint, 'cp.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    // A slow worker, so that the WAL holds pages the database file has no room for when it runs.
    const cp = startWalCheckpointer(file, [db], { everyMs: 60_000 });
    try {
      const ins = db.prepare('INSERT INTO t (v) VALUES (randomblob(3500))');
      db.transaction(() => {
        for (let i = 0; i < 500; i++) ins.run(); // ~2 MB in the WAL, not yet in the database file
      })();
      const filler = path.join(mountPoint, 'filler');
      const fd = fs.openSync(filler, 'w');
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(64 * 1024, 1));
      } catch {}
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(1, 1));
      } catch {}
      fs.closeSync(fd);
      await cp.stop(); // the slow worker gives way to one that runs every 20 ms on the full disk
      const again = startWalCheckpointer(file, [db], { everyMs: 20 });
      try {
        await eventually(
          () => (warnings.some((w) => /WAL checkpoint failed/.test(w)) ? true : undefined),
          10_000,
          'the refused checkpoint to be reported',
        );
        assert.equal(again.running(), true, 'a refused pass does not end the worker');
        fs.rmSync(filler);
        await eventually(
          () => (again.framesCheckpointed() >= 500 ? true : undefined),
          10_000,
          'the retried checkpoint',
        );
        assert.equal(again.running(), true);
      } finally {
        await again.stop();
      }
    } finally {
      process.off('warning', onWarning);
      db.close();
    }
  });
});

describe('PostgreSQL: the database server goes away and comes back', () => {
  if (!postgresInstalled('storage failure on PostgreSQL')) return;
  let s: TestServer;
  let token = '';
  let groupId = 0;
  before(async () => {
    const { freshDatabase } = await import('../helpers/postgres.ts');
    s = await startTestServer({ QUN_DATABASE_URL: await freshDatabase() });
    token = await s.api.signIn('+8613500135201', () => s.settle());
    groupId = (await s.api.req('POST', '/v1/groups', { name: 'Outage' }, token)).json.id;
  });
  after(() => s?.close());

  test('writes answer 503 while it is down, /readyz says so, and the pool reconnects by itself', async () => {
    assert.equal((await post(s, token, groupId, 'before')).status, 201);
    await stopPostgres();
    try {
      const r = await post(s, token, groupId, 'during');
      assert.equal(r.status, 503);
      assert.equal(r.json.error.code, 'storage_unavailable');
      assert.equal(await status(s, '/readyz'), 503);
      assert.equal(await status(s, '/healthz'), 200);
    } finally {
      await startPostgresAgain();
    }
    assert.equal(await status(s, '/readyz'), 200);
    assert.equal((await post(s, token, groupId, 'after')).status, 201);
    assert.deepEqual(await history(s, token, groupId), ['before', 'after']);
  });
});
