// The cached session and sender reads (src/store/cached/cached-reads.ts) on a real SQLite file. A second,
// uncached store on the same file stands for what this process cannot see (the `qun` command line,
// another node): its writes show within maxAgeMs; writes through the cached store show at once.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { cachedReads } from '../../../src/store/cached/cached-reads.ts';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../../src/store/store.ts';
import { groupWithMembers, T0 } from '../../contract/store-fixtures.ts';
import { tempDir } from '../../helpers/server.ts';

const HOUR = 3_600_000;

async function stores(
  body: (s: { cached: Store; outside: Store; tick: (ms: number) => void }) => Promise<void>,
) {
  const file = path.join(tempDir(), 'qun.db');
  let now = 0;
  const reads = cachedReads(await openSqliteStore(file, { gateway: 'sim' }), {
    now: () => now,
    maxAgeMs: 1000,
  });
  const outside = await openSqliteStore(file, { gateway: 'sim' });
  try {
    await body({ cached: reads.store, outside, tick: (ms) => (now += ms) });
  } finally {
    await outside.close();
    await reads.store.close();
  }
}

const memberOf = async (store: Store, groupId: number, userId: number) =>
  (await store.groups.senders([{ groupId, userId }]))[0]!.member?.state;

test('a removal made elsewhere is seen within maxAgeMs; one made through the store at once', async () => {
  await stores(async ({ cached, outside, tick }) => {
    const { group, users } = await groupWithMembers(cached, 3);
    const [, a, b] = users;
    assert.equal(await memberOf(cached, group.id, a!.id), 'active');
    assert.equal(await memberOf(cached, group.id, b!.id), 'active');

    const v = await outside.groups.version(group.id);
    assert.ok(
      await outside.groups.applyMembership(
        group.id,
        v,
        [{ userId: a!.id, state: 'removed', role: 'member' }],
        T0,
      ),
    );
    assert.equal(await memberOf(cached, group.id, a!.id), 'active', 'served from memory within maxAgeMs');
    tick(1001);
    assert.equal(await memberOf(cached, group.id, a!.id), 'removed', 'read again once older than maxAgeMs');

    assert.equal(await memberOf(cached, group.id, b!.id), 'active');
    const v2 = await cached.groups.version(group.id);
    assert.ok(
      await cached.groups.applyMembership(
        group.id,
        v2,
        [{ userId: b!.id, state: 'removed', role: 'member' }],
        T0,
      ),
    );
    assert.equal(
      await memberOf(cached, group.id, b!.id),
      'removed',
      'a write through the store drops the entry',
    );
  });
});

test('"not a member" is never kept: a member added elsewhere can send at once', async () => {
  await stores(async ({ cached, outside }) => {
    const { group } = await groupWithMembers(cached, 1);
    const c = await outside.users.upsertByPhone('+8613800000099', T0);
    assert.equal(await memberOf(cached, group.id, c.id), undefined);
    const v = await outside.groups.version(group.id);
    assert.ok(
      await outside.groups.applyMembership(
        group.id,
        v,
        [{ userId: c.id, state: 'active', role: 'member' }],
        T0,
      ),
    );
    assert.equal(await memberOf(cached, group.id, c.id), 'active');
  });
});

test('a rename or a policy change through the store is in the next sender read', async () => {
  await stores(async ({ cached }) => {
    const { group, owner } = await groupWithMembers(cached, 1);
    const read = async () => (await cached.groups.senders([{ groupId: group.id, userId: owner.id }]))[0]!;
    assert.equal((await read()).group?.name, 'Test');
    await cached.groups.rename(group.id, 'Renamed');
    assert.equal((await read()).group?.name, 'Renamed');
    await cached.groups.setPolicy(group.id, { escalateToSms: false });
    assert.equal((await read()).group?.escalateToSms, false);
    await cached.users.setDisplayName(owner.id, 'Ann');
    assert.equal((await read()).user?.displayName, 'Ann');
    assert.equal((await read()).member?.displayName, 'Ann');
  });
});

test('a session revoked through the store is refused at once, one revoked elsewhere within maxAgeMs', async () => {
  await stores(async ({ cached, outside, tick }) => {
    const a = await cached.users.upsertByPhone('+8613900000010', T0);
    const b = await cached.users.upsertByPhone('+8613900000011', T0);
    for (const h of ['a1', 'a2', 'a3']) await cached.users.createSession(h, a.id, T0, T0 + HOUR);
    await cached.users.createSession('b1', b.id, T0, T0 + HOUR);
    for (const h of ['a1', 'a2', 'a3']) assert.equal((await cached.users.sessionUser(h, T0 + 1))?.id, a.id);
    assert.equal((await cached.users.sessionUser('b1', T0 + 1))?.id, b.id);

    await cached.users.revokeSession('a1', T0 + 2);
    assert.equal(await cached.users.sessionUser('a1', T0 + 3), undefined);
    assert.equal((await cached.users.sessionUser('a2', T0 + 3))?.id, a.id);

    await outside.users.revokeSession('a2', T0 + 4);
    assert.equal(
      (await cached.users.sessionUser('a2', T0 + 5))?.id,
      a.id,
      'served from memory within maxAgeMs',
    );
    tick(1001);
    assert.equal(await cached.users.sessionUser('a2', T0 + 5), undefined);

    assert.equal((await cached.users.sessionUser('a3', T0 + 6))?.id, a.id);
    assert.equal(await cached.users.revokeAllSessions(a.id, T0 + 7), 1);
    assert.equal(await cached.users.sessionUser('a3', T0 + 8), undefined, 'sign out everywhere is at once');
    assert.equal((await cached.users.sessionUser('b1', T0 + 8))?.id, b.id, 'and no one else signed out');
  });
});

test('a cached session is never used past its expiry, and a rename shows in it at once', async () => {
  await stores(async ({ cached }) => {
    const a = await cached.users.upsertByPhone('+8613900000012', T0);
    await cached.users.createSession('s', a.id, T0, T0 + 1000);
    assert.equal((await cached.users.sessionUser('s', T0 + 999))?.displayName, null);
    await cached.users.setDisplayName(a.id, 'Bo');
    assert.equal((await cached.users.sessionUser('s', T0 + 999))?.displayName, 'Bo');
    assert.equal(await cached.users.sessionUser('s', T0 + 1000), undefined);
  });
});

test('an erasure drops everything cached', async () => {
  await stores(async ({ cached }) => {
    const { group, users } = await groupWithMembers(cached, 2);
    const a = users[1]!;
    await cached.users.createSession('t', a.id, T0, T0 + HOUR);
    assert.equal((await cached.users.sessionUser('t', T0 + 1))?.id, a.id);
    assert.equal(await memberOf(cached, group.id, a.id), 'active');
    assert.ok(await cached.maintenance.eraseMember(a.phone, T0 + 2));
    assert.equal(await cached.users.sessionUser('t', T0 + 3), undefined);
    assert.equal(await memberOf(cached, group.id, a.id), 'removed');
  });
});

test('a store method nobody classified is refused, so a new write cannot skip invalidation', async () => {
  const file = path.join(tempDir(), 'qun.db');
  const store = await openSqliteStore(file, { gateway: 'sim' });
  try {
    const withNew = { ...store, users: { ...store.users, setAvatar: async () => {} } } as Store;
    assert.throws(() => cachedReads(withNew, { now: Date.now }), /setAvatar is not classified/);
  } finally {
    await store.close();
  }
});
