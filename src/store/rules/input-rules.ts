// What every store engine refuses before it touches the database, so that no engine stores a value
// another would reject: a NUL in text (PostgreSQL's text type cannot hold one, SQLite would keep it), a
// number that is not an integer (PostgreSQL's bigint refuses 1.5, SQLite stores a real), a cap or count
// past a 32-bit column, a negative limit (SQLite reads it as "no limit", PostgreSQL refuses it).
// Ingress already refuses these with its own errors; this is the store's own guarantee. Pure.
import { QunError } from '../../errors/catalogue.ts';
import type { Store } from '../store.ts';

/** Fields stored in 32-bit integer columns on PostgreSQL. */
const INT32_FIELDS = new Set(['memberCap', 'segments']);
const INT32_MAX = 2 ** 31 - 1;

/** The position of the `limit` argument of the methods that take one. */
const LIMIT_ARG: Record<string, number> = {
  'messages.range': 3,
  'delivery.claimReminders': 1,
  'delivery.remindDue': 1,
  'delivery.claimEscalations': 1,
  'outbound.claim': 0,
  'sim.textsTo': 2,
};

function check(method: string, v: unknown, field: string): void {
  if (typeof v === 'string') {
    if (v.includes('\u0000')) throw new QunError('invalid_characters');
  } else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new RangeError(`${method}: ${field} must be an integer, got ${v}`);
    if (INT32_FIELDS.has(field) && Math.abs(v) > INT32_MAX)
      throw new RangeError(`${method}: ${field} must be at most ${INT32_MAX}, got ${v}`);
  } else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) check(method, v[i], field);
  } else if (typeof v === 'object' && v !== null) {
    // for...in rather than Object.entries: an ack batch is thousands of small objects, checked per call.
    const o = v as Record<string, unknown>;
    for (const k in o) check(method, o[k], k);
  }
}

/** Throws the error for the first value of a call's arguments that no engine may store alike. */
export function checkArguments(method: string, args: unknown[]): void {
  for (let i = 0; i < args.length; i++) check(method, args[i], 'argument');
  const at = LIMIT_ARG[method];
  if (at !== undefined && (args[at] as number) < 0) {
    throw new RangeError(`${method}: the limit must not be negative, got ${args[at]}`);
  }
}

/** The same store, with every method's arguments checked first (the engines' method objects stay as they are). */
export function guardStore(store: Store): Store {
  const guard = <T extends object>(o: T, prefix: string): T => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      if (typeof v !== 'function') {
        out[k] = v;
        continue;
      }
      const name = `${prefix}${k}`;
      out[k] = (...args: unknown[]) => {
        try {
          checkArguments(name, args);
        } catch (e) {
          return Promise.reject(e);
        }
        return (v as (...a: unknown[]) => unknown)(...args);
      };
    }
    return out as T;
  };
  return {
    ...guard(store, ''),
    users: guard(store.users, 'users.'),
    groups: guard(store.groups, 'groups.'),
    messages: guard(store.messages, 'messages.'),
    delivery: guard(store.delivery, 'delivery.'),
    outbound: guard(store.outbound, 'outbound.'),
    sim: guard(store.sim, 'sim.'),
    push: guard(store.push, 'push.'),
  };
}

type MemberKey = { groupId: number; userId: number };

/** A remindDue callback answers for the due member it was given: the engine files the answer under it. */
export function checkSettledFor(due: MemberKey, done: MemberKey): void {
  if (done.groupId !== due.groupId || done.userId !== due.userId)
    throw new TypeError(
      `delivery.remindDue: a reminder settled for member ${done.groupId}/${done.userId} was given ${due.groupId}/${due.userId}`,
    );
}
