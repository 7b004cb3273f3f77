// The patent's own reminder: a member whose inbox item went unread and who has no Web Push gets a WAP
// Push Service Indication pointing at the inbox, through Debian's real Kannel PPG (wapbox, PAP 2.0) to
// fakesmsc: the PPG answers 1001, the phone receives one binary SMS to WDP port 2948 (UDH 06 05 04 0B84
// 23F0) carrying the SI, and the trail and qun_reminders_total say so. No SMS reminder goes as well.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type KannelPpg, ppgInstalled, startKannelPpg } from '../../helpers/kannel/ppg.ts';
import { eventually, startTestServer, type TestServer } from '../../helpers/server.ts';

const O = '+8613500135000';
const B = '+8613500135001';
const C = '+8613500135002';

if (ppgInstalled('WAP Push reminders through Kannel’s PPG')) {
  describe('WAP Push reminders through Kannel’s PPG', () => {
    let ppg: KannelPpg;
    let s: TestServer;
    let address = '';
    const tokens: Record<string, string> = {};
    const sms = async (from: string, to: string, text: string) => {
      await s.api.sms(from, to, text);
      await s.settle();
    };
    const metric = async (channel: string, outcome: string) => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      const re = new RegExp(
        `^qun_reminders_total\\{channel="${channel}",outcome="${outcome}"\\} (\\d+)`,
        'm',
      );
      return Number(re.exec(text)?.[1] ?? 0);
    };

    before(async () => {
      ppg = await startKannelPpg();
      s = await startTestServer({
        QUN_REMINDER_SCAN_INTERVAL: '1h',
        QUN_REMINDER_DELAY: '0s',
        QUN_WEB_ONLINE_TTL: '60s',
        QUN_PUBLIC_URL: 'https://qun.example.test',
        ...ppg.env,
      });
      await sms(O, '10658', 'CREATE Ppg');
      address = /(1065801\d{4,})/.exec((await s.api.texts(O)).at(-1)!.text)![1]!;
      await sms(O, address, 'G 13500135001');
      await sms(B, address, 'Y');
      for (const p of [O, B]) tokens[p] = await s.api.signIn(p, () => s.settle());
    });
    after(async () => {
      await s?.close();
      await ppg?.close();
    });

    test('an unread inbox item earns one WAP Push SI to the inbox, and the trail says so', async () => {
      // B's inbox page was open a moment ago (web-online), so the message waits in the inbox.
      await s.api.req('GET', '/v1/inbox', undefined, tokens[B]);
      const textsBefore = (await s.api.texts(B)).length;
      await sms(O, address, 'Meet at 8');
      const { reminded } = await s.reminders.run();
      assert.equal(reminded, 1);

      const pushed = await eventually(
        () => {
          const got = ppg.received().filter((m) => m.to === B);
          return got.length > 0 ? got : undefined;
        },
        10_000,
        `the SI at fakesmsc\n${ppg.logTail('wapbox.log')}`,
      );
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(ppg.received().filter((m) => m.to === B).length, 1, 'exactly one binary SMS');
      const [si] = pushed;
      assert.equal(si!.kind, 'udh');
      assert.equal(si!.udh.toString('hex'), '0605040b8423f0', 'WDP ports 2948/9200');
      // WBXML SI: the inbox URL's host and path, and the reminder text, are in the payload.
      const payload = si!.data.toString('latin1');
      // (0x03 inline string after the https:// token: the host and path follow as text.)
      assert.ok(payload.includes('qun.example.test/m'), payload);
      // The reminder text in the member's language (+86: Chinese), naming the group.
      assert.ok(Buffer.from(payload, 'latin1').toString('utf8').includes('Ppg'), payload);
      assert.equal((await s.api.texts(B)).length, textsBefore, 'no SMS reminder as well');

      const groups = (await s.api.req('GET', '/v1/groups', undefined, tokens[O])).json.groups;
      const history = await s.api.req('GET', `/v1/groups/${groups[0].id}/messages`, undefined, tokens[O]);
      const msg = history.json.messages.find((m: { body?: string }) => m.body === 'Meet at 8');
      const trail = await s.api.req('GET', `/v1/messages/${msg.id}/trail`, undefined, tokens[O]);
      const b =
        trail.json.members.find((m: { phone?: string; userId?: number }) => m.phone === B) ??
        trail.json.members.find((m: { steps: { rung: string }[] }) =>
          m.steps.some((x) => x.rung === 'reminder'),
        );
      const step = b.steps.find((x: { rung: string }) => x.rung === 'reminder');
      assert.equal(step.outcome, 'reminded');
      assert.match(step.reason, /^wap_push: 1 unread; PPG answered PAP 1001/);
      assert.equal(await metric('wap_push', 'reminded'), 1);
    });

    test('a refused push (wrong credentials) falls through to an SMS with the inbox link', async () => {
      await s.close();
      s = await startTestServer({
        QUN_REMINDER_SCAN_INTERVAL: '1h',
        QUN_REMINDER_DELAY: '0s',
        QUN_WEB_ONLINE_TTL: '60s',
        QUN_PUBLIC_URL: 'https://qun.example.test',
        ...ppg.env,
        QUN_WAP_PUSH_PASSWORD: 'not-the-password',
      });
      await sms(O, '10658', 'CREATE Ppg2');
      address = /(1065801\d{4,})/.exec((await s.api.texts(O)).at(-1)!.text)![1]!;
      await sms(O, address, 'G 13500135002');
      await sms(C, address, 'Y');
      const token = await s.api.signIn(C, () => s.settle());
      tokens[C] = token;
      await s.api.req('GET', '/v1/inbox', undefined, token);
      const before = (await s.api.texts(C)).length;
      await sms(O, address, 'Second');
      await s.reminders.run();
      await s.settle();
      const after = await s.api.texts(C);
      assert.equal(after.length, before + 1);
      assert.match(after.at(-1)!.text, /Ppg2.*1.*https:\/\/qun\.example\.test\/m$/);
      assert.equal(await metric('wap_push', 'failed'), 1);
      assert.equal(await metric('sms', 'reminded'), 1);
    });

    test('an opted-out number gets neither a WAP Push (a binary SMS) nor an SMS reminder', async () => {
      await sms(C, address, 'STOP');
      // Signed in before the STOP (a sign-in code is a text, and no text reaches C now).
      await s.api.req('GET', '/v1/inbox', undefined, tokens[C]);
      const texts = (await s.api.texts(C)).length;
      const pushed = ppg.received().length;
      await sms(O, address, 'Third');
      assert.equal((await s.reminders.run()).reminded, 1);
      await s.settle();
      assert.equal((await s.api.texts(C)).length, texts);
      assert.equal(ppg.received().length, pushed);
      assert.equal(await metric('wap_push', 'failed'), 1, 'the PPG was not asked');
      assert.equal(await metric('none', 'no_channel'), 1);
    });
  });
}
