// The Web Push key pair lives in the store: every node on one database answers the same key (also when
// they start at once on an empty one), and a key kept in vapid.json by an earlier release moves into it.
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import webpush from 'web-push';
import { freshDatabase, postgresInstalled } from '../helpers/postgres.ts';
import { startTestServer, tempDir } from '../helpers/server.ts';

const keyOf = async (s: {
  api: { req: (m: string, p: string) => Promise<{ json: { publicKey: string } }> };
}) => (await s.api.req('GET', '/v1/push/key')).json.publicKey;

test('SQLite: a vapid.json from an earlier release moves into the store and survives its removal', async () => {
  const dir = tempDir();
  const old = webpush.generateVAPIDKeys();
  await writeFile(join(dir, 'vapid.json'), JSON.stringify(old));
  const first = await startTestServer({ QUN_DATA_DIR: dir }, {}, { sqliteFile: true });
  try {
    assert.equal(await keyOf(first), old.publicKey);
  } finally {
    await first.close();
  }
  await rm(join(dir, 'vapid.json'));
  const second = await startTestServer({ QUN_DATA_DIR: dir }, {}, { sqliteFile: true });
  try {
    assert.equal(await keyOf(second), old.publicKey, 'the key now comes from the store');
  } finally {
    await second.close();
  }
});

if (postgresInstalled('VAPID key pair shared on PostgreSQL')) {
  test('PostgreSQL: nodes started at once on an empty store answer one key, and a later node too', async () => {
    const url = await freshDatabase();
    const env = { QUN_DATABASE_URL: url };
    const [a, b] = await Promise.all([
      startTestServer({ ...env, QUN_DATA_DIR: tempDir() }),
      startTestServer({ ...env, QUN_DATA_DIR: tempDir() }),
    ]);
    try {
      const key = await keyOf(a);
      assert.equal(Buffer.from(key, 'base64url').length, 65);
      assert.equal(await keyOf(b), key);
      // A third node whose data dir still has some other vapid.json: the store's key wins.
      const dir = tempDir();
      await writeFile(join(dir, 'vapid.json'), JSON.stringify(webpush.generateVAPIDKeys()));
      const c = await startTestServer({ ...env, QUN_DATA_DIR: dir });
      try {
        assert.equal(await keyOf(c), key);
      } finally {
        await c.close();
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('PostgreSQL: the first node of a grown install brings its vapid.json into the store', async () => {
    const url = await freshDatabase();
    const dir = tempDir();
    const old = webpush.generateVAPIDKeys();
    await writeFile(join(dir, 'vapid.json'), JSON.stringify(old));
    const a = await startTestServer({ QUN_DATABASE_URL: url, QUN_DATA_DIR: dir });
    const b = await startTestServer({ QUN_DATABASE_URL: url, QUN_DATA_DIR: tempDir() });
    try {
      assert.equal(await keyOf(a), old.publicKey);
      assert.equal(await keyOf(b), old.publicKey);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
}
