// An inbound text as a gateway hands it over (with the gateway's name), and the clean-up every text gets before it is read.

/** What the handlers below need of a text: its words and where it came from. */
export type TextBody = Pick<InboundSms, 'text' | 'gateway' | 'ref'>;

export type InboundSms = { from: string; to: string; text: string; gateway: string; ref: string | null };

/** A NUL is never typed on a phone (a UCS-2 0x0000 is a gateway artefact), and no store keeps one. */
export function withoutNul(t: InboundSms): InboundSms {
  return { ...t, text: t.text.replaceAll('\u0000', ''), ref: t.ref?.replaceAll('\u0000', '') ?? null };
}
