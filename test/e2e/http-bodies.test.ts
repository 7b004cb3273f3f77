// Request bodies and headers as RFC 8259 / RFC 9110 say: invalid UTF-8 in JSON is refused (never stored
// with U+FFFD), a body that is not JSON gets the documented 415, and the auth scheme is case-insensitive.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';

describe('request bodies and headers', () => {
  let s: TestServer;
  let token = '';
  let groupId = 0;
  before(async () => {
    s = await startTestServer();
    token = await s.api.signIn('+8613500135100', () => s.settle());
    groupId = (await s.api.req('POST', '/v1/groups', { name: 'Bodies' }, token)).json.id;
  });
  after(() => s.close());

  const post = (body: Uint8Array | string, contentType: string, auth = `Bearer ${token}`) =>
    fetch(`${s.url}/v1/groups/${groupId}/messages`, {
      method: 'POST',
      headers: { 'content-type': contentType, authorization: auth },
      body: typeof body === 'string' ? body : new Blob([new Uint8Array(body)]),
    });

  test('invalid UTF-8 inside a JSON string is refused with 400 and stores nothing', async () => {
    // "caf\xC3" + "(": a lead byte without its continuation byte.
    const bad = Buffer.concat([Buffer.from('{"body":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const res = await post(bad, 'application/json');
    assert.equal(res.status, 400);
    const json = (await res.json()) as { error: { code: string } };
    assert.equal(json.error.code, 'invalid_utf8');
    const history = await s.api.req('GET', `/v1/groups/${groupId}/messages`, undefined, token);
    assert.equal(history.json.messages.length, 0, 'nothing stored');
  });

  test('valid UTF-8 (Chinese, emoji) is stored as sent', async () => {
    const res = await post(
      Buffer.from(JSON.stringify({ body: '集合 🚩' })),
      'application/json; charset=utf-8',
    );
    assert.equal(res.status, 201);
    const history = await s.api.req('GET', `/v1/groups/${groupId}/messages`, undefined, token);
    assert.equal(history.json.messages.at(-1).body, '集合 🚩');
  });

  test('a body that is not JSON gets 415 unsupported_media_type', async () => {
    for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
      const res = await post('body=hi', type);
      assert.equal(res.status, 415, type);
      const json = (await res.json()) as { error: { code: string } };
      assert.equal(json.error.code, 'unsupported_media_type', type);
    }
  });

  test('the Bearer scheme is case-insensitive (RFC 9110 section 11.1)', async () => {
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const res = await post(
        JSON.stringify({ body: `via ${scheme}` }),
        'application/json',
        `${scheme} ${token}`,
      );
      assert.equal(res.status, 201, scheme);
    }
    const wrong = await post(JSON.stringify({ body: 'basic' }), 'application/json', `Basic ${token}`);
    assert.equal(wrong.status, 401);
  });
});
