// The trail says what happened, when it happened (issue 10, item 3): for every rung, the rows of
// GET /v1/messages/{id}/trail are checked against what the member's live client, inbox pulls and phone saw —
// a live ack, an inbox item shown and then confirmed, a text — and nothing else (no "fetched" from a cursor).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { QunClient } from '../../src/client/qun-client.ts';
import { type PushService, startPushService } from '../helpers/push-service.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/server.ts';
import {
  addMembers,
  closeServer,
  createGroup,
  type GroupRef,
  history,
  phone,
  SIGNIN_ENV,
  signIn,
  sleep,
  textsAfter,
  viaOf,
} from '../helpers/workload.ts';

const O = phone(5201, 0);
const A = phone(5201, 1); // live
const B = phone(5201, 2); // web-online, with reminders on
const C = phone(5201, 3); // SMS only
const D = phone(5201, 4); // web-online in an escalating group, never reads: escalated by SMS

type Step = { rung: string; outcome: string; reason: string; at: number | null };
/** What a member's own devices saw of one message: the truth the trail must agree with. */
interface Saw {
  /** The live client raised it as new, acked it, and the server has the ack: between these two times. */
  liveAcked?: [number, number];
  /** An inbox answer included it without `via`, received between these two times. */
  shown?: [number, number];
  /** A later pull returned that answer's cursor, between these two times. */
  confirmed?: [number, number];
  /** Texts of it on the member's phone. */
  texts: number;
  /** A Web Push reminder reached the member's browser. */
  reminded?: boolean;
}

/** The trail rows of one member must be exactly what they saw: no event that did not happen, each one at its time. */
function checkTrail(who: string, steps: Step[], saw: Saw): void {
  const show = JSON.stringify(steps);
  const one = (rung: string, outcome: string, when: [number, number] | undefined) => {
    const rows = steps.filter((s) => s.rung === rung && s.outcome === outcome);
    if (!when) {
      assert.deepEqual(rows, [], `${who}: no ${rung}/${outcome} row, it did not happen: ${show}`);
      return;
    }
    assert.equal(rows.length, 1, `${who}: one ${rung}/${outcome} row: ${show}`);
    const at = rows[0]!.at;
    assert.equal(typeof at, 'number', `${who}: ${rung}/${outcome} carries the time it happened: ${show}`);
    assert.ok(
      at! >= when[0] && at! <= when[1],
      `${who}: ${rung}/${outcome} written when it happened (${at} in [${when[0]}, ${when[1]}])`,
    );
  };
  one('live', 'acked', saw.liveAcked);
  one('inbox', 'shown', saw.shown);
  one('inbox', 'confirmed', saw.confirmed);
  // "fetched" was derived from the cursor afterwards; the events above replace it.
  assert.deepEqual(
    steps.filter((s) => s.rung === 'inbox' && s.outcome === 'fetched'),
    [],
    `${who}: no inbox/fetched derived from a cursor: ${show}`,
  );
  const delivered = steps.filter((s) => s.rung === 'sms' && s.outcome === 'delivered');
  assert.equal(delivered.length, saw.texts, `${who}: one sms/delivered row per text on the phone: ${show}`);
  if (saw.texts === 0)
    assert.deepEqual(
      steps.filter((s) => s.rung === 'sms' && s.outcome !== 'cancelled'),
      [],
      `${who}: not texted, so no sms row but a cancellation: ${show}`,
    );
  const reminded = steps.filter((s) => s.rung === 'reminder' && s.outcome === 'reminded');
  assert.equal(reminded.length, saw.reminded ? 1 : 0, `${who}: reminder rows match the pushes: ${show}`);
}

/** Runs every check and reports all that failed at once, so one wrong rung does not hide the others. */
function soft(problems: string[], check: () => void): void {
  try {
    check();
  } catch (e) {
    problems.push((e as Error).message.split('\n')[0]!);
  }
}

