// Picture messages (MMS) reach Qun with their media as links it does not carry: group members on SMS
// could not see them, and passing provider media URLs on would hand out links that need the provider's
// credentials. So the words go on as usual and the sender is told, once per message, in their
// language, that the picture was not passed on (qun_sms_media_not_carried_total counts them).

import { reply } from '../domain/commands/replies.ts';
import { textLanguage } from '../domain/language.ts';
import type { Store } from '../store/store.ts';
import type { Metrics } from '../util/metrics.ts';
import type { Clock } from './clock.ts';
import type { InboundText } from './ports/gateway-hooks.ts';

export interface MediaNoticeDeps {
  store: Store;
  clock: Clock;
  metrics: Metrics;
  gateway: string;
  /** Something was queued: the SMS queue should drain. */
  onQueued(): void;
}

/** Tells the sender of a text with media that only its words were carried. */
export function mediaNotice(d: MediaNoticeDeps): (t: InboundText) => Promise<void> {
  return async (t) => {
    if (!t.media) return;
    // A webhook retried with the same message id must not text the sender twice.
    if (t.ref !== null && !(await d.store.outbound.firstInbound(d.gateway, `media:${t.ref}`, d.clock.now())))
      return;
    d.metrics.mediaDropped.inc({ gateway: d.gateway });
    const textSent = t.text.trim() !== '';
    // The one language rule: the words typed decide (Chinese script), else the number's region.
    const typed = /[\u3400-\u9fff]/.test(t.text) ? 'zh' : textSent ? 'en' : undefined;
    const text = reply(textLanguage({ typed, phone: t.from }), { kind: 'media_not_carried', textSent });
    // From the address the sender wrote to, as every reply.
    await d.store.outbound.enqueue(
      [{ kind: 'reply', toPhone: t.from, fromAddr: t.to, text, groupId: null, seq: null, userId: null }],
      d.clock.now(),
    );
    d.onQueued();
  };
}
