// The Lua scripts of the Redis presence engine (redis-presence.ts says why the design holds). Each runs as
// one command: a snapshot of any number of members is one round trip, and a batch of writes is applied
// whole. Times are the nodes' clocks in epoch milliseconds, passed in; an entry is active while
// now <= its expiry. Every script creates the epoch key if it is missing and returns it, so the first
// command after Redis lost its keys tells the node.
//
// Keys (prefix P, `qun:` by default; all times are epoch ms of the writing node's clock):
//   P u:<userId>  hash, one per member:  l:<node> = "<count>:<expiry>"  live sockets on that node
//                                        r:<node> = "<expiry>"          reconnecting (redis-presence.ts)
//                                        w        = "<expiry>"          web-online (latest fetch + TTL)
//                 expired fields are swept by every write; the key expires with its latest field.
//   P n:<node>    set of the users with entries of that node (what a restart of the node must convert)
//   P epoch       "<createdAt>:<random>", written with NX by any command that finds it missing
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

const EPOCH = `
local function epoch(key, candidate)
  redis.call('SET', key, candidate, 'NX')
  return redis.call('GET', key)
end
`;

/** Deletes the expired fields of one member's hash and lets the key expire with its latest field. */
const SWEEP = `
local function sweep(key, now)
  local f = redis.call('HGETALL', key)
  local max = 0
  for j = 1, #f, 2 do
    local e = tonumber(string.match(f[j + 1], '(%d+)$'))
    if e < now then redis.call('HDEL', key, f[j]) elseif e > max then max = e end
  end
  if max > 0 then redis.call('PEXPIRE', key, max - now + 1) end
end
`;

/**
 * KEYS: epoch, then one member hash per user. ARGV: now, this node, epoch candidate.
 * Returns the epoch, then per user: live connections on other nodes, the latest web-online expiry (0:
 * none active), 1 when another node holds an active reconnecting entry. This node's own entries are left
 * out: the node answers those from memory, which is never behind.
 */
export const SNAPSHOT = `${EPOCH}
local now = tonumber(ARGV[1])
local ownL, ownR = 'l:' .. ARGV[2], 'r:' .. ARGV[2]
local out = { epoch(KEYS[1], ARGV[3]) }
for i = 2, #KEYS do
  local f = redis.call('HGETALL', KEYS[i])
  local live, web, rc = 0, 0, 0
  for j = 1, #f, 2 do
    local k, v = f[j], f[j + 1]
    local kind = string.sub(k, 1, 2)
    if k == 'w' then
      local e = tonumber(v)
      if e >= now and e > web then web = e end
    elseif kind == 'l:' and k ~= ownL then
      local c, e = string.match(v, '^(%d+):(%d+)$')
      if tonumber(e) >= now then live = live + tonumber(c) end
    elseif kind == 'r:' and k ~= ownR then
      if tonumber(v) >= now then rc = 1 end
    end
  end
  out[#out + 1] = live
  out[#out + 1] = web
  out[#out + 1] = rc
end
return out
`;

/**
 * KEYS: epoch, this node's index set, then one member hash per user. ARGV: now, this node, epoch
 * candidate, "1" to replace the index (a full rewrite) or "0", the index's TTL in ms, then five per
 * user: id, live count (-1: leave l and r alone; 0: no live entry), live expiry, reconnecting expiry
 * (0: none), web-online expiry (0: unchanged; a later one wins). Returns the epoch.
 */
export const WRITE = `${EPOCH}${SWEEP}
local now = tonumber(ARGV[1])
local ownL, ownR = 'l:' .. ARGV[2], 'r:' .. ARGV[2]
local ep = epoch(KEYS[1], ARGV[3])
if ARGV[4] == '1' then redis.call('DEL', KEYS[2]) end
local idx = {}
for i = 3, #KEYS do
  local b = 5 + (i - 3) * 5
  local key = KEYS[i]
  local c, re, we = tonumber(ARGV[b + 2]), tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5])
  if c > 0 then
    redis.call('HSET', key, ownL, ARGV[b + 2] .. ':' .. ARGV[b + 3])
  elseif c == 0 then
    redis.call('HDEL', key, ownL)
  end
  if c >= 0 then
    if re > 0 then redis.call('HSET', key, ownR, ARGV[b + 4]) else redis.call('HDEL', key, ownR) end
  end
  if c > 0 or re > 0 then idx[#idx + 1] = ARGV[b + 1] end
  if we > 0 then
    local old = tonumber(redis.call('HGET', key, 'w') or '0')
    if we > old then redis.call('HSET', key, 'w', ARGV[b + 5]) end
  end
  sweep(key, now)
end
if #idx > 0 then
  redis.call('SADD', KEYS[2], unpack(idx))
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
return ep
`;

/**
 * This node started again (same node id). KEYS: epoch, then the hashes of the users in its index.
 * ARGV: now, this node, epoch candidate, until. An active live entry of this node becomes reconnecting
 * until `until`; an active reconnecting entry stays. Returns the epoch, then per user the reconnecting
 * expiry this node now holds (0: none).
 */
export const RESTART = `${EPOCH}${SWEEP}
local now, untilAt = tonumber(ARGV[1]), ARGV[4]
local ownL, ownR = 'l:' .. ARGV[2], 'r:' .. ARGV[2]
local out = { epoch(KEYS[1], ARGV[3]) }
for i = 2, #KEYS do
  local key = KEYS[i]
  local l = redis.call('HGET', key, ownL)
  local r = tonumber(redis.call('HGET', key, ownR) or '0')
  local held = 0
  if l and tonumber(string.match(l, ':(%d+)$')) >= now then
    redis.call('HDEL', key, ownL)
    redis.call('HSET', key, ownR, untilAt)
    held = tonumber(untilAt)
  elseif r >= now then
    held = r
  end
  sweep(key, now)
  out[#out + 1] = held
end
return out
`;

const shas = new Map<string, string>();

/** EVALSHA, falling back to EVAL when Redis does not know the script (first use, or after a restart). */
export async function runScript(
  redis: Redis,
  lua: string,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  let sha = shas.get(lua);
  if (!sha) {
    sha = createHash('sha1').update(lua).digest('hex');
    shas.set(lua, sha);
  }
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (e) {
    if (!(e instanceof Error) || !e.message.includes('NOSCRIPT')) throw e;
    return redis.eval(lua, keys.length, ...keys, ...args);
  }
}
