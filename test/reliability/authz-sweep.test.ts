// Authorization sweep generated from /openapi.json (plus WebSocket frames and SMS commands): outsiders get no content and cannot tell real ids from made-up ones.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import {
  addMembers,
  closeServer,
  createGroup,
  type GroupRef,
  phone,
  RawWs,
  SIGNIN_ENV,
  signIn,
  sleep,
  textsAfter,
} from '../helpers/workload.ts';

const ADMIN_KEY = 'sweep-operator-key-0123456789';
const O = phone(4301, 0); // owner of G
const M = phone(4301, 1); // plain member of G
const R = phone(4301, 2); // member of G, removed
const X = phone(4301, 3); // owner of H, never in G
const S = phone(4301, 4); // signed in, in no group
const P = phone(4301, 5); // SMS-only member of G
const Q = phone(4301, 6); // joins G after R's removal
const NEVER = phone(4301, 7); // a phone Qun has never seen
const FAKE_GROUP = 987_654;
const FAKE_MSG = '01900000-0000-7000-8000-000000000000';
const rnd = Math.random().toString(36).slice(2, 8);

type Actor = 'anonymous' | 'stranger' | 'removed' | 'otherGroup' | 'member';
type Access = 'member' | 'admin' | 'owner' | 'senderOrAdmin' | 'invitee' | 'operator';

/**
 * One entry per route of /openapi.json. `scope` says what the route is about:
 * - group: a group id (in the path, or `idIn: 'body'`); outsiders get the same answer for a real and a made-up id
 * - message: a message id in the path, likewise
 * - account: a phone in the body; a known and an unknown phone get the same answer
 * - push: a push endpoint; someone else's and a made-up one get the same answer
 * - self: the caller's own data; must carry nothing of groups the caller is not in
 * - public: no auth; must carry no group content
 * - operator: the admin key; everyone else gets the same refusal
 * - simulator: the SMS simulator's harness routes, documented as unauthenticated and absent with a real gateway
 */
interface RouteCase {
  scope: 'group' | 'message' | 'account' | 'push' | 'self' | 'public' | 'operator' | 'simulator';
  access?: Access;
  /** Bodies to try with the id under test: several, so that validation order cannot tell the ids apart. */
  bodies?: (id: number | string) => unknown[];
  /** Bodies a non-admin member tries on an admin-only route (default: `bodies`). */
  memberBodies?: (id: number | string) => unknown[];
  query?: string;
  idIn?: 'path' | 'body';
  /** Acts on the caller's own session (sign-out): only called anonymously and with a forged token. */
  destructive?: boolean;
  why?: string;
}

