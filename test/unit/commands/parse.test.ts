// Tests for parseCommand: every command in both languages, the message-vs-command ambiguities, and fuzzing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Destination, ParsedCommand } from '../../../src/domain/commands/command.ts';
import { MAX_GROUP_NAME_LENGTH } from '../../../src/domain/commands/command.ts';
import { parseCommand } from '../../../src/domain/commands/parse.ts';

const group = (text: string): ParsedCommand => parseCommand(text, 'group');
const service = (text: string): ParsedCommand => parseCommand(text, 'service');
const msg = (text: string, lang: 'en' | 'zh' = 'en'): ParsedCommand => ({ kind: 'message', text, lang });
const unknown = (text: string, lang: 'en' | 'zh' = 'en'): ParsedCommand => ({ kind: 'unknown', text, lang });

describe('whole-text commands', () => {
  const cases: [string, ParsedCommand['kind'], 'en' | 'zh'][] = [
    ['Y', 'accept', 'en'],
    ['y', 'accept', 'en'],
    ['JOIN', 'accept', 'en'],
    ['Join', 'accept', 'en'],
    ['是', 'accept', 'zh'],
    ['N', 'decline', 'en'],
    ['n', 'decline', 'en'],
    ['DECLINE', 'decline', 'en'],
    ['decline', 'decline', 'en'],
    ['否', 'decline', 'zh'],
    ['QUIT', 'quit', 'en'],
    ['quit', 'quit', 'en'],
    ['退出', 'quit', 'zh'],
    ['LIST', 'list', 'en'],
    ['List', 'list', 'en'],
    ['成员', 'list', 'zh'],
    ['HELP', 'help', 'en'],
    ['help', 'help', 'en'],
    ['帮助', 'help', 'zh'],
    ['?', 'help', 'en'],
    ['？', 'help', 'zh'],
    ['STOP', 'stop', 'en'],
    ['Stop', 'stop', 'en'],
    ['UNSUBSCRIBE', 'stop', 'en'],
    ['TD', 'stop', 'zh'],
    ['td', 'stop', 'zh'],
    ['退订', 'stop', 'zh'],
    ['START', 'start', 'en'],
    ['start', 'start', 'en'],
    ['UNSTOP', 'start', 'en'],
    ['开通', 'start', 'zh'],
  ];
  for (const [text, kind, lang] of cases) {
    it(`${JSON.stringify(text)} at a group address is ${kind}`, () => {
      assert.deepEqual(group(text), { kind, lang });
    });
  }

  it('allows surrounding whitespace, full-width spaces and trailing punctuation', () => {
    assert.deepEqual(group('  y!  '), { kind: 'accept', lang: 'en' });
    assert.deepEqual(group('\u3000是。\u3000'), { kind: 'accept', lang: 'zh' });
    assert.deepEqual(group('否！'), { kind: 'decline', lang: 'zh' });
    assert.deepEqual(group('Quit.'), { kind: 'quit', lang: 'en' });
    assert.deepEqual(group('list...'), { kind: 'list', lang: 'en' });
    assert.deepEqual(group('STOP!!'), { kind: 'stop', lang: 'en' });
    assert.deepEqual(group('\nhelp\n'), { kind: 'help', lang: 'en' });
    assert.deepEqual(group('join ~'), { kind: 'accept', lang: 'en' });
  });

  it('accepts full-width Latin letters and question marks', () => {
    assert.deepEqual(group('ＨＥＬＰ'), { kind: 'help', lang: 'en' });
    assert.deepEqual(group('ｙ'), { kind: 'accept', lang: 'en' });
    assert.deepEqual(service('？？'), { kind: 'help', lang: 'zh' });
    assert.deepEqual(service('??'), { kind: 'help', lang: 'en' });
    assert.deepEqual(service('帮助？'), { kind: 'help', lang: 'zh' });
    assert.deepEqual(service('help?'), { kind: 'help', lang: 'en' });
  });

  it('treats a question as chat, except for HELP', () => {
    assert.deepEqual(group('Y?'), msg('Y?'));
    assert.deepEqual(group('stop?'), msg('stop?'));
    assert.deepEqual(group('退出？'), msg('退出？', 'zh'));
  });

  it('is a message when the keyword is only part of the text', () => {
    assert.deepEqual(group('stop the car'), msg('stop the car'));
    assert.deepEqual(group('Yes'), msg('Yes'));
    assert.deepEqual(group('No'), msg('No'));
    assert.deepEqual(group('yy'), msg('yy'));
    assert.deepEqual(group('Join us at 7'), msg('Join us at 7'));
    assert.deepEqual(group('help me move on Sunday'), msg('help me move on Sunday'));
    assert.deepEqual(group('list of things'), msg('list of things'));
    assert.deepEqual(group('quitting time'), msg('quitting time'));
    assert.deepEqual(group('是的'), msg('是的', 'zh'));
    assert.deepEqual(group('退出了吗'), msg('退出了吗', 'zh'));
    assert.deepEqual(group('成员们好'), msg('成员们好', 'zh'));
    assert.deepEqual(group('start at 9'), msg('start at 9'));
  });

  it('at the service number keeps HELP, STOP and START but not group-only words', () => {
    assert.deepEqual(service('HELP'), { kind: 'help', lang: 'en' });
    assert.deepEqual(service('stop'), { kind: 'stop', lang: 'en' });
    assert.deepEqual(service('退订'), { kind: 'stop', lang: 'zh' });
    assert.deepEqual(service('TD'), { kind: 'stop', lang: 'zh' });
    assert.deepEqual(service('start'), { kind: 'start', lang: 'en' });
    assert.deepEqual(service('开通'), { kind: 'start', lang: 'zh' });
    assert.deepEqual(service('Unsubscribe'), { kind: 'stop', lang: 'en' });
    assert.deepEqual(service('unstop'), { kind: 'start', lang: 'en' });
    assert.deepEqual(service('Y'), unknown('Y'));
    assert.deepEqual(service('是'), unknown('是', 'zh'));
    assert.deepEqual(service('QUIT'), unknown('QUIT'));
    assert.deepEqual(service('LIST'), unknown('LIST'));
    assert.deepEqual(service('成员'), unknown('成员', 'zh'));
    assert.deepEqual(service('decline'), unknown('decline'));
    assert.deepEqual(service('stop the car'), unknown('stop the car'));
  });
});

