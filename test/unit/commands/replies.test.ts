// Tests for the reply catalogue: every kind in both languages, names and addresses present, SMS-friendly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SegmentedMessage } from 'sms-segments-calculator';
import type { Lang } from '../../../src/domain/commands/command.ts';
import type { Reply, ReplyKind } from '../../../src/domain/commands/replies.ts';
import { reply } from '../../../src/domain/commands/replies.ts';

const GROUP = 'Hiking Club';
const ADDRESS = '+15550001111';
const PHONE = '+15550002222';
const LANGS: Lang[] = ['en', 'zh'];

// One sample per kind; the mapped type makes forgetting a new kind a compile error.
const SAMPLES: { [K in ReplyKind]: Extract<Reply, { kind: K }> } = {
  created: { kind: 'created', group: GROUP, address: ADDRESS },
  help_service: { kind: 'help_service' },
  help_group: { kind: 'help_group', group: GROUP, address: ADDRESS },
  invitation: { kind: 'invitation', group: GROUP, inviter: PHONE, address: ADDRESS },
  added: { kind: 'added', group: GROUP, inviter: PHONE, address: ADDRESS },
  invite_report: {
    kind: 'invite_report',
    group: GROUP,
    invited: ['+15550000001'],
    added: ['+15550000002'],
    already: ['+15550000003'],
    invalid: ['12'],
    refused_cap: ['+15550000004'],
    opted_out: ['+15550000005'],
    // Kept empty here so the all-lists sample stays within two parts; rendered in its own test below.
    not_allowed: [],
    cap: 100,
  },
  joined: { kind: 'joined', group: GROUP, address: ADDRESS },
  declined: { kind: 'declined', group: GROUP },
  no_invitation: { kind: 'no_invitation' },
  removed: { kind: 'removed', group: GROUP, phone: PHONE },
  removed_notice: { kind: 'removed_notice', group: GROUP },
  not_member_phone: { kind: 'not_member_phone', phone: PHONE },
  admin_granted: { kind: 'admin_granted', group: GROUP, phone: PHONE },
  admin_notice: { kind: 'admin_notice', group: GROUP },
  left: { kind: 'left', group: GROUP },
  owner_notice: { kind: 'owner_notice', group: GROUP },
  members: {
    kind: 'members',
    group: GROUP,
    members: [
      { phone: '+15550000001', role: 'owner' },
      { phone: '+15550000002', role: 'admin' },
      { phone: '+15550000003', role: 'member' },
    ],
    total: 3,
  },
  renamed: { kind: 'renamed', old: 'Old Name', name: GROUP },
  not_allowed: { kind: 'not_allowed', group: GROUP, need: 'admin' },
  no_such_group: { kind: 'no_such_group' },
  unknown_command: { kind: 'unknown_command' },
  unknown_app: { kind: 'unknown_app', app: 'chess' },
  too_long: { kind: 'too_long', max: 1600 },
  invalid_name: { kind: 'invalid_name', reason: 'missing_name' },
  invalid_phone: { kind: 'invalid_phone', input: '12ab' },
  stopped: { kind: 'stopped' },
  started: { kind: 'started' },
  announce_only_admins: { kind: 'announce_only_admins', group: GROUP },
  signin_code: { kind: 'signin_code', code: '482913', minutes: 10 },
  reminder: { kind: 'reminder', group: GROUP, count: 3, url: 'https://qun.example/i/abc' },
  confirm_needed: {
    kind: 'confirm_needed',
    group: GROUP,
    code: '4821',
    action: 'remove +15550002222',
    minutes: 5,
  },
  confirm_failed: { kind: 'confirm_failed', group: GROUP },
  confirm_locked: { kind: 'confirm_locked', group: GROUP, minutes: 60 },
  create_limit: { kind: 'create_limit', max: 10 },
  group_full: { kind: 'group_full', group: GROUP, cap: 500 },
  media_not_carried: { kind: 'media_not_carried', textSent: true },
  prefs_set: {
    kind: 'prefs_set',
    group: GROUP,
    setting: { what: 'quiet', start: 22, end: 7, zone: 'Asia/Shanghai' },
  },
  invalid_quiet: { kind: 'invalid_quiet' },
  budget_spent: { kind: 'budget_spent', group: GROUP, period: 'day' },
};
const ALL: Reply[] = Object.values(SAMPLES);
// Replies the recipient must answer, or that tell them where to post: they must name the address.
const NAMES_ADDRESS: ReplyKind[] = ['created', 'help_group', 'invitation', 'added', 'joined'];

