// Tests for the client's pure parts: splitting multi-frame data, and per-group ordering, gaps and de-duplication.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { GroupStreams, QunApiError, randomId, splitFrames } from '../../../src/client/qun-client.ts';
import type { WireMessage } from '../../../src/domain/live-protocol.ts';

const msg = (g: number, seq: number, id = `m${g}-${seq}`): WireMessage => ({
  t: 'msg',
  g,
  seq,
  id,
  from: { id: 1, name: 'A' },
  body: `body ${seq}`,
  at: 0,
});
const skip = (g: number, seq: number) => ({ t: 'skip' as const, g, seq });
const seqs = (ms: WireMessage[]) => ms.map((m) => m.seq);

describe('splitFrames', () => {
  it('reads one frame, several separated by newlines, and skips blank lines', () => {
    assert.deepEqual(splitFrames('{"t":"pong"}'), [{ t: 'pong' }]);
    const data = [JSON.stringify(msg(1, 1)), '', JSON.stringify(skip(1, 2)), '{"t":"pong"}\n'].join('\n');
    assert.deepEqual(splitFrames(data), [msg(1, 1), skip(1, 2), { t: 'pong' }]);
  });

  it('drops lines that are not JSON frames and keeps the others', () => {
    assert.deepEqual(splitFrames('nope\n{"t":"pong"}\n[1,2]\n42\nnull\n{"x":1}'), [{ t: 'pong' }]);
  });

  it('keeps newlines inside JSON strings (they are escaped on the wire)', () => {
    const m = { ...msg(1, 1), body: 'two\nlines' };
    assert.deepEqual(splitFrames(`${JSON.stringify(m)}\n${JSON.stringify(msg(1, 2))}`), [m, msg(1, 2)]);
  });
});