describe('CREATE / 建群', () => {
  it('creates at the service number in both languages', () => {
    assert.deepEqual(service('CREATE Hiking Club'), { kind: 'create', name: 'Hiking Club', lang: 'en' });
    assert.deepEqual(service('create hiking'), { kind: 'create', name: 'hiking', lang: 'en' });
    assert.deepEqual(service('CrEaTe Book Club'), { kind: 'create', name: 'Book Club', lang: 'en' });
    assert.deepEqual(service('建群 徒步俱乐部'), { kind: 'create', name: '徒步俱乐部', lang: 'zh' });
    assert.deepEqual(service('建群徒步俱乐部'), { kind: 'create', name: '徒步俱乐部', lang: 'zh' });
    assert.deepEqual(service('建群：徒步俱乐部'), { kind: 'create', name: '徒步俱乐部', lang: 'zh' });
    assert.deepEqual(service('ＣＲＥＡＴＥ　Ａ'), { kind: 'create', name: 'Ａ', lang: 'en' });
    assert.deepEqual(service('create: Chess'), { kind: 'create', name: 'Chess', lang: 'en' });
  });

  it('trims the name and collapses inner whitespace, including U+3000 and line breaks', () => {
    assert.deepEqual(service('  CREATE   Hiking \u3000  Club\n\tNorth  '), {
      kind: 'create',
      name: 'Hiking Club North',
      lang: 'en',
    });
  });

  it('drops one pair of quotes around the name', () => {
    assert.deepEqual(service('CREATE "Book Club"'), { kind: 'create', name: 'Book Club', lang: 'en' });
    assert.deepEqual(service('建群「读书会」'), { kind: 'create', name: '读书会', lang: 'zh' });
    assert.deepEqual(service('CREATE "'), { kind: 'create', name: '"', lang: 'en' });
  });

  it('reports a missing name', () => {
    for (const text of ['CREATE', 'create   ', 'CREATE\u3000', 'CREATE:']) {
      assert.deepEqual(service(text), {
        kind: 'invalid',
        command: 'create',
        reason: 'missing_name',
        lang: 'en',
      });
    }
    for (const text of ['建群', '建群　', '建群：']) {
      assert.deepEqual(service(text), {
        kind: 'invalid',
        command: 'create',
        reason: 'missing_name',
        lang: 'zh',
      });
    }
  });

  it('limits names to 40 code points, not UTF-16 units', () => {
    const forty = 'a'.repeat(MAX_GROUP_NAME_LENGTH);
    assert.deepEqual(service(`CREATE ${forty}`), { kind: 'create', name: forty, lang: 'en' });
    assert.deepEqual(service(`CREATE ${forty}b`), {
      kind: 'invalid',
      command: 'create',
      reason: 'name_too_long',
      lang: 'en',
    });
    const emoji = '🥾'.repeat(40); // 80 UTF-16 units, 40 code points
    assert.deepEqual(service(`建群${emoji}`), { kind: 'create', name: emoji, lang: 'zh' });
    assert.deepEqual(service(`建群${'群'.repeat(41)}`), {
      kind: 'invalid',
      command: 'create',
      reason: 'name_too_long',
      lang: 'zh',
    });
  });

  it('cleans control characters and lone surrogates out of names', () => {
    assert.deepEqual(service('CREATE a\u0000b\u0007c'), { kind: 'create', name: 'a b c', lang: 'en' });
    assert.deepEqual(service('CREATE x\ud800'), { kind: 'create', name: 'x\ufffd', lang: 'en' });
  });

  it('is a plain message at a group address', () => {
    assert.deepEqual(group('CREATE a poll please'), msg('CREATE a poll please'));
    assert.deepEqual(group('create'), msg('create'));
    assert.deepEqual(group('建群 徒步'), msg('建群 徒步', 'zh'));
  });

  it('needs a word boundary after the keyword', () => {
    assert.deepEqual(service('CREATED something'), unknown('CREATED something'));
    assert.deepEqual(service('creates'), unknown('creates'));
  });
});

