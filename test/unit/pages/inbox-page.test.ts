// Tests for the /m page renderers: escaping (including a property over arbitrary text), the auto-refresh,
// and that every form posts where the server listens.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  escapeHtml,
  type InboxView,
  renderInbox,
  renderSignIn,
  renderTime,
} from '../../../src/http/pages/inbox-page.ts';

const view = (over: Partial<InboxView> = {}): InboxView => ({
  seen: '7:3',
  user: { phone: '+8613800000001', name: 'Li' },
  groups: [
    {
      id: 7,
      name: 'Hikers',
      address: '1065900001234',
      unread: 2,
      messages: [
        { seq: 12, fromName: 'Wang', body: 'second', at: Date.UTC(2025, 0, 2, 3, 4) },
        { seq: 11, fromName: 'Zhao', body: 'first', at: Date.UTC(2025, 0, 2, 3, 1) },
      ],
    },
  ],
  refreshSeconds: 30,
  now: Date.UTC(2025, 0, 2, 3, 5),
  ...over,
});

/** The script tags the page carries on purpose (push.js). */
const OWN_SCRIPTS = (renderInbox(view({ groups: [] })).match(/<script/gi) ?? []).length;

const forms = (html: string) => [...html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/g)].map((m) => m[0]);
const fieldNames = (form: string) => [...form.matchAll(/\bname="([^"]+)"/g)].map((m) => m[1]);

describe('escapeHtml', () => {
  it('escapes markup, quotes and ampersands', () => {
    assert.equal(escapeHtml('<script>alert(1)</script>'), '&lt;script&gt;alert(1)&lt;/script&gt;');
    assert.equal(escapeHtml(`"double" 'single'`), '&quot;double&quot; &#39;single&#39;');
    assert.equal(escapeHtml('a & b &amp;'), 'a &amp; b &amp;amp;');
    assert.equal(escapeHtml(42), '42');
    assert.equal(escapeHtml(null), '');
  });

  it('property: the output has no raw markup characters and decodes back to the input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const e = escapeHtml(s);
        assert.ok(!/[<>"']/.test(e));
        const decoded = e
          .replaceAll('&lt;', '<')
          .replaceAll('&gt;', '>')
          .replaceAll('&quot;', '"')
          .replaceAll('&#39;', "'")
          .replaceAll('&amp;', '&');
        assert.equal(decoded, s);
      }),
    );
  });
});

describe('renderInbox', () => {
  it('carries exactly one script of its own: push.js, loaded from a file', () => {
    assert.equal(OWN_SCRIPTS, 1);
    assert.match(renderInbox(view()), /<script src="\/assets\/push\.js" type="module"><\/script>/);
  });

  it('auto-refreshes with a meta refresh and offers a Refresh link', () => {
    const html = renderInbox(view({ refreshSeconds: 45 }));
    assert.match(html, /<meta http-equiv="refresh" content="45;url=\/m\?seen=7:3">/);
    assert.match(html, /data-refresh="45"/);
    assert.match(html, /<a class="button" id="refresh" href="\/m\?seen=7:3">Refresh<\/a>/);
  });

  it('lists the messages oldest first with UTC times', () => {
    const html = renderInbox(view());
    assert.ok(html.indexOf('first') < html.indexOf('second'));
    assert.match(html, /<time datetime="2025-01-02T03:01:00.000Z">2025-01-02 03:01 UTC<\/time>/);
    assert.match(html, /2 new/);
    assert.match(html, /Signed in as <bdi>Li<\/bdi> \(\+8613800000001\)/);
  });

  it('has a reply form per group with groupId, body and a fresh cid, and a sign-out form', () => {
    const html = renderInbox(view());
    const fs = forms(html);
    const reply = fs.filter((f) => f.includes('action="/m/send"'));
    assert.equal(reply.length, 1);
    assert.match(reply[0]!, /method="post"/);
    assert.deepEqual(fieldNames(reply[0]!).sort(), ['body', 'cid', 'groupId', 'seen']);
    assert.match(reply[0]!, /name="groupId" value="7"/);
    const cid = /name="cid" value="([^"]+)"/.exec(reply[0]!)![1]!;
    assert.match(cid, /^[0-9a-f-]{36}$/);
    assert.notEqual(/name="cid" value="([^"]+)"/.exec(renderInbox(view()))![1], cid, 'a new cid per render');
    assert.ok(fs.some((f) => /action="\/m\/signout"/.test(f) && /method="post"/.test(f)));
  });

  it('has the Enable reminders button, hidden until push.js shows it', () => {
    assert.match(
      renderInbox(view()),
      /<button type="button" id="enable-reminders" hidden>Enable reminders<\/button>/,
    );
  });

  it('says so when there are no groups, and renders a user without a name', () => {
    const html = renderInbox(view({ groups: [], user: { phone: '+8613800000002', name: null } }));
    assert.match(html, /no groups yet/);
    assert.match(html, /Signed in as \+8613800000002/);
  });

  it('property: no text from users can open a script element or break out of an attribute', () => {
    const text = fc.oneof(
      fc.string(),
      fc.constantFrom('<script>alert(1)</script>', '<SCRIPT SRC=//x>', '"><script>', "'><img onerror=x>"),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            name: text,
            address: text,
            messages: fc.array(fc.record({ fromName: text, body: text }), { maxLength: 3 }),
          }),
          { maxLength: 3 },
        ),
        text,
        text,
        (groups, userName, phone) => {
          const html = renderInbox(
            view({
              user: { phone, name: userName },
              groups: groups.map((g, i) => ({
                id: i + 1,
                name: g.name,
                address: g.address,
                unread: g.messages.length,
                messages: g.messages.map((m, j) => ({
                  seq: j + 1,
                  fromName: m.fromName,
                  body: m.body,
                  at: 0,
                })),
              })),
            }),
          );
          assert.equal((html.match(/<script/gi) ?? []).length, OWN_SCRIPTS);
          assert.ok(!/<img/i.test(html));
          // the page's own markup is intact: as many tags opened as a page without user text has
          // one reply form per group, plus the time-zone and sign-out forms
          assert.equal((html.match(/<form\b/g) ?? []).length, groups.length + 2);
          assert.equal((html.match(/<textarea\b/g) ?? []).length, groups.length);
        },
      ),
    );
  });
});

