// The two reads every send makes — whose session is this, and may this user send to this group — from
// memory, in front of any store. Each costs one to three statements on SQLite (about a seventh of the
// server's time under WebSocket ingest, a thirteenth under HTTP) or a round trip on PostgreSQL, and
// their answers change rarely.
//
// Invalidation: every write made through this store object that can change a cached answer drops it
// when the write settles (so a read after it is fresh), classified method by method below; a store
// method that is not classified is refused at construction, so a new write cannot skip this. Writes
// this process cannot see (another node, the `qun` command line on the same database) are visible
// within `maxAgeMs`; another node's membership changes sooner, by its hint (invalidateGroup).
// A session is never used past its expiry, to the millisecond, whatever the cache holds.
import type { GroupStore, Sender, Store, User, UserStore } from '../store.ts';

export interface CachedReadsOptions {
  /** How long an answer may be used without a write through this store; default 1 s. */
  maxAgeMs?: number;
  /** Entries kept per cache (oldest dropped first); default 20,000. */
  maxEntries?: number;
  now: () => number;
}

export interface CachedReads {
  readonly store: Store;
  /** Another node changed the group's memberships (its hint). */
  invalidateGroup(groupId: number): void;
  invalidateAll(): void;
}

type Entry<T> = { at: number; p: Promise<T>; userId?: number };
type SessionAnswer = { user: User; expiresAt: number } | undefined;

/** How each method of the cached parts touches the caches: a read, or what a write invalidates. */
type Effect<A extends unknown[]> = 'read' | ((args: A, result: unknown) => Invalidation);
type Invalidation = { user?: number; group?: number; session?: string; all?: true } | undefined;
type Table<S> = { [K in keyof S]: S[K] extends (...a: infer A) => unknown ? Effect<A> : never };

const USER_EFFECTS: Table<UserStore> = {
  upsertByPhone: () => undefined, // creates, or returns unchanged: nothing cached changes
  byId: 'read',
  byPhone: 'read',
  setDisplayName: ([id]) => ({ user: id }),
  setLastGroup: ([id]) => ({ user: id }),
  setOptOut: (_a, user) => ({ user: (user as User).id }), // (a failed write drops everything)
  addSigninCode: () => undefined,
  countSigninCodes: 'read',
  consumeSigninCode: () => undefined,
  createSession: () => undefined, // misses are not cached: a new session is read when first used
  sessionUser: 'read',
  sessionExpiry: 'read',
  revokeSession: ([hash]) => ({ session: hash }),
  revokeAllSessions: ([userId]) => ({ user: userId }),
};

const GROUP_EFFECTS: Table<GroupStore> = {
  create: () => undefined,
  byNumber: 'read',
  byId: 'read',
  ofUser: 'read',
  member: 'read',
  senders: 'read',
  members: 'read',
  applyMembership: ([groupId]) => ({ group: groupId }),
  version: 'read',
  rename: ([groupId]) => ({ group: groupId }),
  setPolicy: ([groupId]) => ({ group: groupId }),
  putConfirmation: () => undefined,
  takeConfirmation: () => undefined,
  countConfirmFailures: 'read',
  countCreatedBy: 'read',
  countInvitesBy: 'read',
};

