// The /m page's language choice, the member's time zone and times through Intl, and the marks and counts
// the inbox renders (own, new, texted) in both languages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderInbox } from '../../../src/http/pages/inbox-page.ts';
import { formatInZone, memberZone, pageLang, validZone } from '../../../src/http/pages/page-text.ts';

describe('page language and zone', () => {
  it('takes the switch cookie, else the best Accept-Language we have, else English', () => {
    assert.equal(pageLang(undefined, 'zh-CN,zh;q=0.9,en;q=0.8'), 'zh-CN');
    assert.equal(pageLang(undefined, 'fr;q=1, en-GB;q=0.8, zh;q=0.5'), 'en');
    assert.equal(pageLang(undefined, 'en;q=0.2, zh-TW;q=0.9'), 'zh-CN');
    assert.equal(pageLang(undefined, 'de'), 'en');
    assert.equal(pageLang(undefined, undefined), 'en');
    assert.equal(pageLang('en', 'zh-CN'), 'en');
    assert.equal(pageLang('xx', 'zh-CN'), 'zh-CN');
  });
  it('uses a chosen zone, else the phone country’s usual zone, else UTC', () => {
    assert.equal(memberZone(undefined, '+8613800138000'), 'Asia/Shanghai');
    assert.equal(memberZone(undefined, '+447911123456'), 'Europe/London');
    assert.equal(memberZone('America/New_York', '+8613800138000'), 'America/New_York');
    assert.equal(memberZone('Not/AZone', '+8613800138000'), 'Asia/Shanghai');
    assert.equal(memberZone(undefined, '+15551234567'), 'UTC');
    assert.equal(validZone('Europe/Berlin'), 'Europe/Berlin');
    assert.equal(validZone('x'.repeat(100)), undefined);
  });
  it('renders times in the zone through Intl', () => {
    const at = Date.UTC(2025, 0, 2, 3, 4);
    assert.equal(formatInZone(at, 'UTC'), '2025-01-02 03:04 UTC');
    assert.equal(formatInZone(at, 'Asia/Shanghai'), '2025-01-02 11:04 GMT+8');
    assert.equal(formatInZone(Number.NaN, 'UTC'), undefined);
  });
});

describe('the inbox in Chinese, with marks', () => {
  const html = renderInbox({
    user: { phone: '+8613800000001', name: null },
    lang: 'zh-CN',
    timeZone: 'Asia/Shanghai',
    seen: '7:4',
    refreshSeconds: 30,
    now: Date.UTC(2025, 0, 2, 3, 5),
    groups: [
      {
        id: 7,
        name: '登山队',
        address: '10658017',
        unread: 1,
        messages: [
          { seq: 2, fromName: '我', body: '我的回复', at: 0, mine: true },
          { seq: 3, fromName: '老张', body: '短信收到的', at: 0, viaSms: true },
          { seq: 4, fromName: '老李', body: '新的', at: 0, isNew: true },
        ],
        earlierHref: '/m?g=7&before=2',
      },
    ],
  });
  it('marks own, texted and new messages, and counts the new ones shown', () => {
    assert.match(html, /<html lang="zh-CN">/);
    assert.match(html, /1 条新消息/);
    assert.doesNotMatch(html, /没有新消息/);
    assert.match(html, /class="msg mine"[^>]*>.*你/);
    assert.match(html, /class="msg sms"[^>]*>.*已通过短信发给你/);
    assert.match(html, /class="msg new"[^>]*>.*<strong class="mark new">新<\/strong>/);
    assert.match(html, /href="\/m\?g=7&amp;before=2">更早的消息/);
    assert.match(html, /08:00 GMT\+8/, 'times in the member’s zone');
  });
  it('leaves no English words of the page', () => {
    const visible = html
      .replace(/<[^>]+>/g, ' ')
      .replace(/&[a-z]+;/g, ' ')
      .replace(/\b(Qun|English|UTC|GMT|SMS|Asia\/\w+|Europe\/\w+|America\/\w+)\b/g, '');
    assert.doesNotMatch(visible, /[A-Za-z]{3,}/, visible);
  });
});
