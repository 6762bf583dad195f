// web/dashboard/static.ts — the dashboard's static assets under /static: our stylesheet and script, and
// the pinned htmx and htmx-ext-ws from node_modules. A fixed list read at boot: no path from the URL touches disk.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { VIEWS_DIR } from './render.ts';

const require = createRequire(import.meta.url);

const pkgFile = (pkg: string, file: string) => path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);

/** URL name → file on disk. */
const ASSETS: Record<string, string> = {
  'style.css': path.join(VIEWS_DIR, 'static/style.css'),
  'app.js': path.join(VIEWS_DIR, 'static/app.js'),
  'htmx.min.js': pkgFile('htmx.org', 'dist/htmx.min.js'),
  'htmx-ext-ws.js': pkgFile('htmx-ext-ws', 'dist/ws.js'),
};

const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

/** Registers GET /static/<name> for the assets above, with an ETag so browsers revalidate cheaply. */
export function registerStatic(app: FastifyInstance): void {
  const files = new Map(Object.entries(ASSETS).map(([name, file]) => {
    const body = fs.readFileSync(file);
    return [name, { body, type: TYPES[path.extname(name)]!, etag: `"${crypto.createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` }];
  }));
  app.get<{ Params: { name: string } }>('/static/:name', async (req, reply) => {
    const f = files.get(req.params.name);
    if (!f) return reply.code(404).type('text/plain').send('No such asset\n');
    reply.header('etag', f.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff');
    if (req.headers['if-none-match'] === f.etag) return reply.code(304).send();
    return reply.type(f.type).send(f.body);
  });
}