describe('NAME / 改名', () => {
  it('renames at a group address', () => {
    assert.deepEqual(group('NAME Weekend Hikers'), { kind: 'rename', name: 'Weekend Hikers', lang: 'en' });
    assert.deepEqual(group('name  new   name'), { kind: 'rename', name: 'new name', lang: 'en' });
    assert.deepEqual(group('改名 周末徒步'), { kind: 'rename', name: '周末徒步', lang: 'zh' });
    assert.deepEqual(group('改名周末徒步'), { kind: 'rename', name: '周末徒步', lang: 'zh' });
  });

  it('is invalid, not a message, with no name or a long one', () => {
    assert.deepEqual(group('NAME'), {
      kind: 'invalid',
      command: 'rename',
      reason: 'missing_name',
      lang: 'en',
    });
    assert.deepEqual(group('改名'), {
      kind: 'invalid',
      command: 'rename',
      reason: 'missing_name',
      lang: 'zh',
    });
    assert.deepEqual(group(`name ${'x'.repeat(41)}`), {
      kind: 'invalid',
      command: 'rename',
      reason: 'name_too_long',
      lang: 'en',
    });
  });

  it('is unknown at the service number', () => {
    assert.deepEqual(service('NAME Foo'), unknown('NAME Foo'));
    assert.deepEqual(service('改名 新'), unknown('改名 新', 'zh'));
  });

  it('keeps words that merely start with "name" as messages', () => {
    assert.deepEqual(group('Names please'), msg('Names please'));
  });
});

describe('G / 邀请', () => {
  it('invites one or more phones, with any separator', () => {
    assert.deepEqual(group('G 13800138000'), { kind: 'invite', phones: ['13800138000'], lang: 'en' });
    assert.deepEqual(group('g +8613800138000'), { kind: 'invite', phones: ['+8613800138000'], lang: 'en' });
    assert.deepEqual(group('G 13800138000, 13900139000;+15551234567'), {
      kind: 'invite',
      phones: ['13800138000', '13900139000', '+15551234567'],
      lang: 'en',
    });
    assert.deepEqual(group('邀请13800138000，13900139000、13700137000'), {
      kind: 'invite',
      phones: ['13800138000', '13900139000', '13700137000'],
      lang: 'zh',
    });
    assert.deepEqual(group('邀请　13800138000；13900139000'), {
      kind: 'invite',
      phones: ['13800138000', '13900139000'],
      lang: 'zh',
    });
  });

  it('keeps formatting inside a token but lets spaces split numbers', () => {
    assert.deepEqual(group('G (555)123-4567'), { kind: 'invite', phones: ['(555)123-4567'], lang: 'en' });
    assert.deepEqual(group('G 138 0013 8000'), {
      kind: 'invite',
      phones: ['138', '0013', '8000'],
      lang: 'en',
    });
  });

  it('normalises full-width digits and plus signs', () => {
    assert.deepEqual(group('邀请＋８６１３８００１３８０００'), {
      kind: 'invite',
      phones: ['+8613800138000'],
      lang: 'zh',
    });
  });

  it('is a message unless every argument looks like a phone', () => {
    assert.deepEqual(group("G'day all"), msg("G'day all"));
    assert.deepEqual(group('G'), msg('G'));
    assert.deepEqual(group('g'), msg('g'));
    assert.deepEqual(group('G 13800138000 and Bob'), msg('G 13800138000 and Bob'));
    assert.deepEqual(group('G 2moro'), msg('G 2moro'));
    assert.deepEqual(group('G +'), msg('G +'));
    assert.deepEqual(group('G 1+1'), msg('G 1+1'));
    assert.deepEqual(group('邀请大家周六来'), msg('邀请大家周六来', 'zh'));
    assert.deepEqual(group('邀请'), msg('邀请', 'zh'));
    assert.deepEqual(group('Great news'), msg('Great news'));
  });

  it('is unknown at the service number', () => {
    assert.deepEqual(service('G 13800138000'), unknown('G 13800138000'));
    assert.deepEqual(service('邀请13800138000'), unknown('邀请13800138000', 'zh'));
  });
});

