// The real-time protocol's frames (docs/protocol.md). Client frames are validated here; server frames
// are built once per message and written to every connection that should see it.
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;
/** Largest client frame accepted; larger ones close the socket with 1009 (message too big). */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;

const groupId = z.number().int().positive();
const seq = z.number().int().nonnegative();
/** Client ids are stored; no store keeps a NUL (bodies get their own error: invalid_characters). */
const noNul = (x: string) => !x.includes('\u0000');

export const ClientFrame = z.discriminatedUnion('t', [
  z.object({ t: z.literal('auth'), token: z.string().min(1).max(200) }),
  z.object({ t: z.literal('resume'), groups: z.record(z.string().regex(/^\d+$/), seq) }),
  z.object({ t: z.literal('ack'), g: groupId, seq }),
  z.object({
    t: z.literal('send'),
    g: groupId,
    cid: z.string().min(1).max(64).refine(noNul, 'no NUL characters'),
    body: z.string(),
    /** Owners and admins: overrides quiet hours, digests and "SMS only for urgent". */
    urgent: z.boolean().optional(),
  }),
  z.object({
    t: z.literal('cmd'),
    g: groupId.optional(),
    rid: z.string().max(64).optional(),
    text: z.string().max(4000),
  }),
  z.object({ t: z.literal('ping') }),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

export interface WireMessage {
  t: 'msg';
  g: number;
  seq: number;
  id: string;
  from: { id: number; name: string };
  body: string;
  at: number;
  cid?: string;
  /**
   * The message already reached this member by another channel (a text, the inbox): show it in the
   * history, but do not raise it as new. Absent on a message raised as new.
   */
  via?: Via;
}

/** The channel other than live that delivered a message to a member. */
export type Via = 'sms' | 'inbox';

export type ServerFrame =
  | WireMessage
  | { t: 'skip'; g: number; seq: number; from?: number }
  | {
      t: 'ready';
      v: number;
      user: { id: number; phone: string; name: string | null };
      groups: {
        g: number;
        app: string;
        number: string;
        address: string;
        name: string;
        role: string;
        lastSeq: number;
        ackedSeq: number;
      }[];
    }
  | { t: 'sent'; cid: string; g: number; seq: number; id: string; duplicate: boolean }
  | { t: 'cmd_result'; rid?: string; text: string }
  | {
      t: 'group';
      g: number;
      event: 'joined' | 'removed' | 'renamed' | 'members' | 'invited';
      name?: string;
      lastSeq?: number;
    }
  | { t: 'error'; code: string; message: string; cid?: string; rid?: string }
  | { t: 'pong' };

/** A server frame as text. Several may share one WebSocket frame, separated by "\n". */
export function encodeFrame(f: ServerFrame): string {
  return JSON.stringify(f);
}

function isAck(v: unknown): v is Extract<ClientFrame, { t: 'ack' }> {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    o['t'] === 'ack' &&
    Object.keys(o).length === 3 &&
    Number.isSafeInteger(o['g']) &&
    (o['g'] as number) > 0 &&
    Number.isSafeInteger(o['seq']) &&
    (o['seq'] as number) >= 0
  );
}

/** Decodes a client WebSocket frame: one JSON object, or several separated by "\n". */
export function decodeClientFrames(
  data: string,
): { ok: true; frames: ClientFrame[] } | { ok: false; error: string } {
  const frames: ClientFrame[] = [];
  for (const line of data.split('\n')) {
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return { ok: false, error: 'frame is not JSON' };
    }
    // Acks are most of the traffic: checked by hand, they skip the schema's general path.
    if (isAck(json)) {
      frames.push(json);
      continue;
    }
    const parsed = ClientFrame.safeParse(json);
    if (!parsed.success) {
      return {
        ok: false,
        error: `invalid frame: ${parsed.error.issues[0]?.path.join('.') || ''} ${parsed.error.issues[0]?.message}`,
      };
    }
    frames.push(parsed.data);
  }
  return { ok: true, frames };
}
