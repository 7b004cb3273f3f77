// The fault runs' outside checker on hand-made histories: what counts as one delivery, what is a duplicate, and
// which live + text pair is the two-generals residual rather than a fault.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeliveryChecker } from '../../helpers/checker.ts';

const T = 10_000;

/** One member M in group 1, and message w:o:1 (seq 1) from O accepted. */
function setup(): DeliveryChecker {
  const c = new DeliveryChecker();
  c.ackTimeoutMs = T;
  c.serverStarted(0);
  c.member('M', [{ groupId: 1 }]);
  c.accept({ tag: 'w:o:1', sender: 'O', groupId: 1, seq: 1, id: 'id1' });
  c.link('M', 'ready', 1);
  return c;
}
const live = (at: number, via?: string) => ({
  member: 'M',
  channel: 'live' as const,
  groupId: 1,
  seq: 1,
  id: 'id1',
  body: 'w:o:1',
  at,
  ...(via ? { via } : {}),
});
const text = (at: number) => ({ member: 'M', channel: 'sms' as const, body: '[g] O: w:o:1', at });

test('live raised as new and a text of the same message: a duplicate', () => {
  const c = setup();
  c.receive(live(1000));
  c.receive(text(2000));
  const r = c.report();
  assert.equal(r.totals.duplicated, 1);
  assert.equal(r.totals.twoGenerals, 0);
});

test('a live copy marked via sms is history: the text is the one delivery', () => {
  const c = setup();
  c.receive(text(2000));
  c.receive(live(3000, 'sms'));
  const r = c.report();
  assert.deepEqual([r.totals.duplicated, r.totals.lost, r.totals.marked], [0, 0, 1]);
  assert.equal(r.members[0]!.byChannel.sms, 1);
});

test('a marked copy alone is no delivery: the message is lost', () => {
  const c = setup();
  c.receive({ member: 'M', channel: 'inbox', groupId: 1, seq: 1, id: 'id1', body: 'w:o:1', via: 'sms' });
  assert.equal(c.report().totals.lost, 1);
});

test('acked as the link died, away past the ack timeout, texted after it: two-generals, not a duplicate', () => {
  const c = setup();
  c.receive(live(1000));
  c.link('M', 'close', 1100);
  c.receive(text(1000 + T + 500));
  c.link('M', 'ready', 1000 + T + 2000);
  const r = c.report();
  assert.deepEqual([r.totals.duplicated, r.totals.twoGenerals], [0, 1]);
});

test('back within the ack timeout: the text is a duplicate', () => {
  const c = setup();
  c.receive(live(1000));
  c.link('M', 'close', 1100);
  c.link('M', 'ready', 1000 + T / 2);
  c.receive(text(1000 + T + 500));
  assert.equal(c.report().totals.duplicated, 1);
});

test('texted before the link dropped (the restart case): a duplicate, whatever came after', () => {
  const c = setup();
  c.receive(text(500));
  c.receive(live(1000));
  c.link('M', 'close', 1100);
  c.link('M', 'ready', 1000 + 3 * T);
  assert.equal(c.report().totals.duplicated, 1);
});

test('a restart restarts the clock: back within the ack timeout of the start is in time', () => {
  const c = setup();
  c.receive(live(1000));
  c.link('M', 'close', 1100);
  c.serverStarted(1000 + T);
  c.link('M', 'ready', 1000 + T + 2000);
  c.receive(text(1000 + T + 2500));
  assert.equal(c.report().totals.duplicated, 1);
});

test('texts out of seq order are out of order; an accepted message never seen is lost', () => {
  const c = setup();
  c.accept({ tag: 'w:o:2', sender: 'O', groupId: 1, seq: 2, id: 'id2' });
  c.accept({ tag: 'w:o:3', sender: 'O', groupId: 1, seq: 3, id: 'id3' });
  c.receive({ member: 'M', channel: 'sms', body: 'w:o:2', at: 1 });
  c.receive({ member: 'M', channel: 'sms', body: 'w:o:1', at: 2 });
  const r = c.report();
  assert.equal(r.totals.outOfOrder, 1);
  assert.deepEqual(r.members[0]!.lost, ['w:o:3']);
});

test('a blackhole: the link is dead from the freeze, though the client hears of it only later', () => {
  const c = setup();
  c.receive(live(1000));
  c.link('M', 'close', 1050); // the freeze, declared by the test
  c.receive(text(1000 + T + 500));
  c.link('M', 'close', 21_000); // the client finds out when the link comes back
  c.link('M', 'ready', 21_500);
  assert.equal(c.report().totals.twoGenerals, 1);
});

test('a frame already past the proxy when the freeze began arrives just after it: still that link, two-generals', () => {
  // CI run 38 (PostgreSQL pass, half-open): the freeze marked at +7430 ms, the live copy read at +7431.
  const c = setup();
  c.link('M', 'close', 999); // the freeze, declared by the test
  c.receive(live(1000)); // bytes the proxy had forwarded before it: the client cannot ack them any more
  c.receive(text(1000 + T + 500));
  c.link('M', 'close', 21_000);
  c.link('M', 'ready', 21_500);
  assert.deepEqual([c.report().totals.duplicated, c.report().totals.twoGenerals], [0, 1]);
});

test('a copy on a link that came back after the close is not excused by that close', () => {
  const c = setup();
  c.link('M', 'close', 500);
  c.link('M', 'ready', 900);
  c.receive(live(1000));
  c.link('M', 'ready', 1000 + T / 2);
  c.receive(text(1000 + T + 500));
  assert.equal(c.report().totals.duplicated, 1);
});
