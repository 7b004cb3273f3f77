// One heartbeat timer for all of a node's sockets: each socket is still beaten once per interval, the
// beats are spread over the interval (not all in one turn), and the timer stops with the last socket.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Beating, HeartbeatSweep } from '../../../src/ws/heartbeat.ts';

function counter(): Beating & { beats: number } {
  return {
    beats: 0,
    beat() {
      this.beats++;
    },
  };
}

test('every socket is beaten once per interval, and no tick beats them all', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const sweep = new HeartbeatSweep(1_600);
  const sockets = Array.from({ length: 160 }, counter);
  for (const s of sockets) sweep.add(s);
  let mostInOneTick = 0;
  for (let tick = 0; tick < 16 * 3; tick++) {
    const before = sockets.reduce((n, s) => n + s.beats, 0);
    t.mock.timers.tick(100);
    mostInOneTick = Math.max(mostInOneTick, sockets.reduce((n, s) => n + s.beats, 0) - before);
  }
  for (const s of sockets) assert.equal(s.beats, 3, 'three intervals, three beats each');
  assert.equal(mostInOneTick, 10, 'a sixteenth of the sockets per tick');
  sweep.stop();
});

test('a socket removed, also from inside its own beat, is not beaten again; the timer stops with the last', (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const sweep = new HeartbeatSweep(160);
  const kept = counter();
  const leaving: Beating & { beats: number } = {
    beats: 0,
    beat() {
      this.beats++;
      sweep.delete(this); // a beat that terminates its socket
    },
  };
  sweep.add(kept);
  sweep.add(leaving);
  sweep.add(kept); // added twice: still one entry
  assert.equal(sweep.size, 2);
  t.mock.timers.tick(160 * 2);
  assert.equal(leaving.beats, 1);
  assert.equal(kept.beats, 2);
  sweep.delete(kept);
  assert.equal(sweep.size, 0);
  t.mock.timers.tick(160 * 2);
  assert.equal(kept.beats, 2, 'nothing beats once the sweep is empty');
  sweep.add(kept); // the timer starts again with the next socket
  t.mock.timers.tick(160);
  assert.equal(kept.beats, 3);
  sweep.stop();
});
