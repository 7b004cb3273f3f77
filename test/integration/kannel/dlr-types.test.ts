// Every delivery report type Kannel can send reaches the dlr route and means what Kannel means by it:
// 1 delivered; 2, 16 and the combined 34 (expired) and 66 (unknown) failed, with words saying which;
// 4, 8 and 32 on the way (the text stays submitted); anything else recorded and ignored. Control bytes
// in Kannel's answer never reach the stored reason. No Kannel is needed: the requests are smsbox's.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { type FakeSendsms, startFakeSendsms } from '../../helpers/kannel/fake-sendsms.ts';
import { eventually, startTestServer, type TestServer } from '../../helpers/server.ts';

const SECRET = 'test-secret-0123456789abcdef';

describe('Kannel DLR types', () => {
  let sendsms: FakeSendsms;
  let s: TestServer;
  let db: Database.Database;
  const ids: string[] = [];

  before(async () => {
    sendsms = await startFakeSendsms();
    const env = {
      QUN_SMS_GATEWAY: 'kannel',
      QUN_KANNEL_SENDSMS_URL: sendsms.url,
      QUN_KANNEL_USERNAME: 'qun',
      QUN_KANNEL_PASSWORD: 'pw',
      QUN_KANNEL_INBOUND_SECRET: SECRET,
    };
    s = await startTestServer(env, { env: { ...process.env, ...env } }, { sqliteFile: true });
    db = new Database(path.join(s.dataDir, 'qun.db'), { readonly: true });
    // Eleven phones text HELP: eleven replies, each with its own dlr-url id.
    for (let i = 0; i < 11; i++) {
      const q = { secret: SECRET, from: `+86138001380${10 + i}`, to: '10658', text: 'HELP', id: `k${i}` };
      assert.equal((await fetch(`${s.url}/v1/sms/kannel/inbound?${new URLSearchParams(q)}`)).status, 200);
    }
    await eventually(() => (sendsms.calls.length === 11 ? true : undefined), 10_000, 'the replies');
    for (const c of sendsms.calls) ids.push(new URL(c.get('dlr-url')!).searchParams.get('id')!);
  });
  after(async () => {
    db?.close();
    await s?.close();
    await sendsms?.close();
  });

  const dlr = (id: string, status: number, answer?: string) =>
    fetch(
      `${s.url}/v1/sms/kannel/dlr?${new URLSearchParams({ secret: SECRET, id, status: String(status), ...(answer ? { answer } : {}) })}`,
    );
  const row = (id: string) =>
    db.prepare('SELECT state, error FROM outbound_sms WHERE id = ?').get(Number(id)) as {
      state: string;
      error: string | null;
    };
  const receipts = async (outcome: string) => {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    const m = new RegExp(
      `^qun_sms_receipts_total\\{gateway="kannel",outcome="${outcome}"\\} (\\d+)`,
      'm',
    ).exec(text);
    return Number(m?.[1] ?? 0);
  };

  test('final types settle the text with words saying what Kannel reported', async () => {
    const cases: [number, string, RegExp | null][] = [
      [1, 'delivered', null],
      [2, 'failed', /^not delivered \(the SMSC gave up\) \(Kannel DLR 2 = 0x02\)/],
      [16, 'failed', /^rejected by the SMSC \(Kannel DLR 16 = 0x10\): NACK\/0x0000000b\/Invalid Dest$/],
      [34, 'failed', /^expired: not delivered before its validity ran out \(Kannel DLR 34 = 0x22\)/],
      [66, 'failed', /^not delivered: the SMSC reported an unknown state \(Kannel DLR 66 = 0x42\)/],
    ];
    // Kannel's %A copies the SMSC's answer as it came, UDH and control bytes included.
    const answers: Record<number, string> = {
      16: 'NACK/0x0000000b/\u0005\u0000\u0003\u0007\u0002\u0001Invalid Dest',
      2: 'id:1 stat:UNDELIV err:001\u0000',
    };
    for (const [i, [type, state, error]] of cases.entries()) {
      assert.equal((await dlr(ids[i]!, type, answers[type])).status, 200);
      await eventually(() => (row(ids[i]!).state === state ? true : undefined), 5000, `DLR ${type}`);
      const got = row(ids[i]!);
      if (error) assert.match(got.error ?? '', error);
      else assert.equal(got.error, null);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: checking that none are left
      assert.doesNotMatch(got.error ?? '', /[\u0000-\u001f]/);
    }
    assert.equal(await receipts('delivered'), 1);
    assert.equal(await receipts('failed'), 4);
  });

  test('types on the way (4, 8, 32) and unknown ones leave the text submitted', async () => {
    for (const [i, type] of [4, 8, 32, 64, 128].entries()) {
      assert.equal((await dlr(ids[5 + i]!, type, 'ACK/')).status, 200);
    }
    await eventually(async () => ((await receipts('progress')) === 5 ? true : undefined), 5000, 'progress');
    for (let i = 5; i < 10; i++) assert.equal(row(ids[i]!).state, 'submitted');
  });

  test('an ended text keeps its ending: a late "delivered" after EXPIRED is counted, not applied', async () => {
    assert.equal((await dlr(ids[3]!, 1)).status, 200);
    await eventually(async () => ((await receipts('conflict')) === 1 ? true : undefined), 5000, 'conflict');
    assert.equal(row(ids[3]!).state, 'failed');
    assert.match(row(ids[3]!).error ?? '', /expired/);
  });

  test('a report for an id Qun never sent is counted as unmatched after the hold', async () => {
    assert.equal((await dlr('999999', 1)).status, 200);
    await eventually(
      async () => ((await receipts('unmatched')) === 1 ? true : undefined),
      15_000,
      'unmatched',
    );
  });
});