const CASES: Record<string, RouteCase> = {
  'GET /healthz': { scope: 'public' },
  'GET /readyz': { scope: 'public' },
  'GET /metrics': { scope: 'public' },
  'GET /v1/admin/summary': { scope: 'operator' },
  'PATCH /v1/admin/groups/{id}': {
    scope: 'group',
    access: 'operator',
    bodies: () => [{ memberCap: 3 }, { escalateToSms: true }, {}],
  },
  'POST /v1/auth/code': { scope: 'account', bodies: (p) => [{ phone: p }] },
  'POST /v1/auth/token': {
    scope: 'account',
    bodies: (p) => [
      { phone: p, code: '000000' },
      { phone: p, code: 'x' },
    ],
  },
  'POST /v1/auth/signout': { scope: 'self', destructive: true },
  'POST /v1/auth/signout-all': { scope: 'self', destructive: true },
  'GET /v1/admin/dashboard': { scope: 'operator' },
  'GET /v1/admin/groups/{id}/members': { scope: 'group', access: 'operator' },
  'GET /v1/groups/{id}/stats': { scope: 'group', access: 'owner' },
  // {userId} stays a literal here, so every caller gets the same validation answer; the role checks of
  // these two are in test/e2e/web-client-routes.test.ts.
  'DELETE /v1/groups/{id}/members/{userId}': { scope: 'group', access: 'admin' },
  'PUT /v1/groups/{id}/members/{userId}/role': {
    scope: 'group',
    access: 'owner',
    bodies: () => [{ role: 'admin' }],
  },
  'GET /v1/me': { scope: 'self' },
  'PATCH /v1/me': { scope: 'self', bodies: () => [{ name: 'Probe' }] },
  'GET /v1/groups': { scope: 'self' },
  'POST /v1/groups': { scope: 'self', bodies: () => [{ name: 'Probe group' }] },
  'GET /v1/groups/{id}': { scope: 'group', access: 'member' },
  'PATCH /v1/groups/{id}': {
    scope: 'group',
    access: 'admin',
    bodies: () => [
      { name: 'Renamed' },
      { escalateToSms: true },
      { memberCap: 3 },
      { memberCap: 99_999_999 },
      {},
    ],
    memberBodies: () => [
      { name: 'Renamed' },
      { escalateToSms: true },
      { memberCap: 3 },
      { invitePolicy: 'confirm' },
    ],
  },
  'GET /v1/groups/{id}/members': { scope: 'group', access: 'member' },
  // Delivery policy (src/http/routes/policy-routes.ts): preferences and the cost preview are any member's,
  // the budget is read by admins and set by the owner. The bodies that fail the handler's own checks
  // (equal quiet hours, an unknown zone, over the ceiling) must not answer outsiders differently either.
  'GET /v1/groups/{id}/preferences': { scope: 'group', access: 'member' },
  'PATCH /v1/groups/{id}/preferences': {
    scope: 'group',
    access: 'member',
    bodies: () => [
      { muted: true },
      { quiet: { start: 22, end: 22 } },
      { timeZone: 'Nowhere/Probe' },
      { smsMode: 'bogus' },
      {},
    ],
  },
  'GET /v1/groups/{id}/sms-cost': { scope: 'group', access: 'member', query: '?body=probe&urgent=true' },
  'GET /v1/groups/{id}/sms-budget': { scope: 'group', access: 'admin' },
  'PATCH /v1/groups/{id}/sms-budget': {
    scope: 'group',
    access: 'owner',
    bodies: () => [{ day: 5 }, { month: 999_999_999 }, { digestWindowMs: null }, { day: -1 }, {}],
    memberBodies: () => [{ day: 5 }, { month: null }, { digestWindowMs: 60_000 }, {}],
  },
  'POST /v1/groups/{id}/invitations': {
    scope: 'group',
    access: 'member',
    bodies: () => [{ phones: [phone(4301, 8)] }, { phones: ['junk'] }, { phones: [] }],
  },
  'POST /v1/groups/{id}/join': { scope: 'group', access: 'invitee' },
  'POST /v1/groups/{id}/decline': { scope: 'group', access: 'invitee' },
  'POST /v1/groups/{id}/leave': { scope: 'group', access: 'member' },
  'POST /v1/groups/{id}/removals': {
    scope: 'group',
    access: 'admin',
    bodies: () => [{ phone: M }, { phone: 'junk' }, { phone: NEVER }],
    memberBodies: () => [{ phone: O }, { phone: P }, { phone: 'junk' }],
  },
  'POST /v1/groups/{id}/admins': {
    scope: 'group',
    access: 'owner',
    bodies: () => [{ phone: M }, { phone: 'junk' }],
    memberBodies: () => [{ phone: M }, { phone: P }],
  },
  'POST /v1/groups/{id}/messages': {
    scope: 'group',
    access: 'member',
    bodies: () => [
      { body: 'probe', clientMsgId: 'probe-1' },
      { body: '' },
      { body: '   ' },
      { body: 'x'.repeat(2001) },
    ],
  },
  'GET /v1/groups/{id}/messages': { scope: 'group', access: 'member', query: '?after=0&limit=500' },
  'GET /v1/messages/{msgId}/trail': { scope: 'message', access: 'senderOrAdmin' },
  'GET /v1/inbox': { scope: 'self' },
  'POST /v1/inbox/read': {
    scope: 'group',
    access: 'member',
    idIn: 'body',
    bodies: (id) => [
      { groupId: id, seq: 1 },
      { groupId: id, seq: 0 },
    ],
  },
  'GET /v1/push/key': { scope: 'public' },
  'POST /v1/push/subscriptions': {
    scope: 'self',
    bodies: () => [{ endpoint: 'https://push.example/probe', keys: { p256dh: 'AAAA', auth: 'BBBB' } }],
  },
  'DELETE /v1/push/subscriptions': { scope: 'push', bodies: (e) => [{ endpoint: e }] },
  'POST /v1/sim/sms': { scope: 'simulator', why: 'simulator only: injects a text as any phone, by design' },
  'GET /v1/sim/sms': { scope: 'simulator', why: 'simulator only: reads any simulated phone, by design' },
  'GET /v1/sim/phones': { scope: 'simulator', why: 'simulator only: lists simulated phones, by design' },
  'GET /v1/sim/info': { scope: 'public' },
};

