// The inbox/SMS hand-off: lost pull answers, pulls during queued texts and pulls racing SMS routing must lose nothing and show nothing twice.
import { after, describe, test } from 'node:test';
import { assertClean, DeliveryChecker } from '../helpers/checker.ts';
import { Api, startTestServer, type TestServer } from '../helpers/server.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import {
  addMembers,
  closeServer,
  createGroup,
  drainInbox,
  httpSender,
  phone,
  pullInbox,
  runSender,
  SIGNIN_ENV,
  SmsCollector,
  signIn,
  sleep,
} from '../helpers/workload.ts';

describe('inbox and SMS hand-off', () => {
  const servers: TestServer[] = [];
  const proxies: TcpProxy[] = [];
  after(async () => {
    for (const p of proxies) await p.close();
    for (const s of servers) await closeServer(s);
  });

  async function setup(block: number, env: Record<string, string>) {
    const s = await startTestServer({ ...SIGNIN_ENV, ...env });
    servers.push(s);
    const [o, i] = [phone(block, 0), phone(block, 1)];
    const ot = await signIn(s.api, o);
    const it = await signIn(s.api, i);
    const g = await createGroup(s.api, ot, 'Hand-off');
    await addMembers(s.api, ot, g.id, [i]);
    await s.settle();
    const checker = new DeliveryChecker();
    checker.member(i, [{ groupId: g.id }]);
    const sms = new SmsCollector(() => s.api, checker);
    await sms.mark(i);
    return { s, i, it, g, checker, sms, owner: httpSender('o', () => s.api, ot, g.id) };
  }

  test('an inbox pull whose answer never arrives does not make its messages disappear', async () => {
    const { s, i, it, checker, sms, owner } = await setup(4901, { QUN_WEB_ONLINE_TTL: '60s' });
    const proxy = await TcpProxy.start(s.port);
    proxies.push(proxy);
    await pullInbox(s.api, it, checker, i); // web-online: messages wait in the inbox
    await runSender(owner, checker, { count: 3 });
    await s.settle();
    // The phone's connection drops while the answer is on its way (a tunnel, a lift, a flaky cell).
    proxy.dropResponses = 1;
    const lost = await new Api(proxy.url).req('GET', '/v1/inbox', undefined, it).catch((e: Error) => e);
    if (!(lost instanceof Error)) throw new Error('the answer was meant to be lost');
    // The phone pulls again, and in the end also has whatever was texted.
    await drainInbox(s.api, it, checker, i);
    await sleep(200);
    await s.settle();
    await sms.collect(i);
    assertClean('inbox pull with a lost answer', checker.report());
  });

  test('a pull while the member’s texts are still queued neither hides them nor cancels them', async () => {
    // TPS 5: the queue claims ten texts and sends one every 200 ms; the rest wait as `queued`.
    const { s, i, it, checker, sms, owner } = await setup(4902, {
      QUN_SMS_TPS: '5',
      QUN_WEB_ONLINE_TTL: '60s',
    });
    await Promise.all(
      Array.from({ length: 15 }, (_, k) => runSender({ ...owner, name: `o${k}` }, checker, { count: 1 })),
    );
    await sleep(100);
    // The member opens the mobile inbox while its texts are being sent.
    await drainInbox(s.api, it, checker, i);
    await sleep(2000);
    await s.settle();
    await sms.collect(i);
    await drainInbox(s.api, it, checker, i);
    assertClean('inbox pull during queued texts', checker.report());
  });

  test('a first pull racing the SMS routing of a burst shows nothing that is also texted', async () => {
    const { s, i, it, checker, sms, owner } = await setup(4903, { QUN_WEB_ONLINE_TTL: '300ms' });
    for (let round = 0; round < 5; round++) {
      await sleep(350); // no longer web-online: the burst is routed to SMS until the pull lands
      await Promise.all([
        ...Array.from({ length: 30 }, (_, k) =>
          runSender({ ...owner, name: `r${round}x${k}` }, checker, { count: 1 }),
        ),
        sleep(Math.random() * 20).then(() => pullInbox(s.api, it, checker, i)),
      ]);
    }
    await s.settle();
    await drainInbox(s.api, it, checker, i);
    await sleep(200);
    await s.settle();
    await sms.collect(i);
    assertClean('first pull racing a burst', checker.report());
  });
});
