// Prepares a benchmark database on PostgreSQL: a throwaway local server (the tests' helper), a fresh
// database, and users, sessions, groups and members created through the Store itself — the PostgreSQL
// figures need only a few hundred rows, so no bulk path is needed.
import crypto from 'node:crypto';
import { sha256 } from '../../src/core/clock.ts';
import { openPostgresStore } from '../../src/store/postgres/pg-store.ts';
import { freshDatabase } from '../../test/helpers/postgres.ts';
import { phoneOf } from './seed.ts';

/** `groups` groups of `perGroup` members each, every member signed in; returns the URL and tokens. */
export async function seedGroupsOnPostgres(
  groups: number,
  perGroup: number,
): Promise<{ url: string; members: { token: string; groupId: number }[] }> {
  const url = await freshDatabase();
  const store = await openPostgresStore(url, { gateway: 'sim' });
  const now = Date.now();
  const members: { token: string; groupId: number }[] = [];
  try {
    for (let g = 0; g < groups; g++) {
      const users = [];
      for (let k = 0; k < perGroup; k++) {
        const user = await store.users.upsertByPhone(phoneOf(g * perGroup + k + 1), now);
        const token = crypto.randomBytes(32).toString('base64url');
        await store.users.createSession(sha256(token), user.id, now, now + 30 * 86_400_000);
        users.push({ user, token });
      }
      const group = await store.groups.create(
        {
          appNumber: '01',
          name: `bench ${g}`,
          invitePolicy: 'direct',
          memberCap: Math.max(1000, perGroup),
          ownerId: users[0]!.user.id,
        },
        (attempt) => String(1000 + g * 64 + attempt),
        now,
      );
      const others = users
        .slice(1)
        .map((u) => ({ userId: u.user.id, state: 'active' as const, role: 'member' as const }));
      if (!(await store.groups.applyMembership(group.id, 0, others, now))) throw new Error('seeding raced');
      for (const u of users) members.push({ token: u.token, groupId: group.id });
    }
  } finally {
    await store.close();
  }
  return { url, members };
}