interface Answer {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: compared structurally
  json: any;
}

describe('authorization sweep', () => {
  let s: TestServer;
  let G: GroupRef;
  let H: GroupRef;
  let msgId = '';
  const tok: Record<string, string> = {};
  const token: Partial<Record<Actor, string>> = {};
  const actorPhone: Partial<Record<Actor, string>> = {};
  /** Strings that must not reach an actor: G's names, bodies, address and member phones. */
  const secrets: string[] = [];
  /** What the removed member must not learn: what happened in G after the removal. */
  const afterRemoval: string[] = [];
  let pushEndpoint = '';
  const problems: string[] = [];

  before(async () => {
    s = await startTestServer({
      ...SIGNIN_ENV,
      QUN_ADMIN_KEY: ADMIN_KEY,
      QUN_WEB_ONLINE_TTL: '1s',
    });
    for (const p of [O, M, R, X, S]) tok[p] = await signIn(s.api, p);
    const nameBefore = `Orchid${rnd}`;
    G = await createGroup(s.api, tok[O]!, nameBefore);
    H = await createGroup(s.api, tok[X]!, `Other${rnd}`);
    await addMembers(s.api, tok[O]!, G.id, [M, R, P]);
    const bodies = [`secret-one-${rnd}`, `secret-two-${rnd}`, `secret-three-${rnd}`];
    const first = await s.api.req('POST', `/v1/groups/${G.id}/messages`, { body: bodies[0] }, tok[O]);
    msgId = first.json.id;
    await s.api.req('POST', `/v1/groups/${G.id}/messages`, { body: bodies[1] }, tok[M]);
    await s.api.req('POST', `/v1/groups/${G.id}/messages`, { body: bodies[2] }, tok[R]);
    assert.equal((await s.api.req('POST', `/v1/groups/${G.id}/removals`, { phone: R }, tok[O])).status, 204);
    const nameAfter = `Lotus${rnd}`;
    await s.api.req('PATCH', `/v1/groups/${G.id}`, { name: nameAfter }, tok[O]);
    await addMembers(s.api, tok[O]!, G.id, [Q]);
    const later = `secret-after-removal-${rnd}`;
    await s.api.req('POST', `/v1/groups/${G.id}/messages`, { body: later }, tok[O]);
    const sub = { endpoint: `https://push.example/owner-${rnd}`, keys: { p256dh: 'AAAA', auth: 'BBBB' } };
    assert.equal((await s.api.req('POST', '/v1/push/subscriptions', sub, tok[O])).status, 201);
    pushEndpoint = sub.endpoint;
    secrets.push(nameBefore, nameAfter, ...bodies, later, G.address, O, M, R, P, Q, pushEndpoint);
    afterRemoval.push(nameAfter, later, Q);
    Object.assign(token, { stranger: tok[S], removed: tok[R], otherGroup: tok[X], member: tok[M] });
    Object.assign(actorPhone, { stranger: S, removed: R, otherGroup: X, member: M });
    await s.settle();
  });
  after(() => closeServer(s));

  async function call(
    method: string,
    path: string,
    o: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer> {
    const res = await fetch(s.url + path, {
      method,
      headers: {
        ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        ...o.headers,
      },
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: res.status, text, json };
  }

  /** Secrets an actor must not see (its own phone is its own business; the removed member knew the old state). */
  function secretsFor(actor: Actor): string[] {
    const list = actor === 'removed' ? afterRemoval : secrets;
    return list.filter((x) => x !== actorPhone[actor]);
  }

  /** Any object in the answer that points at G (an id, a groupId): a leak of G's existence or counts. */
  function mentionsG(v: unknown): boolean {
    if (Array.isArray(v)) return v.some(mentionsG);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.groupId === G.id || (o.id === G.id && ('name' in o || 'address' in o || 'unread' in o)))
        return true;
      return Object.values(o).some(mentionsG);
    }
    return false;
  }

  function leakCheck(label: string, actor: Actor, a: Answer): void {
    for (const x of secretsFor(actor)) if (a.text.includes(x)) problems.push(`${label}: leaks "${x}"`);
    if (actor !== 'member' && mentionsG(a.json)) problems.push(`${label}: mentions group ${G.id}`);
  }

  /** Fails with every problem found, one per line. */
  function noProblems(what: string): void {
    const found = problems.splice(0);
    if (found.length > 0) assert.fail(`${what} (${found.length}):\n${found.join('\n')}`);
  }

  function sameAnswer(label: string, real: Answer, fake: Answer): void {
    if (real.status !== fake.status || JSON.stringify(real.json) !== JSON.stringify(fake.json))
      problems.push(
        `${label}: real id → ${real.status} ${real.text.slice(0, 120)} | made-up id → ${fake.status} ${fake.text.slice(0, 120)}`,
      );
  }

  /** G as its owner sees it, to prove that nothing an outsider did changed it. */
  async function snapshotG(): Promise<string> {
    const g = (await s.api.req('GET', `/v1/groups/${G.id}`, undefined, tok[O])).json;
    const m = (await s.api.req('GET', `/v1/groups/${G.id}/members`, undefined, tok[O])).json;
    return JSON.stringify({
      name: g.name,
      lastSeq: g.lastSeq,
      policy: [g.invitePolicy, g.memberCap, g.escalateToSms],
      members: m.members.map((x: { phone: string; role: string }) => `${x.phone}:${x.role}`).sort(),
    });
  }

  test('every route in /openapi.json has a case in the sweep table', async () => {
    const spec = (await s.api.req('GET', '/openapi.json')).json;
    const routes = Object.entries(spec.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${p}`),
    );
    const missing = routes.filter((r) => !(r in CASES));
    const stale = Object.keys(CASES).filter((r) => !routes.includes(r));
    assert.deepEqual(missing, [], `routes without a sweep case (add them to CASES): ${missing.join(', ')}`);
    assert.deepEqual(stale, [], `sweep cases for routes that no longer exist: ${stale.join(', ')}`);
  });

  test('HTTP: outsiders learn nothing and cannot tell a real id from a made-up one', async () => {
    const initial = await snapshotG();
    const outsiders: Actor[] = ['anonymous', 'stranger', 'removed', 'otherGroup'];
    for (const [route, c] of Object.entries(CASES)) {
      const [method, template] = route.split(' ') as [string, string];
      const at = (id: number | string) =>
        template.replace('{id}', String(id)).replace('{msgId}', String(id)) + (c.query ?? '');
      if (c.scope === 'simulator') continue; // see CASES: documented harness routes
      if (c.scope === 'public') {
        const a = await call(method, at(''));
        leakCheck(`${route} (anonymous)`, 'anonymous', a);
        continue;
      }
      if (c.scope === 'self') {
        for (const actor of outsiders) {
          if (c.destructive && actor !== 'anonymous') continue;
          for (const body of c.bodies?.('') ?? [undefined]) {
            const a = await call(method, at(''), { token: token[actor], body });
            leakCheck(`${route} as ${actor}`, actor, a);
            if (actor === 'anonymous' && a.status < 400) problems.push(`${route} anonymous → ${a.status}`);
          }
        }
        if (c.destructive) {
          const forged = await call(method, at(''), { token: `${tok[O]!.slice(0, -2)}xx` });
          if (forged.status !== 401) problems.push(`${route} with a forged token → ${forged.status}`);
        }
        continue;
      }
      if (c.scope === 'operator') {
        for (const actor of [...outsiders, 'member'] as Actor[]) {
          const a = await call(method, at(''), { token: token[actor] });
          if (a.status !== 403) problems.push(`${route} as ${actor} → ${a.status}`);
          leakCheck(`${route} as ${actor}`, actor, a);
        }
        continue;
      }
      // Scopes with a real and a made-up subject.
      const [real, fake] =
        c.scope === 'group'
          ? [G.id, FAKE_GROUP]
          : c.scope === 'message'
            ? [msgId, FAKE_MSG]
            : c.scope === 'account'
              ? [O, NEVER]
              : [pushEndpoint, `https://push.example/none-${rnd}`];
      const actors: Actor[] =
        c.scope === 'account'
          ? ['anonymous']
          : c.access && c.access !== 'member'
            ? [...outsiders, 'member']
            : outsiders;
      for (const actor of actors) {
        const bodies =
          actor === 'member' ? (c.memberBodies ?? c.bodies) : (c.bodies ?? (() => [undefined] as unknown[]));
        const realBodies = bodies?.(real) ?? [undefined];
        const fakeBodies = bodies?.(fake) ?? [undefined];
        for (let i = 0; i < realBodies.length; i++) {
          const label = `${route} as ${actor}${realBodies[i] === undefined ? '' : ` with ${JSON.stringify(realBodies[i]).slice(0, 60)}`}`;
          const path = (id: number | string) => at(c.idIn === 'body' ? '' : id);
          const a = await call(method, path(real), { token: token[actor], body: realBodies[i] });
          const b = await call(method, path(fake), { token: token[actor], body: fakeBodies[i] });
          if (actor === 'member') {
            // A plain member on an admin-only route: refused, whatever the body.
            if (a.status < 400) problems.push(`${label} → ${a.status} (admin only)`);
            continue;
          }
          leakCheck(label, actor, a);
          if (c.scope !== 'account' && a.status < 400) problems.push(`${label} → ${a.status}`);
          sameAnswer(label, a, b);
        }
      }
    }
    assert.equal(await snapshotG(), initial, 'nothing an outsider did changed the group');
    noProblems('authorization problems');
  });

  test('HTTP: the mobile inbox form (not in /openapi.json) treats real and made-up groups alike', async () => {
    const initial = await snapshotG();
    for (const actor of ['stranger', 'removed', 'otherGroup'] as Actor[]) {
      for (const body of ['probe', '', 'x'.repeat(2001)]) {
        const send = (g: number) =>
          fetch(`${s.url}/m/send`, {
            method: 'POST',
            redirect: 'manual',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              cookie: `qun_session=${token[actor]}`,
            },
            body: new URLSearchParams({
              groupId: String(g),
              body,
              cid: `m-${actor}-${body.length}`,
            }).toString(),
          }).then(async (r) => ({ status: r.status, text: await r.text(), json: undefined }));
        const a = await send(G.id);
        const b = await send(FAKE_GROUP);
        const label = `POST /m/send as ${actor} with a ${body.length}-character body`;
        leakCheck(label, actor, a);
        if (a.status !== b.status || a.text !== b.text)
          problems.push(
            `${label}: real → ${a.status} ${a.text.slice(0, 100)} | made-up → ${b.status} ${b.text.slice(0, 100)}`,
          );
      }
      const page = await fetch(`${s.url}/m`, { headers: { cookie: `qun_session=${token[actor]}` } });
      leakCheck(`GET /m as ${actor}`, actor, {
        status: page.status,
        text: await page.text(),
        json: undefined,
      });
    }
    assert.equal(await snapshotG(), initial);
    noProblems('authorization problems');
  });

  test('WebSocket: send, ack, resume and cmd to a group one is not in give no content and no existence hint', async () => {
    const initial = await snapshotG();
    const sockets: RawWs[] = [];
    try {
      for (const actor of ['stranger', 'removed', 'otherGroup'] as Actor[]) {
        const ws = new RawWs(s.url);
        sockets.push(ws);
        const ready = await ws.auth(token[actor]!);
        if (ready.groups.some((g: { g: number }) => g.g === G.id))
          problems.push(`ready for ${actor} lists G`);
        /** Frames that answer one probe, with the probe's own ids blanked so real and made-up can be compared. */
        const probe = async (frame: object) => {
          const from = ws.frames.length;
          // Frames of a socket are handled in order: the pong marks the end of the probe's answers.
          ws.send(frame);
          ws.send({ t: 'ping' });
          await ws.waitFor((f) => f.t === 'pong' && ws.frames.indexOf(f) >= from, 5000, 'pong');
          const answers = ws.frames.splice(from).filter((f) => f.t !== 'pong');
          return JSON.stringify(
            answers.map((f) => ({ ...f, ...(f.cid ? { cid: '*' } : {}), ...(f.rid ? { rid: '*' } : {}) })),
          );
        };
        for (const [name, make] of [
          ['send', (g: number) => ({ t: 'send', g, cid: `c${g}`, body: 'probe' })],
          ['ack', (g: number) => ({ t: 'ack', g, seq: 3 })],
          ['resume', (g: number) => ({ t: 'resume', groups: { [g]: 0 } })],
          ...[
            'LIST',
            'HELP',
            'QUIT',
            `G ${NEVER}`,
            `DEL ${M}`,
            `ADMIN ${M}`,
            'NAME Hijacked',
            'Y',
            'hello probe',
          ].map((text) => [`cmd ${text}`, (g: number) => ({ t: 'cmd', g, rid: `r${g}`, text })] as const),
        ] as const) {
          const real = await probe(make(G.id));
          const fake = await probe(make(FAKE_GROUP));
          for (const x of secretsFor(actor))
            if (real.includes(x)) problems.push(`ws ${name} as ${actor}: leaks "${x}"`);
          if (real !== fake)
            problems.push(`ws ${name} as ${actor}: real group → ${real} | made-up → ${fake}`);
        }
      }
      // A new message in G after all those probes (resume included) reaches none of them.
      await s.api.req('POST', `/v1/groups/${G.id}/messages`, { body: `secret-late-${rnd}` }, tok[O]);
      await s.settle();
      await sleep(300);
      for (const ws of sockets) {
        const seen = ws.frames.filter((f) => f.g === G.id && (f.t === 'msg' || f.t === 'skip'));
        if (seen.length > 0) problems.push(`ws: ${seen.length} frames of G reached an outsider`);
      }
    } finally {
      for (const ws of sockets) ws.close();
    }
    // The probes above must not have changed G: posted, renamed, invited or removed anyone.
    const after = JSON.parse(await snapshotG());
    const was = JSON.parse(initial);
    assert.deepEqual({ ...after, lastSeq: after.lastSeq - 1 }, was, 'G unchanged but for the one message');
    noProblems('WebSocket authorization problems');
  });

  test('SMS: commands from non-members get only the generic reply, the same as for a group that does not exist', async () => {
    const initial = await snapshotG();
    const fakeAddress = `${G.address.slice(0, 7)}0000`; // group numbers start at 1000
    const generic = [
      'You are not in a group at this number.',
      '您不在此号码对应的群中。',
      'Qun: CREATE <name> starts a group. STOP ends all texts, START resumes. HELP shows this.',
      'Qun：发 建群 <群名> 创建群；发 退订 停止所有短信，发 开通 恢复；发 帮助 查看本说明。',
    ];
    const others = [O, M, P, Q];
    const othersBefore = new Map<string, number>();
    for (const p of others) othersBefore.set(p, (await textsAfter(s.api, p)).at(-1)?.id ?? 0);
    // One phone at a time per sender, the three senders at once (their replies do not mix).
    const asSender = async (from: string) => {
      for (const text of [
        'LIST',
        'HELP',
        'QUIT',
        `G ${phone(4301, 9)}`,
        `DEL ${M}`,
        `ADMIN ${M}`,
        'NAME Hijacked',
        'Y',
        'N',
        'hello probe',
        '成员',
      ]) {
        const reply = async (to: string) => {
          const last = (await textsAfter(s.api, from)).at(-1)?.id ?? 0;
          await s.api.sms(from, to, text);
          await s.settle();
          return (await textsAfter(s.api, from, last)).map((t) => t.text);
        };
        const real = await reply(G.address);
        const fake = await reply(fakeAddress);
        const label = `SMS "${text}" from ${from === S ? 'a stranger' : from === R ? 'the removed member' : 'an unknown phone'}`;
        if (JSON.stringify(real) !== JSON.stringify(fake)) problems.push(`${label}: ${real} | ${fake}`);
        if (!real.every((t) => generic.includes(t)))
          problems.push(`${label}: not the generic reply: ${real}`);
      }
    };
    await Promise.all([S, R, NEVER].map(asSender));
    for (const p of others) {
      const got = await textsAfter(s.api, p, othersBefore.get(p));
      if (got.length > 0)
        problems.push(`members were texted because of outsiders: ${p}: ${got.map((t) => t.text)}`);
    }
    assert.equal(await snapshotG(), initial);
    noProblems('SMS authorization problems');
  });

  test('the removed member and the other group’s owner see nothing of G in their own data', async () => {
    for (const actor of ['removed', 'otherGroup', 'stranger'] as Actor[]) {
      for (const p of ['/v1/groups', '/v1/inbox', '/v1/me']) {
        const a = await call('GET', p, { token: token[actor] });
        leakCheck(`${p} as ${actor}`, actor, a);
      }
      const h = await call('GET', `/v1/groups/${H.id}/messages`, { token: token[actor] });
      leakCheck(`H history as ${actor}`, actor, h);
    }
    noProblems('own-data leaks');
  });

  test('announcements: a member’s reply reaches the owner and admins only, on every channel', async () => {
    const [a1, a2, a3] = [phone(4304, 1), phone(4304, 2), phone(4304, 3)]; // plain members
    const t1 = await signIn(s.api, a1);
    const t2 = await signIn(s.api, a2);
    const list = await createGroup(s.api, tok[O]!, `List${rnd}`, '02');
    await addMembers(s.api, tok[O]!, list.id, [a1, a2, a3]);
    await s.settle();
    const a3Before = (await textsAfter(s.api, a3)).at(-1)?.id ?? 0;
    const live = new RawWs(s.url);
    const ownerLive = new RawWs(s.url);
    try {
      await live.auth(t2);
      await ownerLive.auth(tok[O]!);
      const reply = `reply-for-admins-${rnd}`;
      const posted = await s.api.req('POST', `/v1/groups/${list.id}/messages`, { body: reply }, t1);
      assert.equal(posted.status, 201);
      await ownerLive.waitFor((f) => f.t === 'msg' && f.body === reply, 3000, 'the owner gets the reply');
      await live.waitFor(
        (f) => f.t === 'skip' && f.seq === posted.json.seq,
        3000,
        'a skip frame for the member',
      );
      await s.settle();
      if (live.frames.some((f) => JSON.stringify(f).includes(reply)))
        problems.push('live: a plain member got the reply');
      const h = await call('GET', `/v1/groups/${list.id}/messages`, { token: t2 });
      if (h.text.includes(reply)) problems.push('history: a plain member read the reply');
      const inbox = await call('GET', '/v1/inbox', { token: t2 });
      if (inbox.text.includes(reply)) problems.push('inbox: a plain member read the reply');
      const trail = await call('GET', `/v1/messages/${posted.json.id}/trail`, { token: t2 });
      if (trail.status !== 404) problems.push(`trail: a plain member got ${trail.status}`);
      const texts = await textsAfter(s.api, a3, a3Before);
      if (texts.some((t) => t.text.includes(reply)))
        problems.push('sms: a plain member was texted the reply');
    } finally {
      live.close();
      ownerLive.close();
    }
    noProblems('announcement audience leaks');
  });
});
