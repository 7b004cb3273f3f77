// One live client session over WebSocket: authentication, resume, acks, sends, commands and the
// heartbeat. Reads the log to catch a connection up, so live push is only ever a shortcut.
import type { RawData, WebSocket } from 'ws';
import type { AckTracker } from '../channels/live/ack-tracker.ts';
import { type LiveConnection as Conn, LiveConnection } from '../channels/live/live-connection.ts';
import type { CatchUpSource, LiveHub } from '../channels/live/live-hub.ts';
import type { AuthService } from '../core/auth-service.ts';
import type { Clock } from '../core/clock.ts';
import type { CommandService } from '../core/commands/command-service.ts';
import { deliveredVia } from '../core/delivered-via.ts';
import type { DeliveryEngine } from '../core/delivery-engine.ts';
import { type MessageFramer, visibleTo } from '../core/frames.ts';
import type { MessageService } from '../core/message-service.ts';
import { type AddressPlan, groupAddress } from '../domain/address.ts';
import {
  type ClientFrame,
  decodeClientFrames,
  encodeFrame,
  PROTOCOL_VERSION,
  type ServerFrame,
} from '../domain/live-protocol.ts';
import { QunError } from '../errors/catalogue.ts';
import { isStorageFailure } from '../store/storage-errors.ts';
import type { Store } from '../store/store.ts';
import type { Beating, HeartbeatSweep } from './heartbeat.ts';
import { wsCommand } from './ws-commands.ts';

export interface WsDeps {
  store: Store;
  auth: AuthService;
  hub: LiveHub;
  tracker: AckTracker;
  delivery: DeliveryEngine;
  messages: MessageService;
  commands: CommandService;
  framer: MessageFramer;
  clock: Clock;
  plan: AddressPlan;
  /** Beats every socket of the node once per QUN_LIVE_HEARTBEAT. */
  heartbeat: HeartbeatSweep;
  authTimeoutMs: number;
  /** Counts texts a reconnecting live client took back before they left (a metric). */
  onTextsTakenBack: (n: number) => void;
}

const CATCH_UP_PAGE = 200;
const CATCH_UP_DRAIN_BYTES = 256 * 1024;
const OPEN = 1;

/** Reads the log into a connection that is behind; bounded by the socket's buffer. */
export function logCatchUp(d: WsDeps): CatchUpSource {
  return {
    async catchUp(conn: Conn, groupId: number) {
      const m = await d.store.groups.member(groupId, conn.userId);
      if (m?.state !== 'active') return;
      // Routes decided before this catch-up began land first, so their texts are found below. Once is
      // enough: what is decided after it sees the member live.
      await d.delivery.routesWritten().catch(() => {});
      for (;;) {
        const cur = conn.groups.get(groupId);
        const group = await d.store.groups.byId(groupId);
        if (!cur || !group || cur.sent >= group.lastSeq) return;
        // Retention removed the log's start: one range skip instead of reading nothing forever.
        const pruned = group.prunedSeq ?? 0;
        if (cur.sent < pruned) {
          d.hub.writeTo(
            conn,
            groupId,
            pruned,
            d.framer.prunedFrame(groupId, cur.sent + 1, pruned),
            d.clock.now(),
          );
          continue;
        }
        const page = await d.store.messages.range(groupId, cur.sent, group.lastSeq, CATCH_UP_PAGE);
        if (page.length === 0) return;
        // Texts still queued for this page are taken back by the live rung (atomically: a text the queue
        // claimed first has gone and is marked instead); what already reached the member by text or inbox
        // goes with `via`: history, not news.
        const pageEnd = page.at(-1)!.seq;
        const takenBack = await d.store.delivery.takeBackTexts(
          groupId,
          conn.userId,
          cur.sent,
          pageEnd,
          d.clock.now(),
        );
        if (takenBack.length > 0) d.onTextsTakenBack(takenBack.length);
        const via = await deliveredVia(d.store, groupId, conn.userId, cur.sent, pageEnd);
        const now = d.clock.now();
        for (const msg of page) {
          if (msg.seq !== cur.sent + 1) break;
          const visible = visibleTo(msg, m);
          const sender = visible ? await d.framer.user(msg.senderId) : undefined;
          const how = msg.senderId === conn.userId ? undefined : via.get(msg.seq);
          const frame = sender ? d.framer.frame(msg, sender, how) : d.framer.skipFrame(msg);
          d.hub.writeTo(conn, groupId, msg.seq, frame, now);
          if (visible && msg.senderId !== conn.userId && how === undefined)
            d.tracker.sent(conn.userId, groupId, msg.seq, m.ackedSeq, now);
        }
        // Send this page now and let the socket drain before reading more, so a long catch-up cannot
        // fill memory; a socket that closed meanwhile ends it.
        conn.flush();
        await new Promise((r) => setImmediate(r));
        while (conn.socket.readyState === OPEN && conn.socket.bufferedAmount > CATCH_UP_DRAIN_BYTES) {
          await new Promise((r) => setTimeout(r, 10));
        }
        if (conn.socket.readyState !== OPEN) return;
      }
    },
  };
}

