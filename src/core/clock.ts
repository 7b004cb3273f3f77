// Time and ids behind small seams, so that tests can drive timers without touching production code.
import crypto from 'node:crypto';

export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

// Random bytes for ids are drawn 256 ids at a time (one call into the CSPRNG instead of one per
// message, as Node's own randomUUID does): at tens of thousands of messages a second the calls showed.
const POOL_IDS = 256;
const pool = Buffer.alloc(16 * POOL_IDS);
let taken = pool.length;

/** A UUIDv7: time-ordered (so ids sort like the log) and unguessable. */
export function newMessageId(now: number = Date.now()): string {
  if (taken === pool.length) {
    crypto.randomFillSync(pool);
    taken = 0;
  }
  // A view into the pool, turned into the string before anything else can draw from it.
  const b = pool.subarray(taken, taken + 16);
  taken += 16;
  b.writeUIntBE(now, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function sha256(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex');
}
