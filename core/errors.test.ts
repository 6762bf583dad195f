// core/errors.test.ts — every error code is documented in docs/errors.md with its HTTP status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { errorCodes, PaasError, isPaasError } from './errors.ts';

test('docs/errors.md documents exactly the codes in code, with their status', () => {
  const text = fs.readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const rows = text.split('\n').filter((l) => l.startsWith('| `E_')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  const documented = Object.fromEntries(rows.map((c) => [c[0]!.replace(/`/g, ''), Number(c[1])]));
  const inCode = Object.fromEntries(Object.entries(errorCodes).map(([code, d]) => [code, d.status]));
  assert.deepEqual(documented, inCode);
});

test('PaasError carries its code, status and cause', () => {
  const cause = new Error('root');
  const err = new PaasError('E_APP_NOT_FOUND', 'nope', { cause });
  assert.equal(err.status, 404);
  assert.equal(err.cause, cause);
  assert.ok(isPaasError(err, 'E_APP_NOT_FOUND'));
  assert.ok(!isPaasError(err, 'E_USAGE'));
  assert.ok(!isPaasError(new Error('x')));
});
