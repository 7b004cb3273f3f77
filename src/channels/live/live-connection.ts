// One live connection: which member and groups it serves, what each has been sent, and its writes.
// Frames for one socket are coalesced per event-loop turn into one write, and sockets that get the same
// frames in a turn share one encoded buffer.

/** The part of a WebSocket the hub uses; ws's WebSocket satisfies it. */
export interface LiveSocket {
  send(data: string | Buffer, opts?: { binary?: boolean }): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  readonly bufferedAmount: number;
  /** 1 while open (the WebSocket readyState). */
  readonly readyState: number;
}

export interface GroupCursor {
  /** Highest seq written to this connection for the group. */
  sent: number;
  /** The connection is reading the log to close a gap (or waits for its turn to); live frames wait for it. */
  catchingUp: boolean;
  /**
   * Live frames that arrived while it caught up, by seq: written once the catch-up has reached them, so
   * a socket that fell behind once is not read from the log for every message after (fan-out decided
   * these live, as if it had been in step). Bounded: past MAX_PENDING the catch-up reads them instead.
   */
  pending?: Map<number, { frame: string; at: number }>;
  /** Characters held in `pending` (they count against the connection's buffer limit). */
  pendingBytes?: number;
}

// Connections with frames waiting, flushed together once per event-loop turn: one timer for all of them.
const dirty: LiveConnection[] = [];
let flushScheduled = false;

/**
 * In a fan-out every member's connection gets the same frames in the same turn. Their payload is joined
 * and UTF-8 encoded once and the same buffer is written to each socket: members whose frame lists are
 * the very same string objects, in the same order, share it.
 */
function flushDirty(): void {
  flushScheduled = false;
  const list = dirty.splice(0, dirty.length);
  const shared = new Map<string, { frames: string[]; payload: Buffer }[]>();
  for (const conn of list) {
    const frames = conn.take();
    if (frames.length === 0) continue;
    const candidates = shared.get(frames[0]!);
    let hit = candidates?.find((c) => sameFrames(c.frames, frames));
    if (!hit) {
      hit = { frames, payload: Buffer.from(frames.length === 1 ? frames[0]! : frames.join('\n')) };
      if (candidates) candidates.push(hit);
      else shared.set(frames[0]!, [hit]);
    }
    conn.socket.send(hit.payload, TEXT);
  }
}

const TEXT = { binary: false };

function sameFrames(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class LiveConnection {
  readonly userId: number;
  readonly sessionHash: string;
  readonly socket: LiveSocket;
  readonly groups = new Map<number, GroupCursor>();
  /** When the connection was authenticated (a fresh one gets its own ack timeout for a range in flight). */
  readonly openedAt: number;
  /** Time of the oldest frame written since this connection last acked; 0 when none. */
  unackedSince = 0;
  #out: string[] = [];
  #outBytes = 0;
  #flushScheduled = false;
  /** Live frames held for the connection's catch-ups, over all its groups (see GroupCursor.pending). */
  heldBytes = 0;

  constructor(userId: number, sessionHash: string, socket: LiveSocket, openedAt = Date.now()) {
    this.openedAt = openedAt;
    this.userId = userId;
    this.sessionHash = sessionHash;
    this.socket = socket;
  }

  /**
   * What the server holds for this connection: bytes written to the socket but not yet sent, frames
   * waiting for this turn's flush, and live frames held while it catches up.
   */
  get backlog(): number {
    return this.socket.bufferedAmount + this.#outBytes + this.heldBytes;
  }

  /** Drops what a cursor held for its catch-up, so it no longer counts against the limit. */
  release(cur: GroupCursor): void {
    this.heldBytes -= cur.pendingBytes ?? 0;
    cur.pending = undefined;
    cur.pendingBytes = undefined;
  }

  write(frame: string): void {
    this.#out.push(frame);
    this.#outBytes += frame.length;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      dirty.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushDirty);
      }
    }
  }

  /** Takes the frames waiting for this turn's write. */
  take(): string[] {
    this.#flushScheduled = false;
    const out = this.#out;
    this.#out = [];
    this.#outBytes = 0;
    return out;
  }

  /** Writes the waiting frames now, in one WebSocket frame. */
  flush(): void {
    const frames = this.take();
    if (frames.length > 0) this.socket.send(frames.length === 1 ? frames[0]! : frames.join('\n'));
  }
}