describe('DEL / 踢 and ADMIN / 管理员', () => {
  it('take exactly one phone', () => {
    assert.deepEqual(group('DEL 13800138000'), { kind: 'remove', phone: '13800138000', lang: 'en' });
    assert.deepEqual(group('del +8613800138000'), { kind: 'remove', phone: '+8613800138000', lang: 'en' });
    assert.deepEqual(group('踢13800138000'), { kind: 'remove', phone: '13800138000', lang: 'zh' });
    assert.deepEqual(group('踢 13800138000。'), { kind: 'remove', phone: '13800138000', lang: 'zh' });
    assert.deepEqual(group('DEL 13800138000!'), { kind: 'remove', phone: '13800138000', lang: 'en' });
    assert.deepEqual(group('ADMIN 13800138000'), { kind: 'admin', phone: '13800138000', lang: 'en' });
    assert.deepEqual(group('Admin 138-0013-8000'), { kind: 'admin', phone: '138-0013-8000', lang: 'en' });
    assert.deepEqual(group('管理员13800138000'), { kind: 'admin', phone: '13800138000', lang: 'zh' });
    assert.deepEqual(group('管理员 13800138000'), { kind: 'admin', phone: '13800138000', lang: 'zh' });
  });

  it('are messages when the argument is not a phone, missing, or several', () => {
    assert.deepEqual(group('Del is late'), msg('Del is late'));
    assert.deepEqual(group('DEL'), msg('DEL'));
    assert.deepEqual(group('DEL 138 0013 8000'), msg('DEL 138 0013 8000'));
    assert.deepEqual(group('admin please help'), msg('admin please help'));
    assert.deepEqual(group('ADMIN'), msg('ADMIN'));
    assert.deepEqual(group('踢球去吗'), msg('踢球去吗', 'zh'));
    assert.deepEqual(group('管理员在吗'), msg('管理员在吗', 'zh'));
    assert.deepEqual(group('Delete that photo'), msg('Delete that photo'));
  });

  it('are unknown at the service number', () => {
    assert.deepEqual(service('DEL 13800138000'), unknown('DEL 13800138000'));
    assert.deepEqual(service('管理员13800138000'), unknown('管理员13800138000', 'zh'));
  });
});

describe('messages and unknown text', () => {
  it('keeps the inside of a message untouched and trims the ends', () => {
    assert.deepEqual(group('  Hello   all,\n see you  '), msg('Hello   all,\n see you'));
  });

  it('picks zh when the text has any CJK ideograph', () => {
    assert.deepEqual(group('See you at 万达 7pm'), msg('See you at 万达 7pm', 'zh'));
    assert.deepEqual(group('こんにちは'), msg('こんにちは'));
    assert.deepEqual(group('𠀀'), msg('𠀀', 'zh'));
    assert.deepEqual(service('你好'), unknown('你好', 'zh'));
    assert.deepEqual(service('hello'), unknown('hello'));
  });

  it('handles empty, whitespace-only and junk text', () => {
    assert.deepEqual(group(''), msg(''));
    assert.deepEqual(group(' \u3000\n'), msg(''));
    assert.deepEqual(service(''), unknown(''));
    assert.deepEqual(group('!!!'), msg('!!!'));
    assert.deepEqual(group('\u0000\u0001'), msg('\u0000\u0001'));
    assert.deepEqual(group('\ud800'), msg('\ud800'));
    assert.deepEqual(group('🎉'), msg('🎉'));
  });

  it('parses a 10,000-character text quickly', () => {
    const long = `${'!'.repeat(10_000)}x`;
    const started = performance.now();
    for (const to of ['group', 'service'] as const) {
      parseCommand(long, to);
      parseCommand(`G ${'1'.repeat(10_000)}`, to);
      parseCommand(`建群${' '.repeat(10_000)}x`, to);
      parseCommand(' '.repeat(10_000) + 'a', to);
    }
    assert.ok(performance.now() - started < 500);
  });
});

