// One generator process of the fan-out and latency loads (forked by bench/load/fanout.ts, pinned to the
// generator core): holds a share of the group's member sockets and, in worker 0, the sender. A client
// of docs/protocol.md kept as cheap as the protocol allows, so that the server is the limit:
// - a member's frames are read as latin1 and only scanned for `"seq":` (no JSON.parse per frame); each
//   seq must be the previous one + 1 (every seq once, in order), anything else is counted as bad;
// - one cumulative ack per socket per read (sent on the next turn: the last contiguous seq);
// - latency: the sender writes its send time on CLOCK_MONOTONIC (shared by every process on the
//   machine) at the start of the body; a member's arrival time is read once per socket read.
import WebSocket from 'ws';
import { intAt } from './common.ts';
import type { ToWorker, WorkerInit, WorkerResult } from './fanout-protocol.ts';
import { mono } from './mono.ts';

const send = (m: unknown) => process.send!(m);

let init: WorkerInit;
let G = 0;
let cap = 1 << 16;
/** Per seq (this process): its send time from the body, and the latest arrival at a member here. */
let sendAt = new Float64Array(cap);
let lastAt = new Float64Array(cap);
let last: Int32Array;
let bad: Int32Array;
let got: Int32Array;
let ackSeq: Int32Array;
let acked: Int32Array;
let sockets: WebSocket[] = [];
const dirty: number[] = [];
let ackScheduled = false;
let acksSent = 0;
let deliveries = 0;
let closed = 0;
let timing = false;
let measureFrom = Number.POSITIVE_INFINITY;
let measureTo = Number.POSITIVE_INFINITY;
let lat = new Float64Array(1 << 16);
let latN = 0;

function grow(seq: number): void {
  let c = cap;
  while (seq >= c) c *= 2;
  const s = new Float64Array(c);
  s.set(sendAt);
  sendAt = s;
  const l = new Float64Array(c);
  l.set(lastAt);
  lastAt = l;
  cap = c;
}

function flushAcks(): void {
  ackScheduled = false;
  for (const mi of dirty) {
    const ws = sockets[mi];
    if (ws && ws.readyState === 1 && ackSeq[mi]! > acked[mi]!) {
      ws.send(`{"t":"ack","g":${G},"seq":${ackSeq[mi]}}`);
      acked[mi] = ackSeq[mi]!;
      acksSent++;
    }
  }
  dirty.length = 0;
}

function onMember(mi: number, buf: Buffer): void {
  const s = buf.toString('latin1');
  const t = timing ? mono() : 0;
  let i = s.indexOf('"seq":');
  if (i < 0) return;
  let l = last[mi]!;
  let b = 0;
  let n = 0;
  while (i >= 0) {
    const seq = intAt(s, i + 6);
    n++;
    if (seq === l + 1) l = seq;
    else b++;
    if (timing) {
      if (seq >= cap) grow(seq);
      let at = sendAt[seq]!;
      if (at === 0) {
        const bi = s.indexOf('"body":"', i) + 8;
        at = sendAt[seq] = Number.parseFloat(s.slice(bi, bi + 24));
      }
      if (at >= measureFrom && at < measureTo) {
        if (latN === lat.length) {
          const a = new Float64Array(lat.length * 2);
          a.set(lat);
          lat = a;
        }
        lat[latN++] = t - at;
        if (t > lastAt[seq]!) lastAt[seq] = t;
      }
    }
    i = s.indexOf('"seq":', i + 7);
  }
  last[mi] = l;
  got[mi]! += n;
  deliveries += n;
  if (b) bad[mi]! += b;
  if (init.acks && l > ackSeq[mi]!) {
    ackSeq[mi] = l;
    dirty.push(mi);
    if (!ackScheduled) {
      ackScheduled = true;
      setImmediate(flushAcks);
    }
  }
}