describe('GroupStreams', () => {
  it('accepts contiguous frames as new and repeats as dup', () => {
    const s = new GroupStreams();
    s.base(1, 0);
    assert.equal(s.accept(msg(1, 1)), 'new');
    assert.equal(s.accept(msg(1, 2)), 'new');
    assert.equal(s.accept(msg(1, 1)), 'dup');
    assert.equal(s.accept(msg(1, 2)), 'dup');
    assert.deepEqual(seqs(s.take()), [1, 2]);
    assert.deepEqual(s.take(), []);
    assert.equal(s.lastContiguous(1), 2);
  });

  it('holds frames past a gap and releases them in order once it fills', () => {
    const s = new GroupStreams();
    s.base(7, 10);
    assert.equal(s.accept(msg(7, 13)), 'gap');
    assert.equal(s.accept(msg(7, 12)), 'gap');
    assert.equal(s.accept(msg(7, 13)), 'dup', 'a held frame is a duplicate too');
    assert.deepEqual(s.take(), []);
    assert.equal(s.lastContiguous(7), 10);
    assert.deepEqual(s.gaps(), [7]);
    assert.deepEqual(s.snapshot(), { '7': 10 }, 'resume from the last contiguous seq');
    assert.equal(s.accept(msg(7, 11)), 'new');
    assert.deepEqual(seqs(s.take()), [11, 12, 13]);
    assert.equal(s.lastContiguous(7), 13);
    assert.deepEqual(s.gaps(), []);
  });

  it('counts skip frames as seqs but hands out only messages', () => {
    const s = new GroupStreams();
    s.base(1, 0);
    assert.equal(s.accept(msg(1, 3)), 'gap');
    assert.equal(s.accept(skip(1, 2)), 'gap');
    assert.equal(s.accept(msg(1, 1)), 'new');
    assert.deepEqual(seqs(s.take()), [1, 3]);
    assert.equal(s.lastContiguous(1), 3);
    assert.equal(s.accept(skip(1, 3)), 'dup');
  });

  it('de-duplicates by message id while still advancing past its seq', () => {
    const s = new GroupStreams();
    s.base(1, 0);
    assert.equal(s.accept(msg(1, 1, 'same')), 'new');
    assert.equal(s.accept(msg(1, 2, 'same')), 'dup');
    assert.equal(s.lastContiguous(1), 2);
    assert.equal(s.accept(msg(1, 3)), 'new');
    assert.deepEqual(seqs(s.take()), [1, 3]);
  });

  it('keeps groups apart', () => {
    const s = new GroupStreams();
    s.base(1, 0);
    s.base(2, 5);
    assert.equal(s.accept(msg(1, 1)), 'new');
    assert.equal(s.accept(msg(2, 1)), 'dup');
    assert.equal(s.accept(msg(2, 6)), 'new');
    assert.equal(s.accept(msg(1, 3)), 'gap');
    assert.deepEqual(s.snapshot(), { '1': 1, '2': 6 });
    s.forget(1);
    assert.deepEqual(s.snapshot(), { '2': 6 });
    assert.equal(s.lastContiguous(1), 0);
  });

  it('does not move a known base, and a late base releases what was held for an unknown group', () => {
    const s = new GroupStreams();
    assert.equal(s.accept(msg(3, 5)), 'gap', 'no base yet: held');
    assert.equal(s.accept(msg(3, 4)), 'gap');
    s.base(3, 3);
    assert.deepEqual(seqs(s.take()), [4, 5]);
    s.base(3, 0);
    assert.equal(s.lastContiguous(3), 5);
    assert.deepEqual(s.gaps(), []);
  });

  it('a base past held frames drops them', () => {
    const s = new GroupStreams();
    s.accept(msg(4, 2));
    s.accept(msg(4, 9));
    s.base(4, 5);
    assert.deepEqual(s.take(), []);
    assert.deepEqual(s.gaps(), [4]);
    for (const q of [6, 7, 8]) s.accept(msg(4, q));
    assert.deepEqual(seqs(s.take()), [6, 7, 8, 9]);
  });

  it('forgets the oldest ids past its bound', () => {
    const s = new GroupStreams(2);
    s.base(1, 0);
    for (const q of [1, 2, 3]) s.accept(msg(1, q, `id${q}`));
    s.forget(1);
    s.base(1, 0);
    assert.equal(s.accept(msg(1, 1, 'id1')), 'new', 'id1 fell out of the window');
    assert.equal(s.accept(msg(1, 2, 'id3')), 'dup');
  });

  it('property: any arrival order with repeats yields every message exactly once, in seq order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.nat(), { maxLength: 120 }),
        fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
        (n, picks, hidden) => {
          const frames = Array.from({ length: n }, (_, i) => (hidden[i] ? skip(1, i + 1) : msg(1, i + 1)));
          // arrival: arbitrary picks (repeats allowed), then everything once so the stream completes
          const arrival = [...picks.map((p) => frames[p % n]!), ...frames.toReversed()];
          const s = new GroupStreams();
          s.base(1, 0);
          const out: WireMessage[] = [];
          let lastSeen = 0;
          for (const f of arrival) {
            const r = s.accept(f);
            out.push(...s.take());
            assert.ok(s.lastContiguous(1) >= lastSeen, 'never goes back');
            lastSeen = s.lastContiguous(1);
            if (r === 'new') assert.ok(s.lastContiguous(1) >= f.seq);
          }
          const want = frames.filter((f) => f.t === 'msg').map((f) => f.seq);
          assert.deepEqual(seqs(out), want);
          assert.equal(s.lastContiguous(1), n);
          assert.deepEqual(s.gaps(), []);
        },
      ),
    );
  });
});

describe('helpers', () => {
  it('randomId gives distinct ids that fit a cid', () => {
    const ids = new Set(Array.from({ length: 100 }, () => randomId()));
    assert.equal(ids.size, 100);
    for (const id of ids) assert.ok(id.length > 0 && id.length <= 64);
  });

  it('QunApiError carries status and code', () => {
    const e = new QunApiError(404, 'not_found', 'No such group');
    assert.ok(e instanceof Error);
    assert.equal(e.status, 404);
    assert.equal(e.code, 'not_found');
    assert.equal(e.message, 'No such group');
  });
});
