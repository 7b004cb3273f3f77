// Qun with QUN_SMS_GATEWAY=kannel, end to end through a real bearerbox, smsbox and fakesmsc: commands
// from phones arrive by the get-url, replies and group messages (Chinese too) leave by sendsms, and
// the SMSC's receipts come back by the dlr-url and mark the texts delivered.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Kannel, kannelInstalled, startKannel } from '../../helpers/kannel/kannel.ts';
import { freePorts } from '../../helpers/kannel/ports.ts';
import { eventually, startTestServer, type TestServer } from '../../helpers/server.ts';

const OWNER = '+8613800138000';
const A = '+8613800138001';
const B = '+8613800138002';
const SERVICE = '10658';
// 上 is U+4E0A: in UTF-16BE its second byte is a newline, which Kannel's %a would have split on.
const CHINESE = '明天早上八点在北门集合。\n请带好水和午餐，上山路滑。';

if (kannelInstalled('Qun end to end through Kannel')) {
  describe('Qun through Kannel, end to end', () => {
    let kannel: Kannel;
    let s: TestServer;
    let address = '';

    const textsTo = async (phone: string) => (await kannel.received()).filter((t) => t.to === phone);
    /** Waits for the next text to a phone after `seen` of them, and returns it. */
    const nextText = (phone: string, seen: number, what: string) =>
      eventually(async () => (await textsTo(phone))[seen], 15_000, what);
    const mo = async (from: string, to: string, text: string, expectReplyTo = from) => {
      const seen = (await textsTo(expectReplyTo)).length;
      await kannel.sendMo(from, to, text);
      return nextText(expectReplyTo, seen, `a text to ${expectReplyTo} after "${text}"`);
    };

    before(async () => {
      const [port] = (await freePorts(1)) as [number];
      kannel = await startKannel({ qunUrl: `http://127.0.0.1:${port}` });
      const env = {
        QUN_SMS_GATEWAY: 'kannel',
        PORT: String(port),
        QUN_PUBLIC_URL: `http://127.0.0.1:${port}`,
        ...kannel.env,
      };
      s = await startTestServer(env, { env: { ...process.env, ...env } });
    });
    after(async () => {
      await s?.close();
      await kannel?.close();
    });

    test('CREATE from a phone arrives by the get-url; the reply leaves by sendsms, and only it', async () => {
      const reply = await mo(OWNER, SERVICE, 'CREATE Hiking');
      const m = /(1065801\d{4,})/.exec(reply.text);
      assert.ok(m, `the reply names the group address: ${reply.text}`);
      address = m[1]!;
      assert.equal(reply.from, SERVICE, 'the reply comes from the number the text went to');
      await new Promise((r) => setTimeout(r, 500));
      // Kannel answers nothing itself (omit-empty, max-messages 0): its own replies would land here too.
      assert.equal((await textsTo(OWNER)).length, 1, JSON.stringify(await textsTo(OWNER)));
    });

    test('invitations and joins go both ways through Kannel', async () => {
      const seenA = (await textsTo(A)).length;
      const seenB = (await textsTo(B)).length;
      const report = await mo(OWNER, address, 'G 13800138001 13800138002');
      assert.match(report.text, /13800138001/);
      for (const [p, seen] of [
        [A, seenA],
        [B, seenB],
      ] as const) {
        const invite = await nextText(p, seen, `the invitation to ${p}`);
        assert.equal(invite.from, address);
        assert.match(invite.text, /Hiking/);
      }
      assert.match((await mo(A, address, 'Y')).text, /Hiking/);
      assert.match((await mo(B, address, '是')).text, /Hiking|徒步|加入/);
    });

    test('a Chinese group message from a phone reaches the other members intact', async () => {
      const seenB = (await textsTo(B)).length;
      const got = await mo(A, address, CHINESE, OWNER);
      assert.ok(got.text.endsWith(CHINESE), `owner got: ${JSON.stringify(got.text)}`);
      assert.equal(got.from, address);
      const toB = await nextText(B, seenB, 'the message to B');
      assert.ok(toB.text.endsWith(CHINESE), `B got: ${JSON.stringify(toB.text)}`);
    });

    test('an English group message fans out and the receipts mark each text delivered', async () => {
      const seenA = (await textsTo(A)).length;
      const seenB = (await textsTo(B)).length;
      await kannel.sendMo(OWNER, address, 'Meet at 8 at the north gate');
      for (const [p, seen] of [
        [A, seenA],
        [B, seenB],
      ] as const) {
        const t = await nextText(p, seen, `the message to ${p}`);
        assert.match(t.text, /Meet at 8 at the north gate$/);
      }

      // Read the trail as the owner, signed in with a code that itself came through Kannel.
      const seenO = (await textsTo(OWNER)).length;
      assert.equal((await s.api.req('POST', '/v1/auth/code', { phone: OWNER })).status, 202);
      const codeText = await nextText(OWNER, seenO, 'the sign-in code');
      const code = /(\d{6})/.exec(codeText.text)?.[1];
      assert.ok(code, codeText.text);
      const token = (await s.api.req('POST', '/v1/auth/token', { phone: OWNER, code })).json.token;
      const groups = (await s.api.req('GET', '/v1/groups', undefined, token)).json.groups;
      const history = await s.api.req('GET', `/v1/groups/${groups[0].id}/messages`, undefined, token);
      for (const body of [CHINESE, 'Meet at 8 at the north gate']) {
        const msg = history.json.messages.find((x: { body?: string }) => x.body === body);
        assert.ok(msg, `${body} is in the history`);
        await eventually(
          async () => {
            const trail = await s.api.req('GET', `/v1/messages/${msg.id}/trail`, undefined, token);
            type Step = { rung: string; outcome: string; reason: string };
            const delivered = trail.json.members.filter((m: { steps: Step[] }) =>
              m.steps.some((st) => st.rung === 'sms' && st.outcome === 'delivered'),
            );
            // The trail says what Kannel reported: the SMSC's ack (8) on the way, then delivery (1).
            const said = delivered.filter((m: { steps: Step[] }) => {
              const reasons = m.steps.map((st) => `${st.outcome}: ${st.reason}`).join('\n');
              return (
                /delivered: receipt: delivered to the phone \(Kannel DLR 1 = 0x01\)/.test(reasons) &&
                /receipt_progress: receipt: accepted by the SMSC \(Kannel DLR 8 = 0x08\)/.test(reasons)
              );
            });
            return delivered.length === 2 && said.length === 2 ? true : undefined;
          },
          // Two receipts per text through bearerbox and smsbox: a loaded machine has taken over 15 s.
          30_000,
          `receipts for "${body}"`,
        );
      }
    });
  });
}
