// A clock the test moves by hand (the Clock seam of src/core/clock.ts): quiet hours, digest windows and
// budget periods are tested without waiting and without reading the wall clock.
import type { Clock } from '../../src/core/clock.ts';

export class ManualClock implements Clock {
  #t: number;
  constructor(start: number | string) {
    this.#t = typeof start === 'string' ? Date.parse(start) : start;
  }
  now(): number {
    return this.#t;
  }
  set(t: number | string): void {
    this.#t = typeof t === 'string' ? Date.parse(t) : t;
  }
  advance(ms: number): void {
    this.#t += ms;
  }
}
