// The digest text: every message in order within the segment cap, GSM-7 wherever the messages allow.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digest, digestText } from '../../../src/domain/digest.ts';
import { analyze } from '../../../src/domain/sms/segments.ts';

const limits = { maxSegments: 3, inboxUrl: 'http://q.example/m', smartSubstitution: true };
const items = [
  { sender: 'Ann', body: 'Bus at 8' },
  { sender: 'Bo', body: 'Bring water' },
];

test('a digest names the count and group and carries each message in order', () => {
  assert.equal(
    digestText({ groupName: 'Hiking club', items, lang: 'en' }, limits),
    '2 new in Hiking club - Ann: Bus at 8; Bo: Bring water',
  );
});

test('Latin messages to a Chinese reader stay GSM-7; Chinese messages get the Chinese framing', () => {
  assert.equal(analyze(digestText({ groupName: 'Hiking club', items, lang: 'zh' }, limits)).encoding, 'gsm7');
  const zh = digestText(
    { groupName: '徒步', items: [{ sender: '安', body: '八点集合' }], lang: 'zh' },
    limits,
  );
  assert.equal(zh, '「徒步」1条新消息：安：八点集合');
});

test('a long digest is cut to the segment cap with the inbox link', () => {
  const many = Array.from({ length: 30 }, (_, i) => ({ sender: `M${i}`, body: 'x'.repeat(40) }));
  const t = digestText({ groupName: 'Hiking club', items: many, lang: 'en' }, limits);
  assert.ok(analyze(t).segments <= 3);
  assert.ok(t.endsWith(' ... http://q.example/m'));
});

test('the digest says how many messages it carries whole; the rest are left to the inbox', () => {
  const many = Array.from({ length: 30 }, (_, i) => ({ sender: `M${i}`, body: 'x'.repeat(40) }));
  const d = digest({ groupName: 'Hiking club', items: many, lang: 'en' }, limits);
  assert.ok(d.whole > 1 && d.whole < 30, String(d.whole));
  for (let i = 0; i < d.whole; i++) assert.ok(d.text.includes(`M${i}: ${'x'.repeat(40)}`), `M${i} whole`);
  assert.equal(digest({ groupName: 'Hiking club', items, lang: 'en' }, limits).whole, 2);
});