const segments = (text: string): SegmentedMessage => new SegmentedMessage(text);

describe('every reply kind', () => {
  for (const r of ALL) {
    for (const lang of LANGS) {
      it(`${r.kind} renders in ${lang}`, () => {
        const text = reply(lang, r);
        assert.ok(text.trim().length > 0);
        for (const bad of ['undefined', '[object', 'NaN', 'null']) assert.ok(!text.includes(bad), text);
        if ('group' in r) assert.ok(text.includes(r.group), `${r.kind} must name the group: ${text}`);
        if (NAMES_ADDRESS.includes(r.kind) && 'address' in r) assert.ok(text.includes(r.address), text);
      });
    }
  }

  it('differs between the languages', () => {
    for (const r of ALL) assert.notEqual(reply('en', r), reply('zh', r), r.kind);
  });

  it('keeps English in GSM-7 and short, so each costs little', () => {
    for (const r of ALL) {
      const s = segments(reply('en', r));
      assert.equal(s.encodingName, 'GSM-7', `${r.kind}: ${reply('en', r)}`);
      assert.ok(s.segmentsCount <= (r.kind === 'help_group' || r.kind === 'invite_report' ? 2 : 1), r.kind);
    }
  });

  it('keeps Chinese within two UCS-2 parts', () => {
    for (const r of ALL) assert.ok(segments(reply('zh', r)).segmentsCount <= 2, r.kind);
  });
});

