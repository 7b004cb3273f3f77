// The client's stream bookkeeping, shared by Node and the browser: frame splitting, ids, and per-group
// ordering with de-duplication and gap detection. Type imports only, so it is served type-stripped as is.
import type { ServerFrame, WireMessage } from '../domain/live-protocol.ts';

export type StreamFrame = WireMessage | Extract<ServerFrame, { t: 'skip' }>;

/** crypto.randomUUID exists only in secure contexts; a self-hosted server reached over plain http is not one. */
export function randomId(): string {
  if (typeof globalThis.crypto.randomUUID === 'function') return globalThis.crypto.randomUUID();
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** One WebSocket frame may carry several server frames separated by "\n"; unparseable lines are dropped. */
export function splitFrames(data: string): ServerFrame[] {
  const out: ServerFrame[] = [];
  for (const line of data.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const f = JSON.parse(line) as ServerFrame;
      if (f && typeof f === 'object' && typeof f.t === 'string') out.push(f);
    } catch {
      // A torn or foreign line must not stop the frames after it.
    }
  }
  return out;
}

/**
 * Per-group ordering of msg/skip frames: frames up to the last contiguous seq are duplicates, frames past a
 * gap are held until it fills, and released messages are handed out in seq order by take().
 */
export class GroupStreams {
  readonly #last = new Map<number, number>();
  readonly #held = new Map<number, Map<number, StreamFrame>>();
  readonly #out: WireMessage[] = [];
  readonly #ids = new Set<string>();
  readonly #maxIds: number;

  constructor(maxIds = 5000) {
    this.#maxIds = maxIds;
  }

  /** Sets where a group's stream starts (resume point, ready's ackedSeq, a join) unless it is already known. */
  base(g: number, seq: number): void {
    if (this.#last.has(g)) return;
    this.#last.set(g, seq);
    const held = this.#held.get(g);
    for (const s of held?.keys() ?? []) if (s <= seq) held!.delete(s);
    this.#release(g);
  }

  accept(f: StreamFrame): 'new' | 'dup' | 'gap' {
    const last = this.#last.get(f.g) ?? 0;
    let held = this.#held.get(f.g);
    if (f.seq <= last || held?.has(f.seq)) return 'dup';
    // A message id seen before still occupies its seq, or the stream would wait on it forever.
    const dupId = f.t === 'msg' && this.#ids.has(f.id);
    if (!held) {
      held = new Map();
      this.#held.set(f.g, held);
    }
    // A range skip (history removed by retention) waits at its first seq and releases up to its last.
    const at = f.t === 'skip' && f.from !== undefined ? Math.max(f.from, last + 1) : f.seq;
    held.set(at, dupId ? { t: 'skip', g: f.g, seq: f.seq } : f);
    if (!this.#last.has(f.g)) return dupId ? 'dup' : 'gap';
    this.#release(f.g);
    if (dupId) return 'dup';
    return (this.#last.get(f.g) ?? 0) >= f.seq ? 'new' : 'gap';
  }

  #release(g: number): void {
    const held = this.#held.get(g);
    let last = this.#last.get(g) ?? 0;
    for (let f = held?.get(last + 1); f; f = held?.get(last + 1)) {
      held!.delete(last + 1);
      last = Math.max(last + 1, f.seq);
      if (f.t === 'msg') {
        this.#out.push(f);
        this.#ids.add(f.id);
        if (this.#ids.size > this.#maxIds) this.#ids.delete(this.#ids.values().next().value!);
      }
      // A range skip may have covered frames held inside it.
      for (const s of held!.keys()) if (s <= last) held!.delete(s);
    }
    this.#last.set(g, last);
    if (held?.size === 0) this.#held.delete(g);
  }

  /** Messages released since the last call, in arrival-then-seq order. */
  take(): WireMessage[] {
    return this.#out.splice(0);
  }

  lastContiguous(g: number): number {
    return this.#last.get(g) ?? 0;
  }

  /** Groups holding frames past a gap. */
  gaps(): number[] {
    return [...this.#held.keys()];
  }

  forget(g: number): void {
    this.#last.delete(g);
    this.#held.delete(g);
  }

  /** The resume frame's groups: each known group's last contiguous seq. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.#last].map(([g, s]) => [String(g), s]));
  }
}
