// Ack deadlines per member and group, not per message: one FIFO of deadlines (the timeout is constant,
// so insertion order is deadline order) and one timer for the whole node.
import type { AckDeadlines, AckTimeout } from '../../core/ports/live-delivery.ts';

export type { AckTimeout };

interface Pending {
  acked: number;
  sentUpTo: number;
  /** A deadline for this key is in the queue. */
  queued: boolean;
}

export class AckTracker implements AckDeadlines {
  readonly #timeoutMs: number;
  // group → user → pending: numeric keys, no string building on the per-delivery path.
  readonly #pending = new Map<number, Map<number, Pending>>();
  #size = 0;
  #queue: { deadline: number; userId: number; groupId: number; ackedAtStart: number }[] = [];
  #head = 0;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** A message was written to the member's live connections. */
  sent(userId: number, groupId: number, seq: number, ackedSeq: number, now: number): void {
    let byUser = this.#pending.get(groupId);
    if (!byUser) {
      byUser = new Map();
      this.#pending.set(groupId, byUser);
    }
    let p = byUser.get(userId);
    if (!p) {
      p = { acked: ackedSeq, sentUpTo: seq, queued: false };
      byUser.set(userId, p);
      this.#size++;
    }
    if (seq > p.sentUpTo) p.sentUpTo = seq;
    if (p.sentUpTo > p.acked && !p.queued) this.#enqueue(userId, groupId, p, now);
  }

  /** A cumulative ack; returns true when it moved the member's cursor. */
  acked(userId: number, groupId: number, seq: number): boolean {
    const p = this.#pending.get(groupId)?.get(userId);
    if (!p) return true;
    if (seq <= p.acked) return false;
    p.acked = seq;
    if (p.acked >= p.sentUpTo && !p.queued) this.#delete(userId, groupId);
    return true;
  }

  /** Whether the member has messages of this group waiting for a live ack. */
  pending(userId: number, groupId: number): boolean {
    return this.#pending.get(groupId)?.has(userId) ?? false;
  }

  /** Forgets a member's pending state (removed from the group). */
  forget(userId: number, groupId: number): void {
    this.#delete(userId, groupId);
  }

  /** Returns the ranges whose deadline passed without progress. */
  expire(now: number): AckTimeout[] {
    const out: AckTimeout[] = [];
    while (this.#head < this.#queue.length && this.#queue[this.#head]!.deadline <= now) {
      const e = this.#queue[this.#head++]!;
      const p = this.#pending.get(e.groupId)?.get(e.userId);
      if (!p) continue;
      p.queued = false;
      if (p.acked >= p.sentUpTo) {
        this.#delete(e.userId, e.groupId);
      } else if (p.acked > e.ackedAtStart) {
        // Progress since this deadline was set: the rest gets a fresh timeout, like a TCP retransmit timer.
        this.#enqueue(e.userId, e.groupId, p, now);
      } else {
        out.push({
          userId: e.userId,
          groupId: e.groupId,
          fromSeq: p.acked,
          toSeq: p.sentUpTo,
          armedAt: e.deadline - this.#timeoutMs,
        });
        this.#delete(e.userId, e.groupId);
      }
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return out;
  }

  get size(): number {
    return this.#size;
  }

  #delete(userId: number, groupId: number): void {
    const byUser = this.#pending.get(groupId);
    if (!byUser?.delete(userId)) return;
    this.#size--;
    if (byUser.size === 0) this.#pending.delete(groupId);
  }

  #enqueue(userId: number, groupId: number, p: Pending, now: number): void {
    p.queued = true;
    this.#queue.push({ deadline: now + this.#timeoutMs, userId, groupId, ackedAtStart: p.acked });
  }
}