/** Opens an authenticated live connection; `onData` gets every frame after `ready` as a Buffer. */
function connect(token: string, onData: (b: Buffer) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${init.url.replace(/^http/, 'ws')}/v1/ws`, {
      perMessageDeflate: false,
      skipUTF8Validation: true,
    });
    let ready = false;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('live connection timed out'));
    }, 60_000);
    ws.on('open', () => ws.send(`{"t":"auth","token":"${token}"}`));
    ws.on('message', (data: Buffer) => {
      if (ready) return onData(data);
      const s = data.toString();
      const nl = s.indexOf('\n');
      const first = JSON.parse(nl < 0 ? s : s.slice(0, nl)) as { t: string; groups?: { g: number }[] };
      clearTimeout(timer);
      if (first.t !== 'ready' || !first.groups?.some((x) => x.g === G)) {
        ws.terminate();
        return reject(new Error(`expected ready with group ${G}, got ${s.slice(0, 200)}`));
      }
      ready = true;
      resolve(ws);
      if (nl >= 0 && nl + 1 < s.length) onData(Buffer.from(s.slice(nl + 1), 'latin1'));
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      if (!ready) reject(e);
    });
    ws.on('close', (code) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`closed before ready: ${code}`));
    });
  });
}

async function pool<T>(items: T[], limit: number, fn: (t: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

// The sender (worker 0 only): throughput keeps `inflight` sends outstanding, latency sends at `rate`.
const S = {
  ws: undefined as WebSocket | undefined,
  sending: false,
  inflight: 0,
  accepted: 0,
  maxSeq: 0,
  errors: 0,
  firstError: '',
  cid: 0,
  pumpScheduled: false,
  ownLast: 0,
  pad: '',
};

function sendFrame(): string {
  return `{"t":"send","g":${G},"cid":"c${++S.cid}","body":"${mono().toFixed(4)} ${S.pad}"}`;
}

function pump(): void {
  S.pumpScheduled = false;
  if (!S.sending || !S.ws) return;
  const cfg = init.sender!;
  let parts: string[] = [];
  while (S.inflight < cfg.inflight) {
    parts.push(sendFrame());
    S.inflight++;
    // Client frames are limited to 64 KiB: 100 sends of ~260 bytes fit.
    if (parts.length === 100) {
      S.ws.send(parts.join('\n'));
      parts = [];
    }
  }
  if (parts.length) S.ws.send(parts.join('\n'));
}

function onSender(buf: Buffer): void {
  const s = buf.toString('latin1');
  let start = 0;
  while (start < s.length) {
    let end = s.indexOf('\n', start);
    if (end < 0) end = s.length;
    if (s.startsWith('{"t":"sent"', start)) {
      S.inflight--;
      S.accepted++;
      const seq = intAt(s, s.indexOf('"seq":', start) + 6);
      if (seq > S.maxSeq) S.maxSeq = seq;
    } else if (s.startsWith('{"t":"msg"', start)) {
      // The sender is a member too: it acks its own messages so they never fall to inbox or SMS.
      const seq = intAt(s, s.indexOf('"seq":', start) + 6);
      if (seq > S.ownLast) S.ownLast = seq;
    } else if (s.startsWith('{"t":"error"', start)) {
      S.inflight--;
      S.errors++;
      if (!S.firstError) S.firstError = s.slice(start, Math.min(end, start + 300));
    }
    start = end + 1;
  }
  if (S.ws && S.ownLast > 0) S.ws.send(`{"t":"ack","g":${G},"seq":${S.ownLast}}`);
  if (init.sender?.mode === 'throughput' && S.sending && !S.pumpScheduled) {
    S.pumpScheduled = true;
    setImmediate(pump);
  }
}

async function fixedRate(stopAt: number): Promise<void> {
  const cfg = init.sender!;
  const start = mono();
  let sent = 0;
  while (S.sending && mono() < stopAt) {
    const due = Math.floor(((mono() - start) / 1000) * cfg.rate);
    while (sent < due) {
      S.ws!.send(sendFrame());
      S.inflight++;
      sent++;
    }
    await new Promise<void>((r) => setTimeout(r, 1));
  }
}

function minLast(): number {
  let m = Number.POSITIVE_INFINITY;
  for (let k = 0; k < last.length; k++) if (last[k]! < m) m = last[k]!;
  return last.length ? m : Number.POSITIVE_INFINITY;
}

process.on('message', async (m: ToWorker) => {
  if (m.type === 'init') {
    init = m.init;
    G = init.groupId;
    const n = init.tokens.length;
    last = new Int32Array(n);
    bad = new Int32Array(n);
    got = new Int32Array(n);
    ackSeq = new Int32Array(n);
    acked = new Int32Array(n);
    sockets = new Array(n);
    try {
      await pool(init.tokens, 100, async (token, mi) => {
        const ws = await connect(token, (b) => onMember(mi, b));
        ws.on('close', () => closed++);
        sockets[mi] = ws;
      });
      // Slow members: authenticated, then their TCP socket is paused so the server buffers for them.
      for (const token of init.slowTokens) {
        const ws = await connect(token, () => {});
        (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      }
      if (init.sender) {
        S.pad = 'x'.repeat(Math.max(1, init.sender.bodyBytes - 16));
        S.ws = await connect(init.sender.token, onSender);
      }
      send({ type: 'ready', pid: process.pid });
    } catch (e) {
      send({ type: 'failed', error: e instanceof Error ? e.message : String(e) });
    }
  } else if (m.type === 'start') {
    timing = m.timing;
    measureFrom = m.measureFrom;
    measureTo = m.measureTo;
    if (init.sender) {
      S.sending = true;
      if (init.sender.mode === 'throughput') pump();
      else void fixedRate(m.measureTo);
    }
  } else if (m.type === 'snap') {
    send({ type: 'snap', id: m.id, deliveries, accepted: S.accepted, acksSent });
  } else if (m.type === 'stop') {
    S.sending = false;
  } else if (m.type === 'status') {
    send({ type: 'status', id: m.id, minLast: minLast(), inflight: S.inflight, maxSeq: S.maxSeq });
  } else if (m.type === 'finish') {
    flushAcks();
    let lost = 0;
    let badSum = 0;
    let extra = 0;
    for (let k = 0; k < last.length; k++) {
      lost += Math.max(0, m.maxSeq - last[k]!);
      badSum += bad[k]!;
      extra += Math.max(0, got[k]! - m.maxSeq);
    }
    // The latest arrival here of each timed seq, for the coordinator's send → last member figure.
    const lastMember: [number, number][] = [];
    for (let seq = 1; seq < cap; seq++)
      if (lastAt[seq]! > 0) lastMember.push([seq, lastAt[seq]! - sendAt[seq]!]);
    const result: WorkerResult = {
      type: 'result',
      pid: process.pid,
      members: last.length,
      deliveries,
      lost,
      bad: badSum,
      extra,
      closed,
      acksSent,
      accepted: S.accepted,
      sendErrors: S.errors,
      firstError: S.firstError,
      latencies: Array.from(lat.subarray(0, latN)),
      lastMember,
    };
    for (const ws of sockets) ws?.terminate();
    S.ws?.terminate();
    // Exit only once the (large) result has been written to the channel.
    process.send!(result, () => process.exit(0));
  }
});