describe('the trail against what clients and phones saw', () => {
  let s: TestServer;
  let push: PushService;
  const tokens: Record<string, string> = {};
  const clients: QunClient[] = [];
  let g1: GroupRef;
  let g2: GroupRef;
  const seen: Record<string, string> = {};

  before(async () => {
    push = await startPushService();
    s = await startTestServer(
      {
        ...SIGNIN_ENV,
        QUN_LIVE_ACK_TIMEOUT: '500ms',
        QUN_LIVE_HEARTBEAT: '30s',
        QUN_REMINDER_SCAN_INTERVAL: '1h', // the test runs the scans itself
        QUN_REMINDER_DELAY: '0s',
        QUN_REMINDER_SMS: 'false', // reminders by Web Push only, so each phone's texts are the deliveries
        QUN_ESCALATE_DELAY: '300ms',
        QUN_WEB_ONLINE_TTL: '60s',
      },
      { pushAgent: push.agent },
    );
    for (const p of [O, A, B, C, D]) tokens[p] = await signIn(s.api, p);
    g1 = await createGroup(s.api, tokens[O]!, 'Trail');
    await addMembers(s.api, tokens[O]!, g1.id, [A, B, C]);
    g2 = await createGroup(s.api, tokens[O]!, 'Trail escalates');
    await addMembers(s.api, tokens[O]!, g2.id, [D]);
    const p = await s.api.req('PATCH', `/v1/groups/${g2.id}`, { escalateToSms: true }, tokens[O]);
    assert.equal(p.status, 200);
  });
  after(async () => {
    for (const c of clients) c.close();
    await closeServer(s);
    await push.close();
  });

  /** One inbox pull that confirms the previous one; returns the items of a group and when the answer came. */
  const pull = async (p: string, groupId: number) => {
    const t0 = Date.now();
    const q = seen[p] ? `?seen=${seen[p]}` : '';
    const r = await s.api.req('GET', `/v1/inbox${q}`, undefined, tokens[p]);
    assert.equal(r.status, 200);
    seen[p] = r.json.seen;
    const items = (r.json.groups.find((g: { id: number }) => g.id === groupId)?.messages ?? []) as {
      seq: number;
      body: string;
      hidden?: boolean;
    }[];
    return { items, t0, t1: Date.now() };
  };
  const post = async (groupId: number, body: string) => {
    const r = await s.api.req('POST', `/v1/groups/${groupId}/messages`, { body }, tokens[O]);
    assert.equal(r.status, 201);
    return { id: r.json.id as string, seq: r.json.seq as number, at: Date.now() };
  };
  const trail = async (msgId: string) => {
    const r = await s.api.req('GET', `/v1/messages/${msgId}/trail`, undefined, tokens[O]);
    assert.equal(r.status, 200);
    return (p: string) => r.json.members.find((m: { phone: string }) => m.phone === p).steps as Step[];
  };
  const textsOf = async (p: string, after: number, body: string) =>
    (await textsAfter(s.api, p, after)).filter((t) => t.text.includes(body)).length;
  const lastText = async (p: string) => (await textsAfter(s.api, p)).at(-1)?.id ?? 0;

  test('live acked, inbox shown then confirmed (with a reminder), and a text: each member’s rows are what they saw', async () => {
    // A live; B web-online with reminders on; C neither.
    const a = new QunClient({ baseUrl: s.url, token: tokens[A]! });
    clients.push(a);
    const aGot: { seq: number; via?: string; at: number }[] = [];
    a.on('message', (m) => aGot.push({ seq: m.seq, at: Date.now(), ...(viaOf(m) ? { via: viaOf(m) } : {}) }));
    await a.connect();
    const sub = push.newSubscription();
    assert.equal((await s.api.req('POST', '/v1/push/subscriptions', sub.target, tokens[B])).status, 201);
    await pull(B, g1.id);
    await pull(B, g1.id);
    const cFrom = await lastText(C);
    const bFrom = await lastText(B);
    const aFrom = await lastText(A);

    const m = await post(g1.id, 'trail one');
    // A: the frame arrives and is acked; the ack is on the server between the frame and when we see it there.
    const aFrame = await eventually(() => aGot.find((x) => x.seq === m.seq), 5000, 'A gets it live');
    assert.equal(aFrame.via, undefined);
    await eventually(
      async () =>
        (await s.api.req('GET', `/v1/groups/${g1.id}`, undefined, tokens[A])).json.ackedSeq >= m.seq
          ? true
          : undefined,
      5000,
      'A acked',
    );
    const aAckedBy = Date.now();
    // A also opens the inbox afterwards (nothing new there): that must not turn into an inbox row.
    assert.deepEqual((await pull(A, g1.id)).items, []);
    await pull(A, g1.id);

    // B: a reminder, then one pull shows it, the next confirms it.
    await s.settle();
    const pushes = push.received.length;
    await s.reminders.run();
    await s.settle();
    assert.equal(push.received.length, pushes + 1, 'B got one push');
    const shown = await pull(B, g1.id);
    assert.deepEqual(
      shown.items.filter((x) => x.seq === m.seq && !x.hidden && viaOf(x) === undefined).length,
      1,
      'B was shown it as new',
    );
    // Shown, not yet confirmed: the trail says exactly that now, not later from a cursor.
    const problems: string[] = [];
    let steps = await trail(m.id);
    soft(problems, () =>
      checkTrail('B before confirming', steps(B), {
        shown: [shown.t0, shown.t1],
        texts: 0,
        reminded: true,
      }),
    );
    const confirmed = await pull(B, g1.id);

    // C: the text reaches the phone.
    await eventually(
      async () => ((await textsOf(C, cFrom, 'trail one')) >= 1 ? true : undefined),
      5000,
      'C texted',
    );
    await sleep(300);
    await s.settle();

    steps = await trail(m.id);
    const saw = {
      A: {
        liveAcked: [aFrame.at, aAckedBy] as [number, number],
        texts: await textsOf(A, aFrom, 'trail one'),
      },
      B: {
        shown: [shown.t0, shown.t1] as [number, number],
        confirmed: [confirmed.t0, confirmed.t1] as [number, number],
        texts: await textsOf(B, bFrom, 'trail one'),
        reminded: true,
      },
      C: { texts: await textsOf(C, cFrom, 'trail one') },
    };
    soft(problems, () => checkTrail('A (live)', steps(A), saw.A));
    soft(problems, () => checkTrail('B (inbox)', steps(B), saw.B));
    soft(problems, () => checkTrail('C (sms)', steps(C), saw.C));
    // History over HTTP marks the channel that delivered it, for each member.
    for (const [who, via] of [
      [B, 'inbox'],
      [C, 'sms'],
    ] as const) {
      const item = (await history(s.api, tokens[who]!, g1.id)).find((x) => x.seq === m.seq);
      soft(problems, () => assert.equal(viaOf(item ?? {}), via, `${who}'s history marks it via ${via}`));
    }
    assert.deepEqual(problems, [], 'the trail disagrees with what the members saw');
    assert.equal(await textsOf(C, cFrom, 'trail one'), 1, 'C has exactly one text of it');
  });

  test('a member who acked seq 1–2 live, then read seq 3 in the inbox, shows no inbox row for 1–2', async () => {
    const m1 = await post(g1.id, 'acked one');
    const m2 = await post(g1.id, 'acked two');
    const aFrom = await lastText(A);
    await eventually(
      async () =>
        (await s.api.req('GET', `/v1/groups/${g1.id}`, undefined, tokens[A])).json.ackedSeq >= m2.seq
          ? true
          : undefined,
      5000,
      'A acked both',
    );
    // A leaves the app (past the reconnect window) and reads the next message on the phone instead.
    for (const c of clients) c.close();
    await sleep(800);
    await pull(A, g1.id);
    await pull(A, g1.id);
    const m3 = await post(g1.id, 'read in the inbox');
    await s.settle();
    const shown = await pull(A, g1.id);
    assert.equal(
      shown.items.filter((x) => x.seq === m3.seq && viaOf(x) === undefined).length,
      1,
      'A shown seq 3',
    );
    const confirmed = await pull(A, g1.id);
    await s.settle();
    for (const m of [m1, m2]) {
      const steps = (await trail(m.id))(A);
      assert.ok(
        steps.some((x) => x.rung === 'live' && x.outcome === 'acked'),
        JSON.stringify(steps),
      );
      assert.deepEqual(
        steps.filter((x) => x.rung === 'inbox'),
        [],
        `seq ${m.seq} was acked live and never in an inbox answer: ${JSON.stringify(steps)}`,
      );
    }
    checkTrail('A (seq 3, inbox)', (await trail(m3.id))(A), {
      shown: [shown.t0, shown.t1],
      confirmed: [confirmed.t0, confirmed.t1],
      texts: await textsOf(A, aFrom, 'read in the inbox'),
    });
  });

  test('escalated by SMS and hidden from the inbox: sms delivered, no inbox shown, confirmed or fetched', async () => {
    await pull(D, g2.id);
    await pull(D, g2.id);
    const dFrom = await lastText(D);
    const m = await post(g2.id, 'escalate me');
    await s.settle();
    await s.reminders.run(); // the reminder (D has no subscription); escalation falls due 300 ms later
    await sleep(400);
    await s.reminders.run();
    await s.settle();
    await eventually(
      async () => ((await textsOf(D, dFrom, 'escalate me')) >= 1 ? true : undefined),
      5000,
      'D texted',
    );
    // Now D opens the inbox: the message reached D by SMS, so it is not new there (hidden, or marked via sms).
    const r = await pull(D, g2.id);
    const item = r.items.find((x) => x.seq === m.seq);
    assert.ok(!item || item.hidden || viaOf(item) === 'sms', `not shown as new: ${JSON.stringify(item)}`);
    await pull(D, g2.id);
    await s.settle();
    const steps = (await trail(m.id))(D);
    checkTrail('D (escalated)', steps, { texts: await textsOf(D, dFrom, 'escalate me') });
    assert.equal(await textsOf(D, dFrom, 'escalate me'), 1);
    const item2 = (await history(s.api, tokens[D]!, g2.id)).find((x) => x.seq === m.seq);
    assert.equal(viaOf(item2 ?? {}), 'sms', "D's history marks it via sms");
    assert.deepEqual(
      steps.filter((x) => x.rung === 'inbox' && x.outcome !== 'waiting'),
      [],
      `only the decision to wait in the inbox, no inbox event: ${JSON.stringify(steps)}`,
    );
  });
});