describe('renderSignIn', () => {
  it('has a code form posting phone to /m/code and a sign-in form posting phone and code to /m/signin', () => {
    const fs = forms(renderSignIn());
    const code = fs.find((f) => f.includes('action="/m/code"'));
    const signin = fs.find((f) => f.includes('action="/m/signin"'));
    assert.ok(code && signin);
    assert.match(code, /method="post"/);
    assert.match(signin, /method="post"/);
    assert.deepEqual(fieldNames(code), ['phone']);
    assert.deepEqual(fieldNames(signin).sort(), ['code', 'phone']);
  });

  it('puts the code form first once a code was sent, and keeps the phone', () => {
    const html = renderSignIn({ codeSent: true, phone: '+8613800000001' });
    assert.ok(html.indexOf('action="/m/signin"') < html.indexOf('action="/m/code"'));
    assert.match(html, /name="phone" value="\+8613800000001"/);
    assert.match(html, /We texted a code/);
  });

  it('escapes the error and the phone', () => {
    const html = renderSignIn({ error: '<script>x</script>', phone: '"><script>' });
    assert.equal((html.match(/<script/gi) ?? []).length, 0);
    assert.match(html, /role="alert">&lt;script&gt;x&lt;\/script&gt;/);
    assert.match(html, /value="&quot;&gt;&lt;script&gt;"/);
  });

  it('has no inline scripts or event handlers', () => {
    for (const html of [renderSignIn({ codeSent: true, error: 'e' }), renderInbox(view())]) {
      assert.ok(!/<script(?![^>]*\bsrc=)/i.test(html));
      assert.ok(!/\son[a-z]+=/i.test(html));
      assert.ok(!/style=/i.test(html));
    }
  });
});

describe('renderTime', () => {
  it('renders YYYY-MM-DD HH:MM in UTC, and nothing for an invalid time', () => {
    assert.equal(
      renderTime(Date.UTC(2024, 11, 31, 23, 59, 30)),
      '<time datetime="2024-12-31T23:59:30.000Z">2024-12-31 23:59 UTC</time>',
    );
    assert.equal(
      renderTime('2024-02-29T08:00:00Z'),
      '<time datetime="2024-02-29T08:00:00.000Z">2024-02-29 08:00 UTC</time>',
    );
    assert.equal(renderTime(Number.NaN), '');
  });
});

describe('renderInbox cursor', () => {
  it('sends the cursor back with the refresh (meta and link) and with replies, so arrival is confirmed', () => {
    const html = renderInbox(view({ seen: '7:3,9:12' }));
    assert.match(html, /<meta http-equiv="refresh" content="\d+;url=\/m\?seen=7:3,9:12">/);
    assert.match(html, /id="refresh" href="\/m\?seen=7:3,9:12"/);
    assert.match(html, /<input type="hidden" name="seen" value="7:3,9:12">/);
    assert.match(html, /data-refresh-url="\/m\?seen=7:3,9:12"/);
  });
});
