// Picture messages (MMS) through the twilio gateway: the words go on as any text would, and the sender
// is told once, in their language, that the picture was not passed on; a picture with no words reaches
// nothing else. Before, the media were dropped without a word.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { eventually, startTestServer, type TestServer } from '../../helpers/server.ts';
import { ACCOUNT_SID, FakeTwilio, newSid } from '../../helpers/twilio/fake-twilio.ts';
import { PUBLIC_BASE, twilioEnv } from '../../helpers/twilio/harness.ts';

const NUMBER = '+15005550006';
const EN = '+15005550100';
const ZH = '+8613800138077';

describe('MMS through the twilio gateway', () => {
  let fake: FakeTwilio;
  let s: TestServer;
  let db: Database.Database;
  const textsTo = (phone: string) => fake.messages.filter((m) => m.to === phone);
  const groups = () => (db.prepare('SELECT count(*) AS n FROM groups').get() as { n: number }).n;
  const mms = async (from: string, body: string, sid: string) => {
    const r = await fake.webhook(`${PUBLIC_BASE}/v1/sms/twilio/inbound`, {
      MessageSid: sid,
      SmsMessageSid: sid,
      AccountSid: ACCOUNT_SID,
      From: from,
      To: NUMBER,
      Body: body,
      NumMedia: '1',
      MediaUrl0: `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${sid}/Media/ME1`,
      MediaContentType0: 'image/jpeg',
    });
    assert.equal(r.status, 200, r.body);
    await s.settle();
  };
  const notCarried = async () => {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    return Number(/^qun_sms_media_not_carried_total\{gateway="twilio"\} (\d+)/m.exec(text)?.[1] ?? 0);
  };

  before(async () => {
    fake = await FakeTwilio.start();
    const env = { QUN_SMS_GATEWAY: 'twilio', QUN_SERVICE_NUMBER: NUMBER.slice(1), ...twilioEnv(fake.url) };
    s = await startTestServer(env, { env: { ...process.env, ...env } }, { sqliteFile: true });
    fake.connect(PUBLIC_BASE, s.url);
    db = new Database(path.join(s.dataDir, 'qun.db'), { readonly: true, fileMustExist: true });
  });
  after(async () => {
    db?.close();
    await s?.close();
    await fake?.close();
  });

  test('words with a picture: the words act, and the sender hears the picture was not passed on', async () => {
    const sid = newSid('MM');
    await mms(EN, 'CREATE Pictures', sid);
    const got = await eventually(
      () => (textsTo(EN).length === 2 ? textsTo(EN) : undefined),
      5000,
      'two replies',
    );
    assert.equal(groups(), 1, 'the command ran');
    assert.ok(got.some((m) => /Pictures/.test(m.body)));
    assert.ok(
      got.some(
        (m) =>
          m.body === 'Qun carries text only: the picture in your message was not passed on; the text was.',
      ),
    );
    assert.equal(await notCarried(), 1);
    // Twilio retries a webhook with the same MessageSid: nothing is texted twice.
    await mms(EN, 'CREATE Pictures', sid);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(textsTo(EN).length, 2);
    assert.equal(await notCarried(), 1);
  });

  test('a picture alone: only the notice, in the sender’s language', async () => {
    await mms(ZH, '', newSid('MM'));
    const [only] = await eventually(() => (textsTo(ZH).length ? textsTo(ZH) : undefined), 5000, 'the notice');
    assert.equal(only!.body, 'Qun 只转发文字：您的图片未转发，请改发文字。');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(textsTo(ZH).length, 1, 'no "unknown command" as well');
    assert.equal(groups(), 1);
    assert.equal(await notCarried(), 2);
  });
});
