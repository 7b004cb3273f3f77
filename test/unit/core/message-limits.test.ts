// A message's length limit counts characters (code points), as members count them: an emoji is one
// character though it is two UTF-16 units. check() skips the count for a body whose units fit, which
// is right only because code points never outnumber units; these cases hold it to the count.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AppRegistry } from '../../../src/apps/registry.ts';
import type { Clock } from '../../../src/core/clock.ts';
import type { DeliveryEngine } from '../../../src/core/delivery-engine.ts';
import { MessageService } from '../../../src/core/message-service.ts';
import type { Store } from '../../../src/store/store.ts';
import type { Metrics } from '../../../src/util/metrics.ts';

// check() reads only the limit; the collaborators are never called.
const service = (maxChars: number) =>
  new MessageService(
    {} as Store,
    {} as AppRegistry,
    {} as DeliveryEngine,
    {} as Clock,
    {} as Metrics,
    maxChars,
  );

test('a body of exactly the limit is accepted, one character more is refused', () => {
  const s = service(10);
  assert.equal(s.check('x'.repeat(10)), undefined);
  assert.equal(s.check('x'.repeat(11)), 'message_too_long');
});

test('characters outside the BMP count once each, though each is two UTF-16 units', () => {
  const s = service(10);
  const emoji = '😀'.repeat(10);
  assert.equal(emoji.length, 20);
  assert.equal(s.check(emoji), undefined);
  assert.equal(s.check(`${emoji}😀`), 'message_too_long');
  assert.equal(s.check(`${'😀'.repeat(5)}${'x'.repeat(5)}`), undefined);
  assert.equal(s.check(`${'😀'.repeat(5)}${'x'.repeat(6)}`), 'message_too_long');
});

test('empty and NUL-carrying bodies are refused before the length', () => {
  const s = service(10);
  assert.equal(s.check('   '), 'empty_message');
  assert.equal(s.check('a\u0000b'), 'invalid_characters');
});
