// A socket for the live hub's unit tests: records every frame written to it (the hub joins a turn's
// frames with newlines; they are split back), open until closed or terminated.
import type { LiveSocket } from '../../src/channels/live/live-connection.ts';

export class FakeLiveSocket implements LiveSocket {
  readonly sent: string[] = [];
  readyState = 1;
  bufferedAmount = 0;
  send(data: string | Buffer): void {
    this.sent.push(...String(data).split('\n'));
  }
  close(): void {
    this.readyState = 3;
  }
  terminate(): void {
    this.readyState = 3;
  }
  /** The frames, parsed. */
  frames<T = { seq: number }>(): T[] {
    return this.sent.map((f) => JSON.parse(f) as T);
  }
  seqs(): number[] {
    return this.frames().map((f) => f.seq);
  }
}
