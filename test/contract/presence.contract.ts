// The PresenceRegistry contract: what every presence engine answers the same way for one node (memory,
// the store's entries on SQLite and PostgreSQL, Redis). The clock is the test's: expiry is checked by
// moving it, never by waiting. What several nodes see of each other is Redis's alone
// (test/integration/redis/presence-cluster.test.ts); the store's entries as such are the Store
// contract's (presence-trail.contract.ts).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { MemberPresence } from '../../src/domain/routing.ts';
import type { PresenceRegistry } from '../../src/presence/presence.ts';

export const T0 = 1_800_000_000_000;
const WEB_TTL = 60_000;
const GRACE = 5_000;

export interface PresenceOptions {
  now: () => number;
  webOnlineTtlMs: number;
  reconnectGraceMs: number;
  refreshMs: number;
}

/** Where registries keep their entries: one per case. Registries of one backend share it. */
export interface PresenceBackend {
  open(node: string, o: PresenceOptions): PresenceRegistry;
  close(): Promise<void>;
}

export interface PresenceFactory {
  backend(): Promise<PresenceBackend>;
  /** A registry opened again under the same node id finds what the last one left (not in memory). */
  survivesRestart: boolean;
}

export function presenceContract(engine: string, factory: PresenceFactory): void {
  describe(`Presence contract: ${engine}`, () => {
    let t = T0;
    const backends: PresenceBackend[] = [];
    const opened: PresenceRegistry[] = [];
    after(async () => {
      for (const r of opened) await r.close();
      for (const b of backends) await b.close();
    });
    const options = (): PresenceOptions => ({
      now: () => t,
      webOnlineTtlMs: WEB_TTL,
      reconnectGraceMs: GRACE,
      // The heartbeat never fires during a case: the clock is moved by hand.
      refreshMs: 600_000,
    });
    const backend = async () => {
      const b = await factory.backend();
      backends.push(b);
      return b;
    };
    const open = async (b: PresenceBackend, node = 'n1') => {
      const r = b.open(node, options());
      opened.push(r);
      await r.start();
      return r;
    };
    const view = async (r: PresenceRegistry, ids: number[]) => {
      const snap = await r.snapshot(ids, t);
      const out: Record<number, string> = {};
      for (const [id, p] of snap) out[id] = show(p);
      return out;
    };

    test('a member counts their live connections; after the last closes, reconnecting for one grace', async () => {
      t = T0;
      const r = await open(await backend());
      assert.deepEqual(await view(r, [1, 2]), {}, 'nobody has an entry yet');
      r.liveChanged(1, 1);
      r.liveChanged(1, 1);
      assert.deepEqual(await view(r, [1, 2]), { 1: 'live 2' });
      r.liveChanged(1, -1);
      assert.deepEqual(await view(r, [1]), { 1: 'live 1' });
      r.liveChanged(1, -1);
      assert.deepEqual(await view(r, [1]), { 1: 'reconnecting' });
      t += GRACE;
      assert.deepEqual(await view(r, [1]), { 1: 'reconnecting' }, 'still at the end of the grace');
      t += 1;
      assert.deepEqual(await view(r, [1]), {}, 'then nothing');
      // A socket that resumes within the grace is live again, and not reconnecting.
      r.liveChanged(1, 1);
      r.liveChanged(1, -1);
      t += GRACE - 1;
      r.liveChanged(1, 1);
      assert.deepEqual(await view(r, [1]), { 1: 'live 1' });
      assert.deepEqual(await view(r, []), {}, 'an empty question, an empty answer');
    });

    test('an inbox fetch makes a member web-online for the TTL; a later fetch extends it', async () => {
      t = T0;
      const r = await open(await backend());
      r.webFetched(7, t);
      assert.deepEqual(await view(r, [7, 8]), { 7: 'web' });
      t += 1000;
      r.webFetched(7, t);
      r.liveChanged(7, 1);
      assert.deepEqual(await view(r, [7]), { 7: 'live 1 + web' });
      r.liveChanged(7, -1);
      t = T0 + 1000 + WEB_TTL;
      assert.deepEqual(await view(r, [7]), { 7: 'web' }, 'the second fetch counts, to the end of its TTL');
      t += 1;
      assert.deepEqual(await view(r, [7]), {});
    });

    test('a snapshot answers every member asked about, a thousand at once', async () => {
      t = T0;
      const r = await open(await backend());
      const ids = Array.from({ length: 1000 }, (_, i) => 10_000 + i);
      for (const id of ids.slice(0, 10)) r.liveChanged(id, 1);
      for (const id of ids.slice(10, 20)) r.webFetched(id, t);
      const snap = await r.snapshot(ids, t);
      assert.equal(snap.size, 20);
      assert.equal([...snap.values()].filter((p) => p.liveConnections === 1).length, 10);
      assert.equal([...snap.values()].filter((p) => p.webOnline).length, 10);
    });

    if (factory.survivesRestart) {
      test('a restart under the same node id: its live members reconnecting for one grace, web-online kept', async () => {
        t = T0;
        const b = await backend();
        const first = await open(b);
        first.liveChanged(1, 1); // live when the node stops
        first.webFetched(2, t); // web-online when it stops
        first.liveChanged(3, 1);
        first.liveChanged(3, -1); // closed just before: reconnecting until T0 + GRACE
        await first.close();
        t = T0 + 1000;
        const again = await open(b);
        assert.deepEqual(await view(again, [1, 2, 3, 4]), {
          1: 'reconnecting',
          2: 'web',
          3: 'reconnecting',
        });
        t = T0 + GRACE + 1;
        assert.deepEqual(
          await view(again, [1, 2, 3]),
          { 1: 'reconnecting', 2: 'web' },
          '3 had the rest of its grace',
        );
        t = T0 + 1000 + GRACE + 1;
        assert.deepEqual(await view(again, [1, 2]), { 2: 'web' }, 'one grace from the start');
        t = T0 + WEB_TTL + 1;
        assert.deepEqual(await view(again, [2]), {}, 'the rest of the TTL, no more');
        // The restarted node's members are its own again.
        again.liveChanged(1, 1);
        assert.deepEqual(await view(again, [1]), { 1: 'live 1' });
      });
    }
  });
}

function show(p: MemberPresence): string {
  const parts: string[] = [];
  if (p.liveConnections > 0) parts.push(`live ${p.liveConnections}`);
  if (p.webOnline) parts.push('web');
  if (p.recentlyLive) parts.push('reconnecting');
  if (p.liveConnections > 0 && p.recentlyLive) throw new Error('live and reconnecting at once');
  return parts.join(' + ') || 'nothing';
}
