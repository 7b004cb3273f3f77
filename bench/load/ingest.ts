// Load generator for durable ingest: every member of every group is live (acking what it receives) and
// sends group messages, `depth` outstanding per sender, over its WebSocket (`send` → `sent`) or over
// HTTP (POST /v1/groups/:id/messages → 201, pipelined on one keep-alive connection per sender, written
// as raw HTTP/1.1 so the client costs little). A message counts once the server answered: it is durable.
import net from 'node:net';
import type WebSocket from 'ws';
import { connectLive, intAt, log, main, mark, now, pool, readPlan, sleep, summarise } from './common.ts';

interface Plan {
  url: string;
  transport: 'ws' | 'http';
  members: { token: string; groupId: number }[];
  durationMs: number;
  warmupMs: number;
  depth: number;
  bodyBytes: number;
}

/** One keep-alive HTTP/1.1 connection with pipelined requests; responses are matched in order. */
class HttpConn {
  readonly #sock: net.Socket;
  #buf = '';
  readonly #onResponse: (status: number, body: string) => void;

  constructor(port: number, onResponse: (status: number, body: string) => void) {
    this.#onResponse = onResponse;
    this.#sock = net.connect({ port, host: '127.0.0.1', noDelay: true });
    this.#sock.setEncoding('latin1');
    this.#sock.on('data', (d: string) => this.#read(d));
    this.#sock.on('error', () => {});
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#sock.once('connect', () => resolve());
      this.#sock.once('error', reject);
    });
  }

  post(path: string, token: string, json: string): void {
    this.#sock.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
    );
  }

  #read(d: string): void {
    this.#buf += d;
    for (;;) {
      const he = this.#buf.indexOf('\r\n\r\n');
      if (he < 0) return;
      const head = this.#buf.slice(0, he);
      const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (this.#buf.length < he + 4 + len) return;
      const body = this.#buf.slice(he + 4, he + 4 + len);
      this.#buf = this.#buf.slice(he + 4 + len);
      this.#onResponse(intAt(head, 9), body);
    }
  }

  close(): void {
    this.#sock.destroy();
  }
}

main(async () => {
  const plan = readPlan<Plan>();
  const M = plan.members.length;
  const port = Number(new URL(plan.url).port);
  const sockets: WebSocket[] = new Array(M);
  const ackSeq = new Int32Array(M);
  const ackQueued = new Uint8Array(M);
  const dirty: number[] = [];
  let ackScheduled = false;
  let received = 0;
  let accepted = 0;
  let errors = 0;
  let firstError = '';
  const started: number[][] = Array.from({ length: M }, () => []);
  const latencies: number[] = [];
  let measuring = false;
  let sending = false;
  let seqNo = 0;
  const pad = 'x'.repeat(plan.bodyBytes);

  const flushAcks = () => {
    ackScheduled = false;
    for (const mi of dirty) {
      ackQueued[mi] = 0;
      const ws = sockets[mi];
      if (ws?.readyState === 1) ws.send(`{"t":"ack","g":${plan.members[mi]!.groupId},"seq":${ackSeq[mi]}}`);
    }
    dirty.length = 0;
  };

  const answered = (mi: number, ok: boolean, detail: string) => {
    const t0 = started[mi]!.shift();
    if (ok) {
      if (measuring) {
        accepted++;
        if (t0 !== undefined) latencies.push(now() - t0);
      }
    } else {
      errors++;
      if (!firstError) firstError = detail.slice(0, 300);
    }
  };

  // Sending, per transport.
  let sendOne: (mi: number) => void;
  const https: HttpConn[] = [];
  const cid = () => `c${++seqNo}`;
  const body = () => pad;
  if (plan.transport === 'ws') {
    sendOne = (mi) => {
      started[mi]!.push(now());
      sockets[mi]!.send(`{"t":"send","g":${plan.members[mi]!.groupId},"cid":"${cid()}","body":"${body()}"}`);
    };
  } else {
    sendOne = (mi) => {
      started[mi]!.push(now());
      https[mi]!.post(
        `/v1/groups/${plan.members[mi]!.groupId}/messages`,
        plan.members[mi]!.token,
        `{"body":"${body()}","clientMsgId":"${cid()}"}`,
      );
    };
  }

  const onLive = (mi: number, s: string) => {
    let start = 0;
    let top = 0;
    while (start < s.length) {
      let end = s.indexOf('\n', start);
      if (end < 0) end = s.length;
      if (s.startsWith('{"t":"msg"', start)) {
        received++;
        const seq = intAt(s, s.indexOf('"seq":', start) + 6);
        if (seq > top) top = seq;
      } else if (s.startsWith('{"t":"sent"', start)) {
        answered(mi, true, '');
        if (sending) sendOne(mi);
      } else if (s.startsWith('{"t":"error"', start)) {
        answered(mi, false, s.slice(start, end));
        if (sending) sendOne(mi);
      }
      start = end + 1;
    }
    if (top > ackSeq[mi]!) {
      ackSeq[mi] = top;
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
  await pool(plan.members, 100, async (m, mi) => {
    const { ws } = await connectLive(plan.url, m.token, (s) => onLive(mi, s));
    sockets[mi] = ws;
    if (plan.transport === 'http') {
      const c = new HttpConn(port, (status, b) => {
        answered(mi, status === 201, `${status} ${b}`);
        if (sending) sendOne(mi);
      });
      await c.ready();
      https[mi] = c;
    }
  });
  log(
    `ingest: ${M} members live${plan.transport === 'http' ? ' with an HTTP connection each' : ''} in ${(now() - t0).toFixed(0)} ms`,
  );
  await sleep(300);

  sending = true;
  for (let d = 0; d < plan.depth; d++) for (let mi = 0; mi < M; mi++) sendOne(mi);
  await sleep(plan.warmupMs);
  measuring = true;
  const receivedAtStart = received;
  const windowStart = now();
  await mark('start');
  await sleep(plan.durationMs - plan.warmupMs);
  measuring = false;
  const seconds = (now() - windowStart) / 1000;
  const acceptedInWindow = accepted;
  const deliveredInWindow = received - receivedAtStart;
  await mark('end');
  sending = false;
  // The server's own view, as a cross-check of the generator's counts.
  const metrics = await (await fetch(`${plan.url}/metrics`)).text();
  const counter = (re: RegExp) => Number(re.exec(metrics)?.[1] ?? Number.NaN);
  const serverLiveSent = counter(/^qun_deliveries_total\{[^}]*rung="live",outcome="sent"[^}]*\} (\d+)/m);
  const serverAccepted = counter(/^qun_messages_accepted_total\{[^}]*source="(?:ws|http)"[^}]*\} (\d+)/m);
  // Let outstanding requests finish so the server stops cleanly.
  const until = now() + 10_000;
  while (now() < until && started.some((q) => q.length > 0)) await sleep(10);
  flushAcks();
  await sleep(100);
  for (const ws of sockets) ws?.terminate();
  for (const c of https) c.close();
  return {
    transport: plan.transport,
    senders: M,
    depth: plan.depth,
    accepted: acceptedInWindow,
    seconds,
    acceptedPerSec: acceptedInWindow / seconds,
    errors,
    firstError,
    received,
    deliveredPerSec: deliveredInWindow / seconds,
    serverLiveSent,
    serverAccepted,
    latencyMs: summarise(latencies),
  };
});
