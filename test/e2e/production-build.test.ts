// The production build serves: `npm start` runs dist/main.mjs (scripts/build.ts bundles the sources into
// it), not the TypeScript the other tests run, and what the bundle leaves out (external packages, chunks
// loaded on first use, prebuilt web assets, Node's modules by require) only shows when it runs. This
// builds it (incrementally, as `prestart` does), starts it with npm start's flags, and walks what a
// first user does: a group made by SMS, a sign-in, a live client, a send over HTTP, a refused bad input,
// the pages, the API document, the metrics.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { QunClient } from '../../src/client/qun-client.ts';
import { SERVER_NODE_FLAGS } from '../../src/config/node-flags.ts';
import type { WireMessage } from '../../src/domain/live-protocol.ts';
import { Api, type ChildServer, eventually, ROOT, spawnServer, tempDir } from '../helpers/server.ts';

const OWNER = '+8613600137000';
const MEMBER = '+8613600137001';

describe('the production build (npm start)', () => {
  let server: ChildServer;
  let api: Api;
  before(async () => {
    execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', 'scripts/build.ts'], {
      cwd: ROOT,
      stdio: 'pipe',
    });
    server = await spawnServer(tempDir('qun-build-'), {}, [
      ...SERVER_NODE_FLAGS,
      path.join(ROOT, 'dist/main.mjs'),
    ]);
    api = new Api(server.url);
  });
  after(() => server?.kill('SIGTERM'));

  test('an SMS-made group, a sign-in, a live member and an HTTP send', async () => {
    await api.sms(OWNER, '10658', 'CREATE Build');
    const first = await eventually(async () => (await api.texts(OWNER))[0], 15_000, 'the owner’s text');
    const address = /(1065801\d{4,})/.exec(first.text)?.[1];
    assert.ok(address, `the group's number is in "${first.text}"`);
    await api.sms(OWNER, address, `G ${MEMBER}`);
    await eventually(async () => (await api.texts(MEMBER))[0], 15_000, 'the invitation');
    await api.sms(MEMBER, address, 'Y');
    const settle = () => new Promise<void>((r) => setTimeout(r, 150));
    const ownerToken = await api.signIn(OWNER, settle);
    const memberToken = await api.signIn(MEMBER, settle);
    const groups = await api.req('GET', '/v1/groups', undefined, memberToken);
    assert.equal(groups.status, 200);
    const groupId = groups.json.groups[0].id as number;

    const live = new QunClient({ baseUrl: server.url, token: memberToken });
    const got: WireMessage[] = [];
    live.on('message', (m) => got.push(m));
    try {
      await live.connect();
      const sent = await api.req(
        'POST',
        `/v1/groups/${groupId}/messages`,
        { body: 'from the bundle' },
        ownerToken,
      );
      assert.equal(sent.status, 201, JSON.stringify(sent.json));
      const m = await eventually(
        () => got.find((x) => x.body === 'from the bundle'),
        15_000,
        'the live delivery',
      );
      assert.equal(m.seq, sent.json.seq);
    } finally {
      live.close();
    }
  });

  test('a bad body is refused with the reason, and an unknown path is a JSON 404', async () => {
    const bad = await api.req('POST', '/v1/auth/code', { phone: 12 });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.json), /phone/);
    const missing = await api.req('GET', '/v1/no-such-thing');
    assert.equal(missing.status, 404);
    assert.equal(typeof missing.json, 'object');
  });

  test('the pages, the API document and the metrics are served', async () => {
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    const bundle = /src="(\/assets\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    assert.ok(bundle, 'the page names its prebuilt bundle');
    assert.equal((await fetch(server.url + bundle)).status, 200);
    const spec = await api.req('GET', '/openapi.json');
    assert.equal(spec.status, 200);
    assert.ok(spec.json.paths['/v1/groups/{id}/messages'], 'the document lists the send route');
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^qun_/m);
  });
});
