// Property tests for decodeClientFrames: it faces untrusted WebSocket input, so it must never throw or pollute.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ClientFrame, decodeClientFrames } from '../../../src/domain/live-protocol.ts';

const numRuns = Number(process.env.QUN_FUZZ_RUNS ?? 2000);

const groupId = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const seq = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
// Frames built from the schema's own shapes, so "valid" means what the server promises to accept.
const validFrame: fc.Arbitrary<ClientFrame> = fc.oneof(
  fc.record({ t: fc.constant('auth' as const), token: fc.string({ minLength: 1, maxLength: 200 }) }),
  fc.record({
    t: fc.constant('resume' as const),
    groups: fc.dictionary(fc.stringMatching(/^\d{1,6}$/), seq),
  }),
  fc.record({ t: fc.constant('ack' as const), g: groupId, seq }),
  fc.record({
    t: fc.constant('send' as const),
    g: groupId,
    cid: fc.string({ minLength: 1, maxLength: 64 }),
    body: fc.string(),
  }),
  fc.record(
    {
      t: fc.constant('cmd' as const),
      g: groupId,
      rid: fc.string({ maxLength: 64 }),
      text: fc.string({ maxLength: 4000 }),
    },
    { requiredKeys: ['t', 'text'] },
  ),
  fc.record({ t: fc.constant('ping' as const) }),
);

/** Every result is either frames the schema accepts or an error with something to say. */
function checkShape(r: ReturnType<typeof decodeClientFrames>): void {
  if (r.ok) {
    for (const f of r.frames) assert.ok(ClientFrame.safeParse(f).success, JSON.stringify(f));
  } else {
    assert.equal(typeof r.error, 'string');
    assert.ok(r.error.trim().length > 0, 'the error says something');
  }
}

test('never throws on arbitrary strings', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => checkShape(decodeClientFrames(s))),
    { numRuns },
  );
});

test('never throws on arbitrary JSON values; non-frames are refused with a message', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const r = decodeClientFrames(JSON.stringify(v));
      checkShape(r);
      if (!ClientFrame.safeParse(v).success) assert.equal(r.ok, false, JSON.stringify(v));
    }),
    { numRuns },
  );
});

test('never throws on JSON-ish lines joined by newlines', () => {
  const line = fc.oneof(
    fc.jsonValue().map((v) => JSON.stringify(v)),
    validFrame.map((f) => JSON.stringify(f)),
    fc.constantFrom('', ' ', '{', '}', '[', '"', '{"t":', '{"t":"ack"', 'null', '\r', '\t'),
    fc.string({ maxLength: 40 }),
  );
  fc.assert(
    fc.property(fc.array(line, { maxLength: 8 }), (lines) =>
      checkShape(decodeClientFrames(lines.join('\n'))),
    ),
    { numRuns },
  );
});

test('valid frames, alone or several per message, decode to themselves', () => {
  fc.assert(
    fc.property(fc.array(validFrame, { minLength: 1, maxLength: 5 }), (frames) => {
      const r = decodeClientFrames(frames.map((f) => JSON.stringify(f)).join('\n'));
      // Round-tripped through JSON so the expectation has plain prototypes, as decoded frames do.
      assert.deepEqual(r, { ok: true, frames: JSON.parse(JSON.stringify(frames)) });
    }),
    { numRuns },
  );
});

test('prototype-pollution payloads never reach Object.prototype', () => {
  const payloads = [
    '{"t":"ack","g":1,"seq":1,"__proto__":{"polluted":1}}',
    '{"t":"ack","g":1,"seq":1,"constructor":{"prototype":{"polluted":1}}}',
    '{"t":"cmd","text":"x","__proto__":{"polluted":1}}',
    '{"t":"cmd","text":"x","constructor":{"prototype":{"polluted":1}}}',
    '{"t":"resume","groups":{"__proto__":{"polluted":1}}}',
    '{"t":"resume","groups":{"1":0,"constructor":{"prototype":{"polluted":1}}}}',
    '{"__proto__":{"polluted":1},"t":"ping"}\n{"t":"ack","g":1,"seq":2,"__proto__":{"polluted":1}}',
  ];
  for (const p of payloads) {
    const r = decodeClientFrames(p);
    checkShape(r);
    if (r.ok) for (const f of r.frames) assert.equal(Object.getPrototypeOf(f), Object.prototype, p);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined, `polluted by ${p}`);
    assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false, p);
  }
});
