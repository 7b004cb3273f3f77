// Delivery policy end to end, on a real server with the simulated gateway and a clock moved by hand:
// each preference set by SMS in English and Chinese, urgent messages, quiet hours across midnight and a
// restart. Every member stays reachable: what policy keeps off SMS is in the inbox.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../helpers/manual-clock.ts';
import { eventually, startTestServer, type TestServer, tempDir } from '../helpers/server.ts';
import { type SmsGroup, smsGroup, stepsOf } from '../helpers/sms-group.ts';
import { RawWs } from '../helpers/workload.ts';

const OWNER = '+8613800138000';
const NEVER = '+8613800138001';
const MUTED = '+8613800138002';
const URGENT_ONLY = '+8613800138003';
const QUIET = '+8613800138004';
const PLAIN = '+8613800138005';
const local = (p: string) => p.replace('+86', '');

// 20:00 in Shanghai (UTC+8); quiet hours 22-7 start at 14:00Z and end at 23:00Z.
const START = '2026-12-01T12:00:00Z';

describe('member preferences, urgent messages and quiet hours', () => {
  const clock = new ManualClock(START);
  const dataDir = tempDir();
  let s: TestServer;
  let g: SmsGroup;
  const textsTo = async (p: string) => (await s.api.texts(p)).map((t) => t.text);
  const post = async (body: string, urgent?: boolean) => {
    const r = await s.api.req(
      'POST',
      `/v1/groups/${g.groupId}/messages`,
      { body, ...(urgent ? { urgent } : {}) },
      g.ownerToken,
    );
    assert.equal(r.status, 201, JSON.stringify(r.json));
    await s.settle();
    return r.json.id as string;
  };

  before(async () => {
    s = await startTestServer({ QUN_DATA_DIR: dataDir }, { clock });
    g = await smsGroup(s, OWNER, [NEVER, MUTED, URGENT_ONLY, QUIET, PLAIN].map(local));
  });
  after(async () => {
    await s.close();
  });

  test('preference commands by SMS, in English and Chinese, are answered in kind', async () => {
    const cmd = async (from: string, text: string) => {
      assert.notEqual(await s.api.sms(from, g.address, text), 'message', text);
      await s.settle();
      return (await textsTo(from)).at(-1) ?? '';
    };
    assert.match(await cmd(NEVER, 'SMS OFF'), /no texts; messages wait in your inbox/);
    assert.match(await cmd(MUTED, '免打扰'), /已免打扰/);
    assert.match(await cmd(URGENT_ONLY, 'sms urgent'), /texts only for urgent messages/);
    assert.match(await cmd(QUIET, '静音22-7'), /静音时段 22:00-07:00（Asia\/Shanghai）/);
    assert.match(await cmd(PLAIN, 'QUIET 25-7'), /QUIET 22-7/, 'a wrong hour is explained, nothing stored');
    assert.match(await cmd(PLAIN, 'QUIET 22-7 Mars/Olympus'), /QUIET 22-7/, 'an unknown zone is refused');
    const url = `/v1/groups/${g.groupId}/preferences`;
    const prefs = await s.api.req('GET', url, undefined, g.ownerToken);
    assert.equal(prefs.status, 200);
    assert.deepEqual(prefs.json, {
      smsMode: 'normal',
      muted: false,
      digest: false,
      quiet: null,
      timeZone: null,
      effectiveTimeZone: 'Asia/Shanghai',
    });
    // Over HTTP: bad input is refused and changes nothing.
    const bad = await s.api.req('PATCH', url, { quiet: { start: 7, end: 7 } }, g.ownerToken);
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'invalid_preferences');
    const zone = await s.api.req('PATCH', url, { timeZone: 'Mars/Olympus' }, g.ownerToken);
    assert.equal(zone.json.error.code, 'invalid_preferences');
    const set = await s.api.req('PATCH', url, { timeZone: 'europe/berlin', digest: false }, g.ownerToken);
    assert.equal(set.status, 200);
    assert.equal(set.json.timeZone, 'Europe/Berlin');
    assert.equal(
      (await s.api.req('PATCH', url, { timeZone: null }, g.ownerToken)).json.effectiveTimeZone,
      'Asia/Shanghai',
    );
  });

  test('each preference: never and SMS-only-for-urgent go to the inbox, mute gets no reminder, plain is texted', async () => {
    const before = new Map<string, number>();
    for (const p of [NEVER, MUTED, URGENT_ONLY, QUIET, PLAIN]) before.set(p, (await textsTo(p)).length);
    const id = await post('Meet at 9');
    assert.equal((await textsTo(NEVER)).length, before.get(NEVER));
    assert.equal((await textsTo(MUTED)).length, before.get(MUTED));
    assert.equal((await textsTo(URGENT_ONLY)).length, before.get(URGENT_ONLY));
    assert.match((await textsTo(PLAIN)).at(-1)!, /Meet at 9/);
    assert.match((await textsTo(QUIET)).at(-1)!, /Meet at 9/, '20:00 local is outside 22-7');
    for (const p of [NEVER, MUTED, URGENT_ONLY]) {
      const steps = await stepsOf(s, g, id, p);
      assert.deepEqual(
        steps.map((x) => `${x.rung}/${x.outcome}/${x.reason}`),
        ['inbox/waiting/preference'],
        p,
      );
    }
    assert.ok((await stepsOf(s, g, id, PLAIN)).some((x) => x.rung === 'sms' && x.reason === 'offline'));
  });

  test('urgent overrides "SMS only for urgent", never "never SMS" or mute; only admins may mark it', async () => {
    const n = (await textsTo(NEVER)).length;
    const m = (await textsTo(MUTED)).length;
    const id = await post('Trail closed', true);
    assert.match((await textsTo(URGENT_ONLY)).at(-1)!, /Trail closed/);
    assert.equal((await textsTo(NEVER)).length, n);
    assert.equal((await textsTo(MUTED)).length, m);
    assert.ok((await stepsOf(s, g, id, URGENT_ONLY)).some((x) => x.rung === 'sms' && x.reason === 'urgent'));
    // By SMS: "!" from the owner marks it urgent (and is not part of the text); from a member it is text.
    await s.api.sms(OWNER, g.address, '!Bring water');
    await s.settle();
    assert.match((await textsTo(URGENT_ONLY)).at(-1)!, /\] [^:]+: Bring water$/);
    const u = (await textsTo(URGENT_ONLY)).length;
    await s.api.sms(PLAIN, g.address, '!not urgent from a member');
    await s.settle();
    assert.equal((await textsTo(URGENT_ONLY)).length, u);
    assert.match((await textsTo(OWNER)).at(-1)!, /!not urgent from a member/);
  });

  test('the WebSocket send frame carries urgent, for owners and admins only', async () => {
    const ws = new RawWs(s.url);
    await ws.auth(g.ownerToken);
    ws.send({ t: 'send', g: g.groupId, cid: 'urgent-ws-1', body: 'Meet at the gate', urgent: true });
    assert.equal((await ws.waitFor((x) => x.t === 'sent' || x.t === 'error', 5000, 'sent')).t, 'sent');
    ws.close();
    await s.settle();
    assert.match((await textsTo(URGENT_ONLY)).at(-1)!, /Meet at the gate/);
    const memberToken = await s.api.signIn(PLAIN, () => s.settle());
    const mws = new RawWs(s.url);
    await mws.auth(memberToken);
    mws.send({ t: 'send', g: g.groupId, cid: 'urgent-ws-2', body: 'Me too', urgent: true });
    const f = await mws.waitFor((x) => x.t === 'sent' || x.t === 'error', 5000, 'answer');
    assert.equal(f.t, 'error');
    assert.equal(f.code, 'forbidden');
    mws.close();
    const http = await s.api.req(
      'POST',
      `/v1/groups/${g.groupId}/messages`,
      { body: 'x', urgent: true },
      memberToken,
    );
    assert.equal(http.status, 403);
  });

  test('quiet hours across midnight hold texts until 07:00 local, also across a restart; urgent goes at once', async () => {
    clock.set('2026-12-01T16:30:00Z'); // 00:30 in Shanghai
    const before = (await textsTo(QUIET)).length;
    const id = await post('Night news');
    assert.equal((await textsTo(QUIET)).length, before, 'held during quiet hours');
    assert.match((await textsTo(PLAIN)).at(-1)!, /Night news/, 'members without quiet hours are texted');
    assert.ok((await stepsOf(s, g, id, QUIET)).some((x) => x.rung === 'sms' && x.reason === 'quiet_hours'));
    await post('Flood warning', true);
    assert.match((await textsTo(QUIET)).at(-1)!, /Flood warning/, 'urgent overrides quiet hours');
    const held = (await textsTo(QUIET)).length;
    // A restart in the night: the held text is durable and still waits.
    await s.close();
    s = await startTestServer({ QUN_DATA_DIR: dataDir }, { clock });
    await s.settle();
    clock.set('2026-12-01T22:59:00Z'); // 06:59 local
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await textsTo(QUIET)).length, held, 'still quiet at 06:59');
    clock.set('2026-12-01T23:00:00Z'); // 07:00 local
    await eventually(
      async () => ((await textsTo(QUIET)).at(-1)?.includes('Night news') ? true : undefined),
      10_000,
      'the held text after quiet hours',
    );
  });
});

