// Load generator for live fan-out and latency: N member connections and one sender connection to one
// group. Every member counts each msg frame, checks seqs arrive 1, 2, 3… with none missing, and acks
// cumulatively (one ack per socket per event-loop turn). The body starts with its send time, so each
// message's latency is measured from the send to its arrival at the last member.
//   throughput: the sender keeps up to `inflight` sends outstanding;
//   latency:    the sender sends at a fixed `rate` messages/s, each in its own frame.
import type WebSocket from 'ws';
import {
  connectLive,
  intAt,
  log,
  main,
  mark,
  now,
  pool,
  readPlan,
  sleep,
  summarise,
  timedBody,
} from './common.ts';

interface Plan {
  url: string;
  /** Several nodes (the cluster benchmark): member i connects to urls[i % n], the sender to `url`. */
  urls?: string[];
  groupId: number;
  senderToken: string;
  memberTokens: string[];
  /** Members that connect, then never read their socket (the slow-client benchmark). */
  slowTokens?: string[];
  mode: 'throughput' | 'latency';
  durationMs: number;
  warmupMs: number;
  inflight: number;
  rate: number;
  bodyBytes: number;
  acks: boolean;
  drainTimeoutMs: number;
}

main(async () => {
  const plan = readPlan<Plan>();
  const N = plan.memberTokens.length;
  const G = plan.groupId;
  let cap = 1 << 16;
  let arrivals = new Int32Array(cap);
  let lastAt = new Float64Array(cap);
  let sendAt = new Float64Array(cap);
  const grow = (seq: number) => {
    while (seq >= cap) cap *= 2;
    const a = new Int32Array(cap);
    a.set(arrivals);
    arrivals = a;
    const l = new Float64Array(cap);
    l.set(lastAt);
    lastAt = l;
    const s = new Float64Array(cap);
    s.set(sendAt);
    sendAt = s;
  };
  const last = new Int32Array(N);
  const inOrder = new Int32Array(N);
  const gaps = new Int32Array(N);
  const ackSeq = new Int32Array(N);
  const ackQueued = new Uint8Array(N);
  const sockets: WebSocket[] = new Array(N);
  let deliveries = 0;
  let completed = 0;
  let measureFrom = Number.POSITIVE_INFINITY;
  const latencies: number[] = [];
  const dirty: number[] = [];
  let ackScheduled = false;
  let acksSent = 0;
  let closed = 0;
  let otherFrames = 0;

  const flushAcks = () => {
    ackScheduled = false;
    for (const mi of dirty) {
      ackQueued[mi] = 0;
      const ws = sockets[mi];
      if (ws && ws.readyState === 1) {
        ws.send(`{"t":"ack","g":${G},"seq":${ackSeq[mi]}}`);
        acksSent++;
      }
    }
    dirty.length = 0;
  };

  const onMember = (mi: number, s: string) => {
    const t = now();
    let start = 0;
    let got = false;
    while (start < s.length) {
      let end = s.indexOf('\n', start);
      if (end < 0) end = s.length;
      if (s.startsWith('{"t":"msg"', start)) {
        const si = s.indexOf('"seq":', start);
        const seq = intAt(s, si + 6);
        if (seq >= cap) grow(seq);
        if (sendAt[seq] === 0) {
          const bi = s.indexOf('"body":"', si) + 8;
          sendAt[seq] = Number.parseFloat(s.slice(bi, bi + 24));
        }
        if (seq === last[mi]! + 1) inOrder[mi]!++;
        else gaps[mi]!++;
        if (seq > last[mi]!) last[mi] = seq;
        deliveries++;
        if (t > lastAt[seq]!) lastAt[seq] = t;
        if (++arrivals[seq]! === N) {
          completed++;
          if (sendAt[seq]! >= measureFrom) latencies.push(lastAt[seq]! - sendAt[seq]!);
        }
        got = true;
      } else if (end > start) {
        otherFrames++;
      }
      start = end + 1;
    }
    if (got && plan.acks) {
      ackSeq[mi] = last[mi]!;
      if (!ackQueued[mi]) {
        ackQueued[mi] = 1;
        dirty.push(mi);
      }
      if (!ackScheduled) {
        ackScheduled = true;
        setImmediate(flushAcks);
      }
    }
  };

  const t0 = now();
  await pool(plan.memberTokens, 200, async (token, mi) => {
    const url = plan.urls?.length ? plan.urls[mi % plan.urls.length]! : plan.url;
    const { ws, ready } = await connectLive(url, token, (s) => onMember(mi, s));
    if (!ready.groups.some((g) => g.g === G)) throw new Error(`member ${mi} is not in group ${G}`);
    ws.on('close', () => closed++);
    sockets[mi] = ws;
  });
  log(`fanout: ${N} members connected in ${(now() - t0).toFixed(0)} ms`);
  // Slow members: authenticated, then their TCP socket is paused, so the server's buffer for them grows.
  for (const token of plan.slowTokens ?? []) {
    const { ws } = await connectLive(plan.url, token, () => {});
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
  }
  if (plan.slowTokens?.length) log(`fanout: ${plan.slowTokens.length} slow members connected and paused`);

  // The sender.
  let inflight = 0;
  let accepted = 0;
  let maxSeq = 0;
  let sendErrors = 0;
  let firstError = '';
  let cid = 0;
  let sending = false;
  let pumpScheduled = false;
  const { ws: sender } = await connectLive(plan.url, plan.senderToken, (s) => {
    let start = 0;
    while (start < s.length) {
      let end = s.indexOf('\n', start);
      if (end < 0) end = s.length;
      if (s.startsWith('{"t":"sent"', start)) {
        inflight--;
        accepted++;
        const seq = intAt(s, s.indexOf('"seq":', start) + 6);
        if (seq > maxSeq) maxSeq = seq;
      } else if (s.startsWith('{"t":"error"', start)) {
        inflight--;
        sendErrors++;
        if (!firstError) firstError = s.slice(start, Math.min(end, start + 300));
      }
      start = end + 1;
    }
    if (plan.mode === 'throughput' && sending && !pumpScheduled) {
      pumpScheduled = true;
      setImmediate(pump);
    }
  });
  // Let every connection's catch-up (nothing to read) finish before sending.
  await sleep(300);

  const sendOne = () => `{"t":"send","g":${G},"cid":"c${++cid}","body":"${timedBody(plan.bodyBytes)}"}`;
  const pump = () => {
    pumpScheduled = false;
    if (!sending) return;
    let parts: string[] = [];
    while (inflight < plan.inflight) {
      parts.push(sendOne());
      inflight++;
      // Client frames are limited to 64 KiB: 100 sends of ~260 bytes each fit.
      if (parts.length === 100) {
        sender.send(parts.join('\n'));
        parts = [];
      }
    }
    if (parts.length) sender.send(parts.join('\n'));
  };

  const start = now();
  const measureAt = start + plan.warmupMs;
  const stopAt = start + plan.durationMs;
  measureFrom = measureAt;
  sending = true;
  // The measured window is warm-up → stop, while the sender keeps the server saturated (throughput) or
  // at its fixed rate (latency); the drain afterwards only completes the loss check.
  let windowStartDeliveries = 0;
  let windowStartAccepted = 0;
  const window = (async () => {
    await sleep(Math.max(0, measureAt - now()));
    windowStartDeliveries = deliveries;
    windowStartAccepted = accepted;
    await mark('start');
    await sleep(Math.max(0, stopAt - now()));
    const r = {
      deliveries: deliveries - windowStartDeliveries,
      accepted: accepted - windowStartAccepted,
      seconds: (now() - measureAt) / 1000,
    };
    await mark('end');
    return r;
  })();
  if (plan.mode === 'throughput') {
    pump();
  } else {
    // Fixed rate: each message in its own frame, at its scheduled time.
    let sent = 0;
    while (now() < stopAt) {
      const due = Math.floor(((now() - start) / 1000) * plan.rate);
      while (sent < due) {
        sender.send(sendOne());
        inflight++;
        sent++;
      }
      await new Promise<void>((r) => setTimeout(r, 1));
    }
  }
  const measured = await window;
  sending = false;
  // Drain: every accepted message must reach every member.
  const drainStart = now();
  const drainUntil = drainStart + plan.drainTimeoutMs;
  while (now() < drainUntil && (inflight > 0 || completed < accepted)) await sleep(5);
  const drained = inflight === 0 && completed >= accepted;
  const drainSeconds = (now() - drainStart) / 1000;
  flushAcks();
  await sleep(100);

  let lost = 0;
  let gapSum = 0;
  for (let mi = 0; mi < N; mi++) {
    lost += Math.max(0, maxSeq - inOrder[mi]!);
    gapSum += gaps[mi]!;
  }
  const lat = summarise(latencies);
  const closedSockets = closed;
  for (const ws of sockets) ws?.terminate();
  sender.terminate();
  return {
    members: N,
    mode: plan.mode,
    accepted,
    maxSeq,
    sendErrors,
    firstError,
    deliveries,
    expectedDeliveries: maxSeq * N,
    seconds: measured.seconds,
    deliveriesPerSec: measured.deliveries / measured.seconds,
    messagesPerSec: measured.accepted / measured.seconds,
    drainSeconds,
    inflightAtEnd: inflight,
    lost,
    gaps: gapSum,
    drained,
    closedSockets,
    otherFrames,
    acksSent,
    latencyMs: lat,
  };
});