export function runWsSession(d: WsDeps, socket: WebSocket): void {
  new WsSession(d, socket);
}

const SETTLED = Promise.resolve();
const SESSION = Symbol('qun.wsSession');
type SessionSocket = WebSocket & { [SESSION]: WsSession };

const sessionOf = (socket: WebSocket) => (socket as SessionSocket)[SESSION];
function onPong(this: WebSocket): void {
  sessionOf(this).pong();
}
function onClose(this: WebSocket): void {
  sessionOf(this).closed();
}
function onError(this: WebSocket): void {
  this.terminate();
}
function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  sessionOf(this).received(data, isBinary);
}

/**
 * One socket's session. A class, not closures: an idle connection holds one object and the four
 * listeners below, where closures over a function's locals held ten functions and their contexts.
 */
class WsSession implements Beating {
  readonly #d: WsDeps;
  readonly #socket: WebSocket;
  #conn: Conn | undefined;
  #alive = true;
  #authTimer: NodeJS.Timeout | undefined;
  /** When the session ends (undefined: never); an exact timer is armed only once it is near. */
  #expiresAt: number | undefined;
  #sessionTimer: NodeJS.Timeout | undefined;
  #queue: Promise<void> = SETTLED;
  /** The last send's read of its group, user and membership; any other frame waits for it. */
  #sendRead: Promise<void> = SETTLED;
  /** Per group, until a resume used it: where the connection started and the bounds a resume is held to. */
  #resumable = new Map<number, { sent: number; joinedSeq: number; lastSeq: number }>();

  constructor(d: WsDeps, socket: WebSocket) {
    this.#d = d;
    this.#socket = socket;
    this.#authTimer = setTimeout(() => socket.close(4001, 'authenticate first'), d.authTimeoutMs);
    d.heartbeat.add(this);
    // The listeners are shared functions that find the session on the socket: four closures and their
    // context per idle connection fewer.
    (socket as SessionSocket)[SESSION] = this;
    socket.on('pong', onPong);
    socket.on('close', onClose);
    socket.on('error', onError);
    socket.on('message', onMessage);
  }

  // pong, closed and received are the socket's events (the listeners above call them).
  pong(): void {
    this.#alive = true;
  }

