// web/dashboard/docs-routes.ts — the public pages: the landing page at / for visitors (signed-in users go to their
// apps), and the user documentation at /docs (rendered from docs/user at first use) with its server-side search.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { needsSetup } from '../../core/accounts/invites.ts';
import { PaasError } from '../../core/errors.ts';
import { appUrl } from '../../services/release-spec.ts';
import { MAX_QUERY, searchDocs } from '../docs/search.ts';
import { docsSite, type DocsSite } from '../docs/site.ts';
import { remotesFor } from './app-context.ts';
import { sendPage, type DashDeps } from './respond.ts';

/** The push a visitor sees on the landing page, as the platform prints it. */
const PUSH_OUTPUT = [
  '-----> Building hello (build 1) from main at 1a2b3c4',
  '-----> Node.js app detected',
  '-----> Installing dependencies with npm install',
  '-----> Build 1 succeeded',
  '-----> Releasing v1',
  '-----> Starting web.1 (v1)',
  '-----> Routing hello to v1',
];

const noPage = (req: FastifyRequest) => new PaasError('E_NOT_FOUND', `There is no page at ${req.url.split('?')[0]!.slice(0, 200)}`);

/** A query parameter as one string ('' when missing; the first when repeated). */
function queryParam(req: FastifyRequest, name: string): string {
  const v = (req.query as Record<string, unknown>)[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s : '';
}

/** The page list; the current page also lists its sections (## headings) as links. */
function nav(site: DocsSite, current?: string) {
  return site.pages.map((p) => ({
    href: `/docs/${p.slug}`, title: p.title, current: p.slug === current,
    toc: p.slug === current ? p.sections.filter((s) => s.depth === 2).map((s) => ({ href: `#${s.id}`, heading: s.heading })) : [],
  }));
}

async function landing(d: DashDeps, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const remotes = remotesFor(d, req, 'hello');
  return sendPage(d, req, reply, 'landing', {
    title: 'Deploy with git push', nav: 'home', remotes, output: [...PUSH_OUTPUT, `-----> v1 is live at ${appUrl(d.config, 'hello')}`],
    firstRun: await needsSetup(d.db),
  });
}

/** Registers /, /docs, /docs/search and /docs/<slug>. docsDir: another folder of pages (tests). */
export function registerDocsRoutes(app: FastifyInstance, d: DashDeps, docsDir?: string): void {
  const site = () => docsSite(docsDir);
  app.get('/', async (req, reply) => (req.auth.user ? reply.redirect('/apps', 303) : landing(d, req, reply)));

  app.get('/docs', async (req, reply) =>
    sendPage(d, req, reply, 'docs', { title: 'Documentation', nav: 'docs', pages: nav(site()), index: true }));

  app.get('/docs/search', async (req, reply) => {
    const raw = queryParam(req, 'q');
    const q = raw.slice(0, MAX_QUERY).trim();
    const hits = searchDocs(site().pages, q);
    return sendPage(d, req, reply, 'docs', {
      title: q ? `Search: ${q}` : 'Search', nav: 'docs', pages: nav(site()), search: true, q, hits, cut: raw.length > MAX_QUERY,
    });
  });

  // A wildcard, not `:slug`: any path under /docs (slashes, dots, a thousand characters) reaches the lookup and
  // gets the 404 page, rather than the router's own refusals of long parameters.
  app.get<{ Params: { '*': string } }>('/docs/*', async (req, reply) => {
    if (req.params['*'] === '') return reply.redirect('/docs', 301);
    const page = site().page(req.params['*']);
    if (!page) throw noPage(req);
    return sendPage(d, req, reply, 'docs', { title: page.title, nav: 'docs', pages: nav(site(), page.slug), page });
  });
}