export function cachedReads(inner: Store, o: CachedReadsOptions): CachedReads {
  const maxAgeMs = o.maxAgeMs ?? 1000;
  const maxEntries = o.maxEntries ?? 20_000;
  const sessions = new Map<string, Entry<SessionAnswer>>();
  const senders = new Map<string, Entry<Sender>>();

  const fresh = <T>(e: Entry<T> | undefined, now: number): e is Entry<T> =>
    e !== undefined && now - e.at <= maxAgeMs;
  /**
   * Keeps a read while it is fresh; a miss (`owner` undefined: no session, no membership) or a failure
   * removes it once known. `owner` is the user the answer belongs to, for dropping it by user.
   */
  const keep = <T>(
    map: Map<string, Entry<T>>,
    key: string,
    p: Promise<T>,
    owner: (v: T) => number | undefined,
  ) => {
    if (map.size >= maxEntries) map.delete(map.keys().next().value as string);
    const e: Entry<T> = { at: o.now(), p };
    map.set(key, e);
    const forget = () => map.get(key) === e && map.delete(key);
    p.then((v) => {
      e.userId = owner(v);
      if (e.userId === undefined) forget();
    }, forget);
    return e;
  };

  const drop = (inv: Invalidation) => {
    if (!inv) return;
    if (inv.all) {
      sessions.clear();
      senders.clear();
      return;
    }
    if (inv.session !== undefined) sessions.delete(inv.session);
    if (inv.group !== undefined) {
      const prefix = `${inv.group}:`;
      for (const k of senders.keys()) if (k.startsWith(prefix)) senders.delete(k);
    }
    if (inv.user !== undefined) {
      // Rare (a rename, an opt-out, a text in, a sign-out everywhere): a scan of at most maxEntries.
      const suffix = `:${inv.user}`;
      for (const k of senders.keys()) if (k.endsWith(suffix)) senders.delete(k);
      // A session read still in flight may be anyone's, and from before the write: it goes too.
      for (const [k, e] of sessions) if (e.userId === undefined || e.userId === inv.user) sessions.delete(k);
    }
  };

  const users = wrap(inner.users, USER_EFFECTS, drop);
  const groups = wrap(inner.groups, GROUP_EFFECTS, drop);

  users.sessionUser = async (hash, now) => {
    let e = sessions.get(hash);
    if (!fresh(e, o.now())) {
      const read = Promise.all([inner.users.sessionUser(hash, now), inner.users.sessionExpiry(hash, now)]);
      const p = read.then(([user, expiresAt]) =>
        user && expiresAt !== undefined ? { user, expiresAt } : undefined,
      );
      e = keep(sessions, hash, p, (s) => s?.user.id);
    }
    const s = await e.p;
    return s && now < s.expiresAt ? s.user : undefined;
  };

  groups.senders = async (keys) => {
    const t = o.now();
    const out: Promise<Sender>[] = [];
    const missing: { at: number; key: { groupId: number; userId: number } }[] = [];
    for (const [at, key] of keys.entries()) {
      const e = senders.get(`${key.groupId}:${key.userId}`);
      if (fresh(e, t)) out[at] = e.p;
      else missing.push({ at, key });
    }
    if (missing.length > 0) {
      const read = inner.groups.senders(missing.map((m) => m.key));
      for (const [i, m] of missing.entries()) {
        const p = read.then((r) => r[i] as Sender);
        out[m.at] = p;
        // Only an answer with a membership is kept: "not a member" is read again next time.
        keep(senders, `${m.key.groupId}:${m.key.userId}`, p, (s) => s.member?.userId);
      }
    }
    return Promise.all(out);
  };

  const maintenance = { ...inner.maintenance };
  for (const name of Object.keys(maintenance) as (keyof typeof maintenance)[]) {
    const f = inner.maintenance[name] as (...a: unknown[]) => Promise<unknown>;
    // Erasure, retention, copying: rare and wide. Everything cached goes.
    (maintenance as Record<string, unknown>)[name] = (...a: unknown[]) =>
      settle(f(...a), () => drop({ all: true }));
  }

  return {
    store: { ...inner, users, groups, maintenance },
    invalidateGroup: (groupId) => drop({ group: groupId }),
    invalidateAll: () => drop({ all: true }),
  };
}

/** The part with each write followed by what it invalidates; unclassified methods are refused. */
function wrap<S extends object>(part: S, table: Table<S>, drop: (inv: Invalidation) => void): S {
  const out = { ...part } as Record<string, unknown>;
  for (const name of Object.keys(part)) {
    if (!(name in table)) throw new Error(`cached-reads: store method ${name} is not classified`);
  }
  for (const [name, effect] of Object.entries(table) as [string, Effect<unknown[]>][]) {
    if (effect === 'read') continue;
    const f = (part as Record<string, (...a: unknown[]) => Promise<unknown>>)[name]!;
    out[name] = (...a: unknown[]) =>
      settle(f(...a), (result, failed) => drop(failed ? { all: true } : effect(a, result)));
  }
  return out as S;
}

/** Runs `after` once the write settles (also when it failed: it may have committed), then answers. */
function settle<T>(p: Promise<T>, after: (result: T | undefined, failed: boolean) => void): Promise<T> {
  return p.then(
    (r) => {
      after(r, false);
      return r;
    },
    (e: unknown) => {
      after(undefined, true);
      throw e;
    },
  );
}
