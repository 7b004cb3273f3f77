// Builds the protocol's message frames once per message, with the sender's name from a small cache.

import type { Membership } from '../domain/group.ts';
import { encodeFrame, type Via, type WireMessage } from '../domain/live-protocol.ts';
import type { Store, StoredMessage, User } from '../store/store.ts';

/** Whether a member may see a message: announcement replies are for admins (and their sender). */
export function visibleTo(msg: StoredMessage, m: Pick<Membership, 'role' | 'userId'>): boolean {
  return msg.audience === 'all' || m.role !== 'member' || msg.senderId === m.userId;
}

export function wireMessage(
  msg: StoredMessage,
  sender: Pick<User, 'id' | 'displayName' | 'phone'>,
  via?: Via,
): WireMessage {
  const w: WireMessage = {
    t: 'msg',
    g: msg.groupId,
    seq: msg.seq,
    id: msg.id,
    from: { id: sender.id, name: sender.displayName ?? sender.phone },
    body: msg.body,
    at: msg.createdAt,
  };
  if (msg.clientMsgId !== null && msg.source !== 'sms') w.cid = msg.clientMsgId;
  if (via) w.via = via;
  return w;
}

export class MessageFramer {
  readonly #store: Store;
  readonly #users = new Map<number, User>();

  constructor(store: Store) {
    this.#store = store;
  }

  /** The frame of a message; with `via` for a member it already reached by another channel. */
  frame(msg: StoredMessage, sender: User, via?: Via): string {
    return encodeFrame(wireMessage(msg, sender, via));
  }

  skipFrame(msg: StoredMessage): string {
    return encodeFrame({ t: 'skip', g: msg.groupId, seq: msg.seq });
  }

  /** Seqs from…seq that history retention removed: one frame for the whole range. */
  prunedFrame(groupId: number, from: number, seq: number): string {
    return encodeFrame({ t: 'skip', g: groupId, seq, from });
  }

  async user(id: number): Promise<User | undefined> {
    let u = this.#users.get(id);
    if (!u) {
      u = await this.#store.users.byId(id);
      if (u) this.#users.set(id, u);
      if (this.#users.size > 10_000) this.#users.clear();
    }
    return u;
  }

  /** A user's name changed. */
  forget(id: number): void {
    this.#users.delete(id);
  }
}
