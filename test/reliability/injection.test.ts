// An injection corpus through every HTTP input, on both store engines: hostile strings must be refused
// with a 4xx or stored verbatim, never crash or execute.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_GROUP_NAME_LENGTH } from '../../src/domain/commands/command.ts';
import { cleanName } from '../../src/domain/names.ts';
import { freshDatabase, postgresInstalled } from '../helpers/postgres.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { closeServer, createGroup, history, phone } from '../helpers/workload.ts';

const CORPUS: Record<string, string> = {
  sqlOr: "' OR 1=1 --",
  sqlDrop: "'; DROP TABLE messages; --",
  sqlQuote: '" OR ""="',
  sqlStacked: '1; SELECT * FROM users',
  protoJson: '{"__proto__":{"x":1}}',
  constructor: 'constructor',
  proto: '__proto__',
  xss: '<script>alert(1)</script>',
  crlf: 'a\r\nSet-Cookie: x=1',
  nul: 'a\u0000b',
  bidi: 'abc\u202Edef',
  long: 'x'.repeat(100_000),
};
// Overlong and invalid UTF-8 (an overlong '/', a lone surrogate, 0xFF) inside a JSON string.
const BAD_UTF8 = Buffer.concat([
  Buffer.from('"'),
  Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xff]),
  Buffer.from('"'),
]);

let s: TestServer;
let owner: string;
let member: string;
let groupId: number;
const OWNER = phone(4377, 0);
const MEMBER = phone(4377, 1);
const served: string[] = [];

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
type Answer = { status: number; json: any };

/** One request with a raw body; every answer is logged so a 5xx names its input. */
async function raw(
  method: string,
  path: string,
  body?: string | Buffer,
  o: { token?: string; type?: string } = {},
): Promise<Answer> {
  const res = await fetch(s.url + path, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': o.type ?? 'application/json' } : {}),
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
    },
    body: body === undefined || typeof body === 'string' ? body : new Uint8Array(body),
  });
  const text = await res.text();
  served.push(`${res.status} ${method} ${path.slice(0, 80)} ${String(body ?? '').slice(0, 60)}`);
  assert.ok(
    res.status < 500,
    `${method} ${path.slice(0, 120)} answered ${res.status}: ${text.slice(0, 300)}`,
  );
  let json: Answer['json'];
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, json };
}
const req = (method: string, path: string, body: unknown, token?: string) =>
  raw(method, path, body === undefined ? undefined : JSON.stringify(body), { token });