  beat(): void {
    const socket = this.#socket;
    if (!this.#alive) {
      socket.terminate();
      return;
    }
    this.#alive = false;
    socket.ping();
    this.#armExpiry();
    // A session can expire or be revoked (on any node) while its socket is open: check it each beat.
    const c = this.#conn;
    if (c) {
      // A store that cannot answer now (disk, database down) keeps the socket: the next beat asks again.
      this.#d.store.users.sessionUser(c.sessionHash, this.#d.clock.now()).then(
        (u) => {
          if (!u) socket.close(4001, 'session ended');
        },
        () => {},
      );
    }
  }

  /**
   * Closes the socket when its session ends, to the millisecond. Sessions last weeks: a timer per socket
   * for that would be memory held by every idle connection, so it is armed only within two heartbeats
   * of the end (each beat looks again).
   */
  #armExpiry(): void {
    if (this.#expiresAt === undefined || this.#sessionTimer) return;
    const left = this.#expiresAt - this.#d.clock.now();
    if (left > 2 * this.#d.heartbeat.intervalMs) return;
    const socket = this.#socket;
    this.#sessionTimer = setTimeout(() => socket.close(4001, 'session expired'), Math.max(0, left));
  }

  closed(): void {
    clearTimeout(this.#authTimer);
    if (this.#sessionTimer) clearTimeout(this.#sessionTimer);
    this.#d.heartbeat.delete(this);
    if (this.#conn) this.#d.hub.detach(this.#conn);
  }

  #send(f: ServerFrame): void {
    if (this.#conn) this.#conn.write(encodeFrame(f));
    else this.#socket.send(encodeFrame(f));
  }

  received(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.#socket.close(1003, 'text frames only');
      return;
    }
    const decoded = decodeClientFrames(data.toString());
    if (!decoded.ok) {
      this.#send({ t: 'error', code: 'bad_request', message: decoded.error });
      return;
    }
    // Frames of one socket are handled in order: a send after an ack sees that ack. Consecutive sends
    // share one read (they resolve in order, so they still join the group commit in arrival order);
    // any other frame waits until the sends before it have been read and submitted.
    this.#queue = this.#queue.then(async () => {
      for (const f of decoded.frames) {
        if (f.t !== 'send') await this.#sendRead;
        await this.#handle(f).catch((e) => this.#fail(e, f));
      }
    });
  }

  #fail(e: unknown, f: ClientFrame): void {
    const qe =
      e instanceof QunError ? e : new QunError(isStorageFailure(e) ? 'storage_unavailable' : 'internal');
    const ids = f.t === 'send' ? { cid: f.cid } : f.t === 'cmd' && f.rid ? { rid: f.rid } : {};
    this.#send({ t: 'error', code: qe.code, message: qe.message, ...ids });
  }

  async #handle(f: ClientFrame): Promise<void> {
    const d = this.#d;
    const conn = this.#conn;
    if (!conn) return this.#authenticate(f);
    switch (f.t) {
      case 'auth':
        return;
      case 'resume':
        for (const [g, seq] of Object.entries(f.groups)) {
          const id = Number(g);
          const cur = conn.groups.get(id);
          const from = this.#resumable.get(id);
          this.#resumable.delete(id);
          if (!cur) continue;
          // The resume moves where the connection starts, once, and only while nothing has been written
          // on it for the group. Decided without a store read in between (the bounds are the sign-in's):
          // a catch-up that started during such a read wrote past the old position, and moving the cursor
          // back then made the client's acks of those frames look ahead of what was sent (ignored).
          // Never past the end of the log: a resume beyond it would make the member ack what does not exist.
          if (from && !cur.catchingUp && cur.sent === from.sent)
            cur.sent = Math.min(Math.max(seq, from.joinedSeq), from.lastSeq);
          // A resume position is also an ack: the client holds everything up to it. Without this an ack
          // lost with the old socket would never be repeated when nothing new arrives, and what the
          // client already shows would fall to the inbox or SMS at the ack timeout.
          if (seq > 0) d.delivery.ack(conn.userId, id, Math.min(seq, cur.sent));
        }
        return;
      case 'ack': {
        const cur = conn.groups.get(f.g);
        if (!cur) return;
        conn.unackedSince = 0;
        d.delivery.ack(conn.userId, f.g, Math.min(f.seq, cur.sent));
        return;
      }
      case 'send': {
        if (!conn.groups.has(f.g)) throw new QunError('not_found');
        // Neither awaited: the socket's next sends join the same read and the same group commit instead of
        // waiting a round trip and an fsync each. They enter the batch in arrival order; each `sent`
        // answers once its message is durable.
        this.#sendRead = d.messages
          .sender(f.g, conn.userId)
          .then(({ group, user, member }) => {
            if (!group) throw new QunError('not_found');
            if (!user) throw new QunError('unauthenticated');
            void d.messages
              .post(
                {
                  group,
                  sender: user,
                  body: f.body,
                  source: 'ws',
                  clientMsgId: f.cid,
                  urgent: f.urgent === true,
                },
                member,
              )
              .then(
                (r) =>
                  this.#send({
                    t: 'sent',
                    cid: f.cid,
                    g: f.g,
                    seq: r.message.seq,
                    id: r.message.id,
                    duplicate: r.duplicate,
                  }),
                (e) => this.#fail(e, f),
              );
          })
          .catch((e) => this.#fail(e, f));
        return;
      }
      case 'cmd': {
        const user = await d.store.users.byId(conn.userId);
        if (!user) throw new QunError('unauthenticated');
        this.#send(await wsCommand(d, user, f));
        return;
      }
      case 'ping':
        this.#send({ t: 'pong' });
        return;
    }
  }

  async #authenticate(f: ClientFrame): Promise<void> {
    const d = this.#d;
    const socket = this.#socket;
    if (f.t !== 'auth') throw new QunError('unauthenticated');
    const session = await d.auth.authenticate(f.token);
    if (!session) {
      socket.close(4001, 'invalid token');
      return;
    }
    const groups = await d.store.groups.ofUser(session.user.id, ['active']);
    const expiresAt = await d.store.users.sessionExpiry(session.sessionHash, d.clock.now());
    // A socket that closed while the store answered (a client that dropped at once, a slow database)
    // has had its close handler already: attaching it now would keep it in the hub and the member
    // "live" for good, and leave a session timer that nothing clears.
    if (socket.readyState !== OPEN) return;
    clearTimeout(this.#authTimer);
    this.#authTimer = undefined;
    const conn = new LiveConnection(session.user.id, session.sessionHash, socket, d.clock.now());
    for (const { group, membership } of groups) {
      conn.groups.set(membership.groupId, { sent: membership.ackedSeq, catchingUp: false });
      this.#resumable.set(membership.groupId, {
        sent: membership.ackedSeq,
        joinedSeq: membership.joinedSeq,
        lastSeq: group.lastSeq,
      });
    }
    d.hub.attach(conn);
    // The socket ends with its session (long sessions are re-checked on each heartbeat as well).
    this.#expiresAt = expiresAt;
    this.#armExpiry();
    this.#conn = conn;
    this.#send({
      t: 'ready',
      v: PROTOCOL_VERSION,
      user: { id: session.user.id, phone: session.user.phone, name: session.user.displayName },
      groups: groups.map(({ group, membership }) => ({
        g: group.id,
        app: group.appNumber,
        number: group.groupNumber,
        address: groupAddress(d.plan, group.appNumber, group.groupNumber),
        name: group.name,
        role: membership.role,
        lastSeq: group.lastSeq,
        ackedSeq: membership.ackedSeq,
      })),
    });
    // `ready` goes out in its own frame, ahead of any catch-up. Without a resume frame the client gets
    // everything after its member's acked seq; give the client this turn to send one first.
    conn.flush();
    setImmediate(() => {
      for (const g of conn.groups.keys()) d.hub.startCatchUp(conn, g);
    });
  }
}
