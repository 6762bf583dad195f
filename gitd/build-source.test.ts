// Tests for gitd/build-source.ts: the builder pods' source route, on real PostgreSQL, and the real entrypoint against it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import type { Knex } from 'knex';
import { createBuildToken } from '../core/build-tokens.ts';
import { insertBuild, openTestSchema } from '../test/support/test-schema.ts';
import { runEntrypoint } from '../test/support/builder-pod.ts';
import { archivePathOf, registerBuildSource } from './build-source.ts';

const nodeFixture = fileURLToPath(new URL('../test/fixtures/apps/node', import.meta.url));

interface Harness { db: Knex; app: FastifyInstance; dataDir: string; buildId: string; token: string }

/** A fastify app with only the source route, a build with a token, and its archive (the node fixture) on disk. */
async function setup(t: TestContext): Promise<Harness | undefined> {
  const db = await openTestSchema(t, 'src');
  if (!db) return undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-gitd-src-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const app = Fastify();
  await registerBuildSource(app, { db, dataDir });
  t.after(() => app.close());
  const buildId = await insertBuild(db);
  const token = await createBuildToken(db, buildId);
  const archive = archivePathOf(dataDir, buildId)!;
  fs.mkdirSync(path.dirname(archive), { recursive: true });
  execFileSync('tar', ['-c', '-f', archive, '-C', nodeFixture, ...fs.readdirSync(nodeFixture)]);
  return { db, app, dataDir, buildId, token };
}

const urlOf = (buildId: string) => `/internal/builds/${buildId}/source.tar`;

test('the right token gets the archive as application/x-tar', async (t) => {
  const h = await setup(t);
  if (!h) return;
  const res = await h.app.inject({ url: urlOf(h.buildId), headers: { authorization: `Bearer ${h.token}` } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/x-tar');
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.deepEqual(res.rawPayload, fs.readFileSync(archivePathOf(h.dataDir, h.buildId)!));
  assert.equal(Number(res.headers['content-length']), res.rawPayload.length);
});

test('a missing, wrong, other-build or expired token is a 401', async (t) => {
  const h = await setup(t);
  if (!h) return;
  const other = await createBuildToken(h.db, await insertBuild(h.db, 'other'));
  const headersList = [{}, { authorization: `Bearer ${h.token}x` }, { authorization: `Basic ${h.token}` }, { authorization: `Bearer ${other}` }];
  for (const headers of headersList) {
    const res: LightMyRequestResponse = await h.app.inject({ url: urlOf(h.buildId), headers });
    assert.equal(res.statusCode, 401, JSON.stringify(headers));
    assert.deepEqual(res.json(), { error: { code: 'E_UNAUTHENTICATED', message: 'Missing, wrong or expired build token' } });
    assert.match(String(res.headers['www-authenticate']), /^Bearer /);
  }
  const expired = await createBuildToken(h.db, h.buildId, -1);
  const res = await h.app.inject({ url: urlOf(h.buildId), headers: { authorization: `Bearer ${expired}` } });
  assert.equal(res.statusCode, 401);
});

test('a gone archive is a 404; an id that is not a UUID never becomes a path', async (t) => {
  const h = await setup(t);
  if (!h) return;
  fs.rmSync(archivePathOf(h.dataDir, h.buildId)!);
  const gone = await h.app.inject({ url: urlOf(h.buildId), headers: { authorization: `Bearer ${h.token}` } });
  assert.equal(gone.statusCode, 404);
  assert.equal(gone.json().error.message, `The source of build ${h.buildId} is gone`);
  for (const id of ['..%2F..%2Fetc%2Fpasswd', 'abc', `${h.buildId}%00`]) {
    const res: LightMyRequestResponse = await h.app.inject({ url: urlOf(id), headers: { authorization: `Bearer ${h.token}` } });
    assert.equal(res.statusCode, 404, id);
    assert.equal(res.json().error.code, 'E_BUILD_NOT_FOUND');
  }
  assert.equal(archivePathOf('/data', '../x'), undefined);
});

test('the builder entrypoint fetches from the real route and writes its Dockerfile', { timeout: 30_000 }, async (t) => {
  const h = await setup(t);
  if (!h) return;
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = h.app.server.address() as AddressInfo;
  const env = { PAAS_SOURCE_URL: `http://127.0.0.1:${port}${urlOf(h.buildId)}`, PAAS_APP: 'demo', PAAS_BUILD_ID: h.buildId };
  const ok = await runEntrypoint(t, { ...env, PAAS_BUILD_TOKEN: h.token });
  assert.equal(ok.code, 0, ok.lines.join('\n'));
  assert.ok(fs.existsSync(path.join(ok.workspace, 'Dockerfile')));
  assert.deepEqual(ok.termination, { stack: 'node', processTypes: { web: 'npm start' }, dockerfile: 'Dockerfile' });
  const refused = await runEntrypoint(t, { ...env, PAAS_BUILD_TOKEN: 'nope' });
  assert.equal(refused.code, 1);
  assert.match(refused.lines.at(-1) ?? '', /^ ! {5}gitd refused the build token \(HTTP 401: Missing, wrong or expired build token\)/);
});
