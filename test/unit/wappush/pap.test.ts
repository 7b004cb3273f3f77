// PAP 2.0 push-message documents: the SI escapes what it carries, only E.164 numbers are addressed, and
// the PPG's answer code is read from response-result or badmessage-response.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { papAddress, pushMessage, readPapResponse, siDocument } from '../../../src/channels/wappush/pap.ts';

const si = {
  href: 'https://q.example/m?a=1&b=2',
  text: '3 new in "A<B>"',
  siId: 'g1@qun',
  created: new Date(0),
};

test('the SI escapes its attributes and text', () => {
  const doc = siDocument(si);
  assert.match(doc, /href="https:\/\/q\.example\/m\?a=1&amp;b=2"/);
  assert.match(doc, />3 new in &quot;A&lt;B&gt;&quot;<\/indication>/);
  assert.match(doc, /created="1970-01-01T00:00:00Z"/);
});

test('only E.164 numbers get a PPG address', () => {
  assert.equal(papAddress('+8613800138000'), 'WAPPUSH=+8613800138000/TYPE=PLMN@ppg.qun');
  for (const bad of ['13800138000', '+86 138', '+0123456', 'x"/><evil']) assert.throws(() => papAddress(bad));
});

test('the message is multipart/related with the PAP control part first', () => {
  const m = pushMessage('p1@qun', '+8613800138000', si);
  const boundary = /boundary=([^;]+);/.exec(m.contentType)![1]!;
  assert.match(m.contentType, /^multipart\/related; boundary=.+; type="application\/xml"$/);
  const parts = m.body.split(`--${boundary}`);
  assert.equal(parts.length, 4, 'preamble, two parts, closing');
  assert.match(
    parts[1]!,
    /^\r\nContent-Type: application\/xml\r\n\r\n<\?xml[\s\S]*<push-message push-id="p1@qun"/,
  );
  assert.match(parts[2]!, /^\r\nContent-Type: text\/vnd\.wap\.si\r\n\r\n<\?xml[\s\S]*<si>/);
  assert.equal(parts[3], '--\r\n');
});

test('PAP answers are read', () => {
  assert.deepEqual(
    readPapResponse(
      '<pap><push-response push-id="x"><response-result code="1001" desc="Accepted"/></push-response></pap>',
    ),
    { code: 1001, desc: 'Accepted' },
  );
  assert.equal(readPapResponse('<pap><badmessage-response code="2000" desc="bad"/></pap>')?.code, 2000);
  assert.equal(readPapResponse('You must show your credentials.'), null);
});
