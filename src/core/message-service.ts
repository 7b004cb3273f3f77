// Accepting group messages: validate, check membership and the app's policy, append to the log by
// group commit, answer once durable, then hand the message to the delivery engine. Also history.
import type { AppRegistry } from '../apps/registry.ts';
import { type GroupInfo, hasRole, type Membership } from '../domain/group.ts';
import { QunError } from '../errors/catalogue.ts';
import type {
  AppendResult,
  MessageSource,
  NewMessage,
  Sender,
  Store,
  StoredMessage,
  User,
} from '../store/store.ts';
import { Batcher } from '../util/batcher.ts';
import type { Metrics } from '../util/metrics.ts';
import { type Clock, newMessageId } from './clock.ts';
import type { DeliveryEngine } from './delivery-engine.ts';
import { visibleTo } from './frames.ts';

export interface PostInput {
  group: GroupInfo;
  sender: User;
  body: string;
  source: MessageSource;
  clientMsgId: string | null;
  /** Marked urgent by its sender: only owners and admins may. */
  urgent?: boolean;
}

export type HistoryItem = { message: StoredMessage } | { hidden: { groupId: number; seq: number } };

export class MessageService {
  readonly #store: Store;
  readonly #apps: AppRegistry;
  readonly #delivery: DeliveryEngine;
  readonly #clock: Clock;
  readonly #metrics: Metrics;
  readonly #maxChars: number;
  readonly #appends: Batcher<NewMessage, AppendResult>;
  readonly #senders: Batcher<{ groupId: number; userId: number }, Sender>;

  constructor(
    store: Store,
    apps: AppRegistry,
    delivery: DeliveryEngine,
    clock: Clock,
    metrics: Metrics,
    maxChars: number,
  ) {
    this.#store = store;
    this.#apps = apps;
    this.#delivery = delivery;
    this.#clock = clock;
    this.#metrics = metrics;
    this.#maxChars = maxChars;
    this.#appends = new Batcher((batch) => store.messages.append(batch));
    this.#senders = new Batcher((keys) => store.groups.senders(keys));
  }

  /**
   * The group, user and membership a send needs, with every other send of this event-loop turn in one
   * read: one round trip per turn, not three per send. The store answers from memory what it read within
   * the last second and no write through it (nor another node's hint) has changed since
   * (src/store/cached/cached-reads.ts). A send uses only the membership's state and role; its cursors
   * may be that old.
   */
  sender(groupId: number, userId: number): Promise<Sender> {
    return this.#senders.submit({ groupId, userId });
  }

  /** Checks a body against the limits; returns the problem, if any, without throwing. */
  check(body: string): 'empty_message' | 'message_too_long' | 'invalid_characters' | undefined {
    if (body.trim().length === 0) return 'empty_message';
    // No channel carries a NUL (C strings end there, PostgreSQL's text refuses it): refused everywhere alike.
    if (body.includes('\u0000')) return 'invalid_characters';
    // Characters are counted as code points, never more than the UTF-16 units: only a body longer than
    // the limit in units needs counting.
    if (body.length <= this.#maxChars) return undefined;
    let n = 0;
    for (const _ of body) if (++n > this.#maxChars) return 'message_too_long';
    return undefined;
  }

  get maxChars(): number {
    return this.#maxChars;
  }

  /** Durable when it resolves. A retry with the same clientMsgId returns the first result. */
  async post(input: PostInput, membership?: Membership): Promise<AppendResult> {
    // Membership first: a body error for a group you are not in would tell you the group exists.
    const me = membership ?? (await this.#store.groups.member(input.group.id, input.sender.id));
    if (me?.state !== 'active') throw new QunError('not_found');
    const problem = this.check(input.body);
    if (problem) throw new QunError(problem, undefined, { max: this.#maxChars });
    if (input.urgent && !hasRole(me, 'admin'))
      throw new QunError('forbidden', 'Only owners and admins may mark a message urgent.');
    const app = this.#apps.get(input.group.appNumber);
    if (!app) throw new QunError('not_found');
    const result = await this.#appends.submit({
      groupId: input.group.id,
      id: newMessageId(this.#clock.now()),
      senderId: input.sender.id,
      body: input.body,
      source: input.source,
      clientMsgId: input.clientMsgId,
      audience: app.audienceFor(me),
      createdAt: this.#clock.now(),
      ...(input.urgent ? { urgent: true } : {}),
    });
    if (result.duplicate) {
      this.#metrics.duplicates.inc();
    } else {
      this.#metrics.accepted.inc({ source: input.source });
      void this.#delivery.dispatch(
        { ...input.group, lastSeq: result.message.seq },
        result.message,
        input.sender,
      );
    }
    return result;
  }

  /** A member's history after a seq; messages the member may not see are returned as hidden markers. */
  async history(
    group: GroupInfo,
    me: Membership,
    afterSeq: number,
    limit: number,
  ): Promise<{ items: HistoryItem[]; lastSeq: number }> {
    const fresh = await this.#store.groups.byId(group.id);
    const lastSeq = fresh?.lastSeq ?? group.lastSeq;
    const rows = await this.#store.messages.range(group.id, Math.max(afterSeq, me.joinedSeq), lastSeq, limit);
    return {
      items: rows.map((m) =>
        visibleTo(m, me) ? { message: m } : { hidden: { groupId: m.groupId, seq: m.seq } },
      ),
      lastSeq,
    };
  }

  async idle(): Promise<void> {
    await this.#appends.idle();
  }
}
