// QUN_SMPP_WINDOW above 10 is what the server's queue keeps in flight: with a slow SMSC, a burst of
// invitation texts fills the configured window (25), not the gateway default of 10.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { Smsc } from '../../helpers/smsc/smsc.ts';
import { PASSWORD, SYSTEM_ID, smppEnv, until } from './harness.ts';

const WINDOW = 25;
const OWNER = '+8613800138000';
const SERVICE = '10658';

let smsc: Smsc;
let s: TestServer;

before(async () => {
  smsc = await Smsc.start({ systemId: SYSTEM_ID, password: PASSWORD });
  const env = {
    QUN_SMS_GATEWAY: 'smpp',
    QUN_SMS_TPS: '0',
    QUN_SMPP_WINDOW: String(WINDOW),
    ...smppEnv(smsc),
  };
  s = await startTestServer(env, { env: { ...process.env, ...env } });
});
after(async () => {
  await s?.close();
  await smsc?.close();
});

test(`QUN_SMPP_WINDOW=${WINDOW}: the queue keeps ${WINDOW} submits unanswered at a slow SMSC`, async () => {
  assert.deepEqual(await smsc.sendMo({ from: OWNER, to: SERVICE, text: 'CREATE Window' }), [0]);
  const created = await until(
    async () => (await smsc.received()).find((t) => t.to === OWNER.slice(1)),
    10_000,
    'the CREATE reply',
  );
  const address = /(1065801\d{4,})/.exec(created.text)?.[1];
  assert.ok(address, created.text);
  // Every submit from now on waits 8 s for its answer (under the 10 s response timeout): what is in
  // flight meanwhile is the window.
  await smsc.configure({ respondDelayMs: 8000 });
  const before = (await smsc.submits()).length;
  for (let c = 0; c < 3; c++) {
    const numbers = Array.from({ length: 12 }, (_, i) => `138001390${String(c * 12 + i).padStart(2, '0')}`);
    assert.deepEqual(await smsc.sendMo({ from: OWNER, to: address, text: `G ${numbers.join(' ')}` }), [0]);
  }
  const inFlight = await until(
    async () => {
      const n = (await smsc.submits()).length - before;
      return n >= WINDOW ? n : undefined;
    },
    5000,
    `${WINDOW} invitations submitted before the first answer`,
  );
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await smsc.submits()).length - before, WINDOW, `never more than ${WINDOW} unanswered`);
  assert.ok(inFlight > 10, 'more than the default window of 10');
});
