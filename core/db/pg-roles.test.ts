// core/db/pg-roles.test.ts — the embedded database's credentials file: fresh, from an earlier version, kept 0600;
// and the socket URL and path limit of core/db/embedded.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { credentialsFile, loadCredentials, OWNER_ROLE } from './pg-roles.ts';
import { socketUrl, startEmbeddedPostgres } from './embedded.ts';
import { createLogger } from '../logger.ts';

function scratch(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-creds-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a fresh data dir gets a superuser and a separate owner role, with random passwords in a 0600 file', (t) => {
  const dir = scratch(t);
  const creds = loadCredentials(dir);
  assert.equal(creds.superuser.user, 'postgres');
  assert.equal(creds.owner.user, OWNER_ROLE);
  assert.notEqual(creds.superuser.password, creds.owner.password);
  assert.equal(fs.statSync(credentialsFile(dir)).mode & 0o777, 0o600);
  assert.deepEqual(loadCredentials(dir), creds, 'read back the same');
});

test('an earlier version\'s credentials become the superuser\'s, beside a new owner role; a loose file is made 0600', (t) => {
  const dir = scratch(t);
  fs.writeFileSync(credentialsFile(dir), JSON.stringify({ user: 'paas', password: 'old' }), { mode: 0o644 });
  const creds = loadCredentials(dir);
  assert.deepEqual(creds.superuser, { user: 'paas', password: 'old' });
  assert.equal(creds.owner.user, OWNER_ROLE);
  assert.equal(fs.statSync(credentialsFile(dir)).mode & 0o777, 0o600);
  fs.chmodSync(credentialsFile(dir), 0o644);
  assert.deepEqual(loadCredentials(dir), creds);
  assert.equal(fs.statSync(credentialsFile(dir)).mode & 0o777, 0o600);
});

test('the socket URL names the socket directory, the owner and the database, and pg reads it back', () => {
  const c = new pg.Client({ connectionString: socketUrl('/srv/my data/postgres', 'paas_platform', 'p@ss/word') });
  assert.deepEqual([c.host, c.port, c.user, c.password, c.database], ['/srv/my data/postgres', 5432, 'paas_platform', 'p@ss/word', 'paas']);
});

test('a data dir too deep for a Unix socket path is refused with the path named', async () => {
  const deep = path.join(os.tmpdir(), 'x'.repeat(100));
  await assert.rejects(startEmbeddedPostgres(deep, createLogger('silent', 'test')), (err: Error & { code?: string }) =>
    err.code === 'E_DATABASE_UNAVAILABLE' && /longer than 107 bytes: choose a shorter PAAS_DATA_DIR/.test(err.message));
  assert.equal(fs.existsSync(deep), false, 'nothing was made');
});