describe('specific replies', () => {
  it('created says how to invite', () => {
    assert.match(reply('en', SAMPLES.created), /G <phone>/);
    assert.match(reply('zh', SAMPLES.created), /邀请 <手机号>/);
  });

  it('invitation says Y to join and N to decline', () => {
    const en = reply('en', SAMPLES.invitation);
    assert.match(en, /\bY\b/);
    assert.match(en, /\bN\b/);
    assert.ok(en.includes(PHONE));
    assert.match(reply('zh', SAMPLES.invitation), /回复 Y/);
  });

  it('added mentions QUIT and STOP', () => {
    assert.match(reply('en', SAMPLES.added), /QUIT.*STOP/);
    assert.match(reply('zh', SAMPLES.added), /退出.*退订/);
  });

  it('stopped says how to resume, started how to stop', () => {
    assert.match(reply('en', { kind: 'stopped' }), /START/);
    assert.match(reply('zh', { kind: 'stopped' }), /开通/);
    assert.match(reply('en', { kind: 'started' }), /STOP/);
    assert.match(reply('zh', { kind: 'started' }), /退订/);
  });

  it('invite_report lists only non-empty outcomes', () => {
    const r: Reply = {
      ...SAMPLES.invite_report,
      added: [],
      already: [],
      invalid: [],
      refused_cap: [],
      opted_out: [],
      not_allowed: [],
    };
    const en = reply('en', r);
    assert.ok(en.includes('+15550000001'));
    assert.ok(!/Added|Already|Invalid|full|Opted|Not texted/.test(en), en);
    const zh = reply('zh', r);
    assert.ok(!/已加入|已在群中|无效|已满|退订|高资费/.test(zh), zh);
    const all = reply('en', SAMPLES.invite_report);
    assert.match(all, /max 100/);
    for (const p of ['+15550000002', '+15550000003', '12', '+15550000004', '+15550000005'])
      assert.ok(all.includes(p));
    const refused: Reply = { ...r, not_allowed: ['+19005550123'] };
    assert.match(reply('en', refused), /Not texted \(premium, satellite or other region\): \+19005550123/);
    assert.match(reply('zh', refused), /不支持的号码 \+19005550123/);
    assert.equal(segments(reply('en', refused)).encodingName, 'GSM-7');
    const none: Reply = { ...r, invited: [] };
    for (const lang of LANGS) assert.ok(reply(lang, none).includes(GROUP));
  });

  it('invite_report tells a daily invitation limit apart from a full group', () => {
    const r: Reply = { ...SAMPLES.invite_report, refused_cap: [], rate_limited: ['+15550000009'] };
    const en = reply('en', r);
    assert.match(en, /daily invitation limit\): \+15550000009/);
    assert.ok(!/full/.test(en), en);
    const zh = reply('zh', r);
    assert.match(zh, /今日邀请已达上限 \+15550000009/);
    assert.ok(!/已满/.test(zh), zh);
  });

  it('members lists roles and cuts long lists at 20', () => {
    assert.match(
      reply('en', SAMPLES.members),
      /\+15550000001 \(owner\), \+15550000002 \(admin\), \+15550000003$/,
    );
    assert.match(reply('zh', SAMPLES.members), /群主.*管理员/);
    const many = Array.from({ length: 25 }, (_, i) => ({
      phone: `+1555000${String(i).padStart(4, '0')}`,
      role: 'member' as const,
    }));
    const en = reply('en', { kind: 'members', group: GROUP, members: many, total: 25 });
    assert.ok(en.includes('+15550000019'));
    assert.ok(!en.includes('+15550000020'));
    assert.match(en, /\+5 more$/);
    assert.match(reply('zh', { kind: 'members', group: GROUP, members: many, total: 25 }), /另有 5 人$/);
    // The caller may pass only a page of members; the remainder still counts.
    assert.match(
      reply('en', { kind: 'members', group: GROUP, members: many.slice(0, 20), total: 300 }),
      /\+280 more$/,
    );
  });

  it('renamed names both the old and the new name', () => {
    for (const lang of LANGS) {
      const text = reply(lang, SAMPLES.renamed);
      assert.ok(text.includes('Old Name') && text.includes(GROUP));
    }
  });

  it('not_allowed says who may do it', () => {
    assert.match(reply('en', { kind: 'not_allowed', group: GROUP, need: 'owner' }), /owner/);
    assert.match(reply('en', { kind: 'not_allowed', group: GROUP, need: 'admin' }), /admins/);
    assert.match(reply('zh', { kind: 'not_allowed', group: GROUP, need: 'owner' }), /群主/);
    assert.match(reply('zh', { kind: 'not_allowed', group: GROUP, need: 'admin' }), /管理员/);
  });

  it('no_such_group reveals nothing about the input', () => {
    for (const lang of LANGS) {
      const plain = reply(lang, { kind: 'no_such_group' });
      const probing = { kind: 'no_such_group', group: 'Secret', address: '+15559999999' } as unknown as Reply;
      assert.equal(reply(lang, probing), plain);
      assert.ok(!plain.includes('Secret'));
    }
  });

  it('invalid_name explains both reasons', () => {
    assert.notEqual(
      reply('en', { kind: 'invalid_name', reason: 'missing_name' }),
      reply('en', { kind: 'invalid_name', reason: 'name_too_long' }),
    );
    assert.match(reply('en', { kind: 'invalid_name', reason: 'name_too_long' }), /40/);
    assert.match(reply('zh', { kind: 'invalid_name', reason: 'name_too_long' }), /40/);
  });

  it('clips echoed input so junk cannot make a long SMS', () => {
    const junk = 'x'.repeat(500);
    for (const lang of LANGS) {
      assert.ok(reply(lang, { kind: 'invalid_phone', input: junk }).length < 80);
      assert.ok(reply(lang, { kind: 'unknown_app', app: junk }).length < 80);
    }
  });

  it('reminder counts messages', () => {
    assert.match(reply('en', { ...SAMPLES.reminder, count: 1 }), /^1 new message in/);
    assert.match(reply('en', SAMPLES.reminder), /^3 new messages in/);
    assert.ok(reply('zh', SAMPLES.reminder).includes(SAMPLES.reminder.url));
  });

  it('signin_code shows the code and its lifetime', () => {
    for (const lang of LANGS) {
      const text = reply(lang, SAMPLES.signin_code);
      assert.ok(text.includes('482913') && text.includes('10'));
    }
  });

  it('uses Chinese group quotes in Chinese', () => {
    assert.ok(reply('zh', SAMPLES.left).includes(`「${GROUP}」`));
  });
});
