// The composition of what nodes share: QUN_REDIS_URL with the SQLite file (one node's store) is told to
// the operator, who meant several nodes and needs PostgreSQL for them; with a database URL it is not.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../../src/config/config.ts';
import { systemClock } from '../../../src/core/clock.ts';
import { openSharedState } from '../../../src/server-cluster.ts';
import type { Store } from '../../../src/store/store.ts';
import { redisInstalled, redisUrl } from '../../helpers/redis.ts';

async function warnings(env: Record<string, string>): Promise<string[]> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const config = loadConfig({ QUN_REDIS_URL: await redisUrl(), ...env });
  const shared = await openSharedState(config, {} as Store, systemClock, pino({ level: 'warn' }, sink));
  await shared.close();
  return lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
}

if (redisInstalled('shared state')) {
  test('QUN_REDIS_URL with the SQLite store warns that several nodes need PostgreSQL', async () => {
    assert.ok((await warnings({})).some((m) => /several nodes need QUN_DATABASE_URL/.test(m)));
    const withPg = await warnings({ QUN_DATABASE_URL: 'postgres://qun@127.0.0.1:1/qun' });
    assert.ok(!withPg.some((m) => /QUN_DATABASE_URL/.test(m)), withPg.join('\n'));
  });
}