describe('reminders wait for the end of quiet hours', () => {
  const clock = new ManualClock('2026-12-01T13:55:00Z'); // 21:55 in Shanghai
  let s: TestServer;
  let g: SmsGroup;
  before(async () => {
    s = await startTestServer({ QUN_REMINDER_SCAN_INTERVAL: '1s' }, { clock });
    g = await smsGroup(s, OWNER, [local(NEVER)]);
  });
  after(async () => {
    await s.close();
  });

  test('an inbox reminder due at 22:05 local goes at 07:00', async () => {
    await s.api.sms(NEVER, g.address, 'SMS OFF');
    await s.api.sms(NEVER, g.address, 'QUIET 22-7');
    await s.settle();
    const r = await s.api.req('POST', `/v1/groups/${g.groupId}/messages`, { body: 'Tomorrow' }, g.ownerToken);
    assert.equal(r.status, 201);
    await s.settle();
    const reminded = async () =>
      (await stepsOf(s, g, r.json.id, NEVER)).some((x) => x.rung === 'reminder') ? true : undefined;
    clock.set('2026-12-01T14:06:00Z'); // 22:06 local: the reminder is due, but it is quiet
    await new Promise((res) => setTimeout(res, 2500));
    assert.equal(await reminded(), undefined, 'no reminder in quiet hours');
    clock.set('2026-12-01T23:00:30Z'); // 07:00 local
    await eventually(reminded, 10_000, 'the reminder after quiet hours');
  });
});
