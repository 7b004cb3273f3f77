// One socket's sends: read together and committed together, yet stored in the order they arrived, each
// answered by its cid, with the same refusals as one at a time, and frames after them handled after.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import {
  addMembers,
  closeServer,
  createGroup,
  type GroupRef,
  history,
  phone,
  RawWs,
  SIGNIN_ENV,
  signIn,
} from '../helpers/workload.ts';

const O = phone(5301, 0);
const M = phone(5301, 1);
let s: TestServer;
let group: GroupRef;
let other: GroupRef;
const tokens: Record<string, string> = {};

before(async () => {
  s = await startTestServer({ ...SIGNIN_ENV });
  for (const p of [O, M]) tokens[p] = await signIn(s.api, p);
  group = await createGroup(s.api, tokens[O]!, 'Order');
  other = await createGroup(s.api, tokens[M]!, 'Not O');
  await addMembers(s.api, tokens[O]!, group.id, [M]);
});
after(() => closeServer(s));

test('sends in one frame: stored in arrival order, refusals by cid, a ping after them answered', async () => {
  const ws = new RawWs(s.url);
  await ws.auth(tokens[O]!);
  const frames: object[] = [];
  for (let i = 0; i < 12; i++) {
    if (i === 4) frames.push({ t: 'send', g: other.id, cid: 'x-other', body: 'not a member' });
    if (i === 6) frames.push({ t: 'send', g: group.id, cid: 'x-empty', body: '   ' });
    if (i === 8) frames.push({ t: 'send', g: group.id, cid: 'x-urgent', body: 'urgent', urgent: true });
    frames.push({ t: 'send', g: group.id, cid: `c${i}`, body: `w:order:${i}` });
  }
  frames.push({ t: 'ping' });
  ws.send(...frames);
  await ws.waitFor((f) => f.t === 'pong', 5000, 'pong');
  await ws.waitFor(() => ws.frames.filter((x) => x.t === 'sent').length === 13, 5000, 'every sent');
  const sent = ws.frames.filter((f) => f.t === 'sent');
  const order = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'x-urgent', 'c8', 'c9', 'c10', 'c11'];
  assert.deepEqual(
    [...sent].sort((a, b) => a.seq - b.seq).map((f) => f.cid),
    order,
    'seqs follow arrival order',
  );
  const errors = ws.frames.filter((f) => f.t === 'error').map((f) => [f.cid, f.code]);
  assert.deepEqual(errors.sort(), [
    ['x-empty', 'empty_message'],
    ['x-other', 'not_found'],
  ]);
  const log = await history(s.api, tokens[O]!, group.id);
  assert.deepEqual(
    log.filter((m) => m.body?.startsWith('w:order:')).map((m) => m.body),
    Array.from({ length: 12 }, (_, i) => `w:order:${i}`),
  );
  ws.close();
});
