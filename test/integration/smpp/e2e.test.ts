// End to end through Qun with QUN_SMS_GATEWAY=smpp: phones at the test SMSC create a group by text,
// invite, join and post; Qun's replies and the group's messages come back through the SMSC from the
// right addresses, long Chinese messages as concatenated UCS-2, and receipts are matched.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { type ReceivedText, Smsc } from '../../helpers/smsc/smsc.ts';
import { PASSWORD, SYSTEM_ID, smppEnv, until } from './harness.ts';

const OWNER = '+8613800138000';
const A = '+8613800138001';
const B = '+8613800138002';
const SERVICE = '10658';

describe('Qun over SMPP, end to end', () => {
  let smsc: Smsc;
  let s: TestServer;
  let address = '';

  before(async () => {
    smsc = await Smsc.start({ systemId: SYSTEM_ID, password: PASSWORD });
    const env = { QUN_SMS_GATEWAY: 'smpp', QUN_SMS_TPS: '100', ...smppEnv(smsc) };
    s = await startTestServer(env, { env: { ...process.env, ...env } });
  });
  after(async () => {
    await s?.close();
    await smsc?.close();
  });

  const digits = (p: string) => p.replace(/^\+/, '');
  const textsTo = async (phone: string) => (await smsc.received()).filter((t) => t.to === digits(phone));
  /** Sends an MO text and waits until `phone` has received `n` more texts (returns the new ones). */
  async function mo(from: string, to: string, text: string, expect: Record<string, number>) {
    const before = new Map<string, number>();
    for (const p of Object.keys(expect)) before.set(p, (await textsTo(p)).length);
    const statuses = await smsc.sendMo({ from, to, text });
    assert.ok(
      statuses.every((x) => x === 0),
      `accepted: ${statuses}`,
    );
    const out: Record<string, ReceivedText[]> = {};
    for (const [p, n] of Object.entries(expect)) {
      out[p] = await until(
        async () => {
          const got = (await textsTo(p)).slice(before.get(p));
          return got.length >= n ? got : undefined;
        },
        10_000,
        `${n} text(s) to ${p}`,
      );
    }
    return out;
  }

  test('CREATE at the service number: the reply comes from 10658 and names the group address', async () => {
    const got = await mo(OWNER, SERVICE, 'CREATE Hiking', { [OWNER]: 1 });
    const reply = got[OWNER]![0]!;
    assert.equal(reply.from, SERVICE);
    assert.match(reply.text, /Hiking/);
    address = /(1065801\d{4,})/.exec(reply.text)?.[1] ?? '';
    assert.ok(address, reply.text);
  });

  test('invitations go out from the group address; Y joins', async () => {
    const got = await mo(OWNER, address, 'G 13800138001 13800138002', { [OWNER]: 1, [A]: 1, [B]: 1 });
    for (const p of [A, B]) {
      assert.equal(got[p]![0]!.from, address, 'from the group address, so Y goes back to the group');
      assert.match(got[p]![0]!.text, /Hiking/);
    }
    await mo(A, address, 'Y', { [A]: 1 });
    await mo(B, address, 'Y', { [B]: 1 });
  });

  test('a group message fans out by SMS to the other members, from the group address', async () => {
    const got = await mo(A, address, 'Meet at 8 at the north gate', { [OWNER]: 1, [B]: 1 });
    for (const p of [OWNER, B]) {
      assert.equal(got[p]![0]!.from, address);
      assert.match(got[p]![0]!.text, /Meet at 8 at the north gate/);
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!(await textsTo(A)).some((t) => /north gate/.test(t.text)), 'no echo to the sender');
  });

  test('a long Chinese message arrives whole, as concatenated UCS-2', async () => {
    const text = '周六早上八点在北门集合，请带好水和午餐，下雨改期。'.repeat(4);
    const got = await mo(B, address, text, { [OWNER]: 1, [A]: 1 });
    for (const p of [OWNER, A]) {
      const t = got[p]![0]!;
      assert.ok(t.parts > 1);
      assert.ok(t.text.includes(text), t.text);
    }
    const parts = (await smsc.submits()).filter((x) => x.dest === digits(OWNER) && x.udh);
    assert.ok(parts.every((x) => x.dataCoding === 8 && x.esmClass === 0x40));
  });

  test('delivery receipts are matched to the texts Qun sent', async () => {
    const delivered = await until(
      async () => {
        const m = await s.api.req('GET', '/metrics');
        const v = /qun_sms_receipts_total\{gateway="smpp",outcome="delivered"\} (\d+)/.exec(String(m.json));
        return v && Number(v[1]) >= 5 ? Number(v[1]) : undefined;
      },
      10_000,
      'receipts',
    );
    assert.ok(delivered >= 5);
  });
});
