// core/db/connect.test.ts — openDb against the real PostgreSQL (DATABASE_URL): the platform's processes boot together
// on a fresh database (the chart installs web, gitd and the controller at once) and each migrates it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { openDb, type Db } from './connect.ts';
import { dropSchema } from '../../test/support/test-schema.ts';

test('three processes migrating one fresh schema at once all boot: migrations run one at a time', async (t) => {
  const url = process.env.DATABASE_URL;
  if (!url) return t.skip('DATABASE_URL is not set (.ci/run sets it to the machine PostgreSQL)');
  for (let round = 0; round < 3; round++) {
    const schema = `race_${crypto.randomBytes(4).toString('hex')}`;
    t.after(() => dropSchema(url, schema));
    const opened: Array<PromiseSettledResult<Db>> = await Promise.allSettled([openDb(url, schema), openDb(url, schema), openDb(url, schema)]);
    const failures: string[] = opened.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason as unknown));
    for (const r of opened) if (r.status === 'fulfilled') await r.value.destroy();
    assert.deepEqual(failures, [], `round ${round}`);
  }
});
