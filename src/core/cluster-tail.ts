// Live delivery of what other nodes committed. The node that accepts a message fans it out to the
// sockets it holds and routes the members who are live nowhere; a member whose socket is on this node is
// served from here: a hint ("group G committed up to S") or this node's own poll of the groups its
// sockets follow makes it read the new part of the log once, frame each message once, and write it to
// every local connection that is in step. The log is the truth and the hint only a shortcut: a lost hint
// (a restarted Redis, a dropped subscriber) is made good by the next poll.
import type { Store, StoredMessage } from '../store/store.ts';
import type { Clock } from './clock.ts';
import { type MessageFramer, visibleTo } from './frames.ts';
import type { MemberCache } from './member-cache.ts';
import type { LiveDelivery } from './ports/live-delivery.ts';

export interface ClusterTailDeps {
  store: Store;
  hub: LiveDelivery;
  members: MemberCache;
  framer: MessageFramer;
  clock: Clock;
  /**
   * A connection opened less than this long ago reads new messages from the log instead of taking them
   * from the tail: until its presence reached every node, another node may have texted the member one.
   */
  settleMs: number;
  log: { warn: (o: object, msg: string) => void };
}

const PAGE = 500;

export class ClusterTail {
  readonly #d: ClusterTailDeps;
  /** Per group: the highest seq this tail has handed to the local connections. */
  readonly #done = new Map<number, number>();
  /** Per group: the highest seq known to be committed (hints, polls). */
  readonly #known = new Map<number, number>();
  readonly #running = new Map<number, Promise<void>>();

  constructor(deps: ClusterTailDeps) {
    this.#d = deps;
  }

  /** Another node (or this one) committed group `groupId` up to `seq`. */
  committed(groupId: number, seq: number): void {
    if (seq <= (this.#known.get(groupId) ?? 0)) return;
    this.#known.set(groupId, seq);
    if (!this.#running.has(groupId)) {
      const run = this.#drain(groupId)
        .catch((e) =>
          this.#d.log.warn({ err: e, groupId }, 'live delivery from the log failed; the next poll retries'),
        )
        .finally(() => this.#running.delete(groupId));
      this.#running.set(groupId, run);
    }
  }

  /** The fallback for lost hints: reads the end of every group a local socket follows. */
  async poll(): Promise<void> {
    const groups = this.#d.hub.followedGroups();
    for (const id of this.#done.keys()) if (!groups.has(id)) this.#forget(id);
    for (const id of groups) {
      const g = await this.#d.store.groups.byId(id);
      if (g) this.committed(id, g.lastSeq);
    }
  }

  /** Waits for the reads in progress (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running.values());
  }

  #forget(groupId: number): void {
    this.#done.delete(groupId);
    this.#known.delete(groupId);
  }

  async #drain(groupId: number): Promise<void> {
    const d = this.#d;
    for (;;) {
      const known = this.#known.get(groupId) ?? 0;
      // Where to start: after what this tail handed over, or (first time) after the least any local
      // connection has; a connection further behind reads the log itself.
      const from = this.#done.get(groupId) ?? d.hub.lowestSent(groupId);
      if (from === undefined) return this.#forget(groupId);
      if (from >= known) return;
      const page = await d.store.messages.range(groupId, from, known, PAGE);
      if (page.length === 0) {
        // Retention removed the range: connections that are behind get the skip from their own log read.
        this.#done.set(groupId, known);
        continue;
      }
      await this.#hand(groupId, page);
      this.#done.set(groupId, Math.max(this.#done.get(groupId) ?? 0, page.at(-1)!.seq));
    }
  }

  async #hand(groupId: number, page: StoredMessage[]): Promise<void> {
    const d = this.#d;
    const members = (await d.members.active(groupId)).filter((m) => d.hub.localConnections(m.userId) > 0);
    if (members.length === 0) return;
    const now = d.clock.now();
    const settledBefore = now - d.settleMs;
    for (const msg of page) {
      const sender = await d.framer.user(msg.senderId);
      const frame = sender ? d.framer.frame(msg, sender) : d.framer.skipFrame(msg);
      const skip = d.framer.skipFrame(msg);
      for (const m of members) {
        const own = m.userId === msg.senderId;
        const visible = sender !== undefined && visibleTo(msg, m);
        d.hub.deliverFromPeer(
          m.userId,
          groupId,
          msg.seq,
          visible ? frame : skip,
          m.ackedSeq,
          visible && !own,
          now,
          settledBefore,
        );
      }
    }
  }
}
