// test/support/dashboard.ts — the dashboard route tests' harness: the real web server (createWeb, with gitd's
// HTTP routes mounted) on a fresh PostgreSQL schema, driven with inject(), and a tiny browser that keeps cookies and the page's CSRF token.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import { createInvite, issueSetupToken } from '../../core/accounts/invites.ts';
import { MemoryBus } from '../../core/bus.ts';
import { loadConfig, type Config } from '../../core/config.ts';
import { openDb } from '../../core/db/connect.ts';
import { createLogger } from '../../core/logger.ts';
import { PushSessions } from '../../gitd/hook-server.ts';
import { registerGitHttp } from '../../gitd/http-git.ts';
import { selectReader } from '../../runtime/select.ts';
import { createWeb } from '../../web/web.ts';
import { dropSchema } from './test-schema.ts';

export interface Harness { app: FastifyInstance; db: Knex; bus: MemoryBus; config: Config }

/**
 * Starts the web server on a new schema; everything is removed when the test (or suite) ends. `env` adds settings
 * (e.g. PAAS_RUNTIME=kubernetes and a KUBECONFIG): the runtime reader is chosen from them as the mains do. `web`
 * shortens the Metrics tab's poll, so browser tests wait less for a refresh, and may serve another folder of user docs.
 */
export async function startWeb(t: Pick<TestContext, 'after'>, env: Record<string, string> = {}, web: { metricsPollSeconds?: number; docsDir?: string } = {}): Promise<Harness> {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required (postgres://postgres@127.0.0.1:5432/test)');
  const schema = `dash_${crypto.randomBytes(4).toString('hex')}`;
  const db = await openDb(url, schema);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-dash-'));
  const config = loadConfig({ PAAS_DATA_DIR: dataDir, PAAS_SSH_PORT: '2222', PAAS_HTTP_PORT: '5000', ...env });
  const log = createLogger('silent');
  const bus = new MemoryBus(log);
  const reader = await selectReader(config, db, bus);
  const mount = (app: FastifyInstance) => registerGitHttp(app, { db, dataDir, sessions: new PushSessions(), log }); // as gitd mounts it
  const app = await createWeb({ db, config, log, bus, reader, liveRecheckMs: 100, mount, ...web });
  await app.ready();
  t.after(async () => {
    await app.close();
    await db.destroy();
    await dropSchema(url, schema);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return { app, db, bus, config };
}

export interface Page { status: number; body: string; headers: Record<string, string | string[] | number | undefined>; location?: string }

/** A browser stand-in: keeps cookies, remembers the last page's CSRF token and sends it with forms. */
export class Browser {
  readonly cookies = new Map<string, string>();
  csrf = '';

  constructor(private h: Harness, readonly ip = '127.0.0.1') {}

  private keep(setCookie: unknown): void {
    for (const c of ([] as string[]).concat((setCookie as string[] | string | undefined) ?? [])) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq), value = pair!.slice(eq + 1);
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  get cookieHeader(): string { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }

  async request(method: 'GET' | 'POST', url: string, opts: { form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Page> {
    const res = await this.h.app.inject({
      method, url, remoteAddress: this.ip,
      headers: { cookie: this.cookieHeader, accept: 'text/html', ...(opts.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...opts.headers },
      payload: opts.form ? new URLSearchParams(opts.form).toString() : undefined,
    });
    this.keep(res.headers['set-cookie']);
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1];
    if (token) this.csrf = token;
    return { status: res.statusCode, body: res.body, headers: res.headers, location: res.headers.location as string | undefined };
  }

  get(url: string, headers?: Record<string, string>): Promise<Page> { return this.request('GET', url, { headers }); }

  /** POSTs a form with the CSRF token of the last page seen (unless _csrf is given). */
  post(url: string, form: Record<string, string> = {}, headers?: Record<string, string>): Promise<Page> {
    return this.request('POST', url, { form: { _csrf: this.csrf, ...form }, headers });
  }
}

/**
 * Signs up through the pages; returns the signed-in browser. The first user comes through the set-up link (so is
 * the admin), later ones through an invite link (as an admin would send them).
 */
export async function signUp(h: Harness, email: string, password = 'correct-horse-battery'): Promise<Browser> {
  const b = new Browser(h);
  const setup = await issueSetupToken(h.db);
  const url = setup ? `/setup?token=${setup}` : `/signup?invite=${(await createInvite(h.db, { kind: 'operator' })).token}`;
  const page = await b.get(url);
  if (page.status !== 200) throw new Error(`${url} answered ${page.status} ${page.body.slice(0, 500)}`);
  const r = await b.post(setup ? '/setup' : '/signup', { email, password, ...(setup ? { token: setup } : { invite: url.split('=')[1]! }) });
  if (r.status !== 303) throw new Error(`sign-up of ${email} failed: ${r.status} ${r.body.slice(0, 500)}`);
  await b.get('/apps');
  return b;
}

/** Creates an app through the pages as the browser's user. */
export async function createAppAs(b: Browser, name: string): Promise<void> {
  await b.get('/apps');
  const r = await b.post('/apps', { name });
  if (r.status !== 303) throw new Error(`creating ${name} failed: ${r.status} ${r.body.slice(0, 500)}`);
}

/** Marks a build succeeded and gives it a succeeded release vN that is the app's current one. */
export async function releaseBuild(h: Harness, app: string, buildId: string, config: Record<string, string> = {}): Promise<number> {
  const a = await h.db('apps').where({ name: app }).first();
  await h.db('builds').where({ id: buildId }).update({ status: 'succeeded', process_types: JSON.stringify({ web: 'node server.js' }), slug_dir: '/nonexistent' });
  const { max } = (await h.db('releases').where({ app_id: a.id }).max('version as max').first()) ?? { max: 0 };
  const [r] = await h.db('releases').insert({
    app_id: a.id, version: (Number(max) || 0) + 1, build_id: buildId, config: JSON.stringify(config), description: 'Deploy c0ffee0', status: 'succeeded',
  }).returning('*');
  await h.db('apps').where({ id: a.id }).update({ current_release_id: r.id });
  return r.version;
}

export interface LiveClient {
  /** Everything received so far, concatenated. */
  text(): string;
  /** Resolves once what was received matches; rejects if the socket closes first. */
  until(re: RegExp): Promise<string>;
  /** Resolves with the close code when the server closes the socket. */
  closed: Promise<number>;
  close(): void;
}

/** What a browser on the dashboard's own page sends with a websocket (injectWS sends no Host of its own). */
export const SAME_ORIGIN = { host: 'localhost:5000', origin: 'http://localhost:5000' } as const;

/** Opens a dashboard websocket through injectWS, as the dashboard's own page does, listening from the first byte on. */
export async function openLive(h: Harness, url: string, cookie: string): Promise<LiveClient> {
  let all = '';
  const waiters: Array<{ re: RegExp; resolve(s: string): void; reject(e: Error): void }> = [];
  let onClose!: (code: number) => void;
  const closed = new Promise<number>((r) => { onClose = r; });
  const ws = await h.app.injectWS(url, { headers: { cookie, ...SAME_ORIGIN } }, {
    onInit(socket) {
      socket.on('message', (d: unknown) => {
        all += String(d);
        for (const w of waiters.filter((x) => x.re.test(all))) { waiters.splice(waiters.indexOf(w), 1); w.resolve(all); }
      });
      socket.on('close', (code: number) => {
        waiters.splice(0).forEach((w) => w.reject(new Error(`socket closed before ${w.re}; got:\n${all}`)));
        onClose(code);
      });
    },
  });
  return {
    text: () => all,
    until: (re) => (re.test(all) ? Promise.resolve(all) : new Promise((resolve, reject) => waiters.push({ re, resolve, reject }))),
    closed,
    close: () => ws.terminate(),
  };
}