function corpusAgainst(engine: 'sqlite' | 'postgres'): void {
  before(async () => {
    const store: Record<string, string> =
      engine === 'postgres' ? { QUN_DATABASE_URL: await freshDatabase() } : {};
    s = await startTestServer({ QUN_SIGNIN_CODES_PER_ADDRESS_PER_HOUR: '1000', ...store });
    owner = await s.api.signIn(OWNER, () => s.settle());
    member = await s.api.signIn(MEMBER, () => s.settle());
    groupId = (await createGroup(s.api, owner, 'Injection')).id;
    const inv = await req('POST', `/v1/groups/${groupId}/invitations`, { phones: [MEMBER] }, owner);
    assert.equal(inv.status, 200);
  });

  after(async () => {
    await closeServer(s);
  });

  test('group names, display names and message bodies: 4xx or stored verbatim', async () => {
    const stored: string[] = [];
    for (const [label, x] of Object.entries(CORPUS)) {
      // Names are cleaned by design (src/domain/names.ts drops control/bidi characters): the stored name
      // must be exactly the cleaned input, so any other change would be SQL or encoding damage.
      const g = await req('POST', '/v1/groups', { name: x }, owner);
      if (g.status === 201) {
        const back = await req('GET', `/v1/groups/${g.json.id}`, undefined, owner);
        assert.equal(back.json.name, cleanName(x, MAX_GROUP_NAME_LENGTH), `group name ${label} read back`);
      }
      const p = await req('PATCH', `/v1/groups/${groupId}`, { name: x }, owner);
      if (p.status === 200) {
        const back = await req('GET', `/v1/groups/${groupId}`, undefined, owner);
        assert.equal(back.json.name, cleanName(x, MAX_GROUP_NAME_LENGTH), `renamed ${label} read back`);
      }
      const me = await req('PATCH', '/v1/me', { name: x }, member);
      if (me.status === 200) {
        assert.equal(
          (await req('GET', '/v1/me', undefined, member)).json.name,
          cleanName(x),
          `name ${label}`,
        );
      }

      const m = await req(
        'POST',
        `/v1/groups/${groupId}/messages`,
        { body: x, clientMsgId: `inj-${label}` },
        owner,
      );
      if (label === 'nul') {
        // No engine stores a NUL, so both refuse it the same way rather than one of them failing.
        assert.equal(m.status, 400);
        assert.equal(m.json.error.code, 'invalid_characters');
      }
      if (m.status === 201) {
        stored.push(label);
        const msgs = await history(s.api, owner, groupId);
        assert.equal(msgs.find((r) => r.seq === m.json.seq)?.body, x, `message ${label} read back`);
      }
    }
    // The verbatim check must not pass vacuously: SQL-looking bodies are ordinary text and are accepted.
    for (const l of ['sqlOr', 'sqlDrop', 'sqlQuote', 'sqlStacked', 'xss'])
      assert.ok(stored.includes(l), `${l} stored`);
  });

  test('phone fields, path params, query strings and the SMS simulator', async () => {
    for (const x of Object.values(CORPUS)) {
      await req('POST', '/v1/auth/code', { phone: x }, undefined);
      await req('POST', '/v1/auth/token', { phone: x, code: x }, undefined);
      await req('POST', `/v1/groups/${groupId}/invitations`, { phones: [x] }, owner);
      await req('POST', `/v1/groups/${groupId}/removals`, { phone: x }, owner);
      const e = encodeURIComponent(x);
      await req('GET', `/v1/groups/${e}/messages`, undefined, owner);
      await req('POST', `/v1/groups/${e}/messages`, { body: 'hi' }, owner);
      await req('GET', `/v1/messages/${e}/trail`, undefined, owner);
      await req('GET', `/v1/groups/${groupId}/messages?after=${e}`, undefined, owner);
      await req('GET', `/m?seen=${e}`, undefined, owner);
      await req('GET', `/v1/inbox?seen=${e}`, undefined, member);
      await req('POST', '/v1/sim/sms', { from: x, to: '10658', text: 'HELP' });
      await req('POST', '/v1/sim/sms', { from: phone(4377, 9), to: x, text: 'hi' });
      await req('POST', '/v1/sim/sms', { from: MEMBER, to: '10658', text: x });
    }
  });

  test('raw malformed bodies, wrong content-types and nested prototype keys', async () => {
    const bodies: (string | Buffer)[] = [
      '{"__proto__":{"x":1}}',
      '{"constructor":{"prototype":{"x":1}}}',
      '{"name":"n","__proto__":{"x":1}}',
      '{"body":"b","constructor":{"prototype":{"x":1}}}',
      '{"phones":[],"__proto__":{"x":1}}',
      '{',
      '{"name":',
      '[]',
      'null',
      '"str"',
      '{"name":1e999}',
      '\u0000',
      Buffer.concat([Buffer.from('{"name":'), BAD_UTF8, Buffer.from('}')]),
      Buffer.concat([Buffer.from('{"body":'), BAD_UTF8, Buffer.from('}')]),
      Buffer.from([0xff, 0xfe, 0x7b, 0x00]),
      `{"name":"${'['.repeat(5000)}"}`,
      '['.repeat(10_000),
    ];
    const targets: [string, string, string | undefined][] = [
      ['POST', '/v1/groups', owner],
      ['PATCH', `/v1/groups/${groupId}`, owner],
      ['PATCH', '/v1/me', member],
      ['POST', `/v1/groups/${groupId}/messages`, owner],
      ['POST', `/v1/groups/${groupId}/invitations`, owner],
      ['POST', '/v1/auth/code', undefined],
      ['POST', '/v1/sim/sms', undefined],
    ];
    for (const [method, path, token] of targets) {
      for (const b of bodies) await raw(method, path, b, { token });
      for (const type of [
        'text/plain',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data',
        'application/json; charset=utf-16',
        '',
      ]) {
        await raw(method, path, '{"name":"n","body":"b"}', { token, type });
      }
    }
    assert.equal(({} as Record<string, unknown>)['x'], undefined, 'Object.prototype polluted');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype polluted');
  });

  test('afterwards: the server is up and the tables are intact', async () => {
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    const body = "after the corpus: ' OR 1=1 --";
    const m = await req('POST', `/v1/groups/${groupId}/messages`, { body }, member);
    assert.equal(m.status, 201, JSON.stringify(m.json));
    const msgs = await history(s.api, member, groupId);
    assert.equal(msgs.at(-1)?.body, body);
    assert.equal(Object.hasOwn(Object.prototype, 'x'), false);
  });
}

describe('on SQLite', () => corpusAgainst('sqlite'));
if (postgresInstalled('injection corpus on PostgreSQL')) {
  describe('on PostgreSQL', () => corpusAgainst('postgres'));
}
