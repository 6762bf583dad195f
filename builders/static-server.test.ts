// Tests for builders/static-server.cjs: built into a static app by buildNative, started for real, and probed over HTTP.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNative } from './native.ts';
import { findFreePort } from '../core/net.ts';

interface Answer { status: number; type: string | undefined; location: string | undefined; body: string }

/** Sends the path exactly as given (fetch would normalise `/../` away before it left the client). */
function get(port: number, path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], location: res.headers.location, body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}


async function waitForOutput(child: ChildProcess, text: string): Promise<void> {
  let seen = '';
  for await (const chunk of child.stdout ?? []) {
    seen += String(chunk);
    if (seen.includes(text)) return;
  }
  throw new Error(`the server exited before printing "${text}": ${seen}`);
}

/** Builds the static fixture beside a secret file, starts its server, and returns its port. */
async function startStaticApp(t: TestContext): Promise<{ port: number; child: ChildProcess }> {
  const base = mkdtempSync(join(tmpdir(), 'paas-static-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const app = join(base, 'app');
  cpSync(new URL('../test/fixtures/apps/static/', import.meta.url), app, { recursive: true });
  writeFileSync(join(base, 'secret.txt'), 'outside the app');
  mkdirSync(join(app, '.git'));
  writeFileSync(join(app, '.git', 'config'), '[core]');
  writeFileSync(join(app, '.env'), 'TOKEN=x');
  mkdirSync(join(app, 'docs'));
  writeFileSync(join(app, 'docs', 'index.html'), '<p>docs</p>');
  symlinkSync('../secret.txt', join(app, 'leak.txt'));
  await buildNative({ srcDir: app, env: { PATH: process.env.PATH ?? '' }, say: () => {} });

  const port = await findFreePort();
  const child = spawn(process.execPath, ['.paas/static-server.cjs'], { cwd: app, env: { PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  await waitForOutput(child, `on port ${port}`);
  return { port, child };
}

test('static server: serves the app, refuses what is not in it, and stops on SIGTERM', async (t) => {
  const { port, child } = await startStaticApp(t);

  const index = await get(port, '/');
  assert.equal(index.status, 200);
  assert.equal(index.type, 'text/html; charset=utf-8');
  assert.match(index.body, /Hello from static/);
  assert.equal((await get(port, '/index.html?v=1')).status, 200);
  assert.equal((await get(port, '/style.css')).type, 'text/css; charset=utf-8');
  assert.equal((await get(port, '/docs/')).body, '<p>docs</p>');
  assert.deepEqual(await get(port, '/docs'), { status: 301, type: undefined, location: '/docs/', body: '' });
  assert.equal((await get(port, '/', 'HEAD')).status, 200);
  assert.equal((await get(port, '/', 'POST')).status, 405);

  const refused = ['/missing.html', '/../secret.txt', '/%2e%2e/secret.txt', '/docs/../../secret.txt', '/..%2fsecret.txt',
    '/leak.txt', '/.paas/static-server.cjs', '/.git/config', '/%2egit/config', '/.env', '/%E0%A4%A', '/docs%00'];
  for (const path of refused) {
    const answer = await get(port, path);
    assert.equal(answer.status, 404, path);
    assert.doesNotMatch(answer.body, /outside the app|\[core\]|TOKEN|require\(/, path);
  }

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0);
});