describe('property: parseCommand is total', () => {
  const runs = Number(process.env['QUN_FUZZ_RUNS']) || 1000;
  const KINDS = new Set([
    'create',
    'invite',
    'accept',
    'decline',
    'remove',
    'admin',
    'quit',
    'list',
    'rename',
    'help',
    'stop',
    'start',
    'message',
    'unknown',
    'invalid',
  ]);
  const GROUP_ONLY = new Set([
    'invite',
    'accept',
    'decline',
    'remove',
    'admin',
    'quit',
    'list',
    'rename',
    'message',
  ]);
  // Pieces that steer random text towards the interesting paths: keywords, separators, digits, odd characters.
  const piece = fc.constantFrom(
    'G',
    'g',
    'DEL',
    'ADMIN',
    'NAME',
    'CREATE',
    'Y',
    'help',
    '建群',
    '改名',
    '邀请',
    '踢',
    '管理员',
    '是',
    '退订',
    ' ',
    '\u3000',
    '\n',
    ',',
    '，',
    '、',
    ';',
    ':',
    '：',
    '+',
    '1',
    '8',
    '-',
    '(',
    '?',
    '？',
    '!',
    '。',
    '"',
    '「',
    'a',
    '群',
    '\u0000',
    '\ud800',
    '\udfff',
    '🎉',
  );
  const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: codeUnit, maxLength: 200 }),
    fc.string({ unit: piece, maxLength: 30 }),
  );
  const destination = fc.constantFrom<Destination>('group', 'service');

  it('never throws and always returns a well-formed command', () => {
    fc.assert(
      fc.property(text, destination, (t, to) => {
        const c = parseCommand(t, to);
        assert.ok(KINDS.has(c.kind), c.kind);
        assert.ok(c.lang === 'en' || c.lang === 'zh');
        if (to === 'service') assert.ok(!GROUP_ONLY.has(c.kind), `${c.kind} at the service number`);
        if (to === 'group') assert.ok(c.kind !== 'create' && c.kind !== 'unknown', `${c.kind} at a group`);
        if (c.kind === 'message' || c.kind === 'unknown') assert.equal(c.text, t.trim());
        if (c.kind === 'create' || c.kind === 'rename') {
          assert.ok(c.name.length > 0 && [...c.name].length <= MAX_GROUP_NAME_LENGTH);
          assert.equal(c.name, c.name.trim());
          assert.ok(c.name.isWellFormed());
        }
        if (c.kind === 'invite')
          assert.ok(c.phones.length > 0 && c.phones.every((p) => /^\+?[0-9(]/.test(p)));
        if (c.kind === 'remove' || c.kind === 'admin') assert.match(c.phone, /[0-9]/);
      }),
      { numRuns: runs },
    );
  });

  it('survives non-string input from untyped callers', () => {
    assert.deepEqual(parseCommand(undefined as unknown as string, 'group'), msg(''));
    assert.deepEqual(parseCommand(42 as unknown as string, 'service'), unknown(''));
  });
});

it('CONFIRM <code> at a group address confirms; anything longer stays a message', () => {
  assert.deepEqual(parseCommand('CONFIRM 4821', 'group'), { kind: 'confirm', code: '4821', lang: 'en' });
  assert.deepEqual(parseCommand('confirm:123456.', 'group'), { kind: 'confirm', code: '123456', lang: 'en' });
  assert.deepEqual(parseCommand('确认4821', 'group'), { kind: 'confirm', code: '4821', lang: 'zh' });
  assert.equal(parseCommand('confirm 10 people are coming', 'group').kind, 'message');
  assert.equal(parseCommand('CONFIRM 4821', 'service').kind, 'unknown');
});
