// web/docs/site.ts — the user documentation as the platform serves it at /docs: every docs/user/<slug>.md read and
// rendered once, when the web process first needs it, ordered by the `<!-- order: N -->` line each page opens with.
// Security boundary: a URL's slug is only ever a key into this map; no path from a request reaches the disk.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderMarkdown, type Section } from './markdown.ts';

/** The pages' folder: docs/user at the repository's top level (scripts/build.js copies it into dist/). */
export const DOCS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/user');

export interface DocPage { slug: string; title: string; order: number; html: string; sections: Section[] }

export interface DocsSite {
  /** The pages, by their order number, then slug. */
  pages: readonly DocPage[];
  /** The page with this slug, or undefined for anything else. */
  page(slug: string): DocPage | undefined;
}

/** What a page file's name may be: the slug is its name without `.md`. */
const SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Reads the page's header: `<!-- order: N -->`, then `# Title`; a page without them is a mistake in the repo. */
export function parseHeader(file: string, src: string): { order: number; title: string } {
  const [first = '', second = ''] = src.split('\n', 2);
  const order = /^<!--\s*order:\s*(\d+)\s*-->\s*$/.exec(first)?.[1];
  const title = /^#\s+(.+?)\s*$/.exec(second)?.[1];
  if (!order || !title) throw new Error(`docs: ${file} must open with "<!-- order: N -->" and then "# Title"`);
  return { order: Number(order), title: title.replace(/`/g, '') };
}

/** Reads and renders every page in dir. */
export function loadDocs(dir = DOCS_DIR): DocsSite {
  const pages: DocPage[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.md')).sort()) {
    const slug = file.slice(0, -3);
    if (!SLUG.test(slug)) throw new Error(`docs: ${file} is not a valid page name (lowercase letters, digits, dashes)`);
    const src = fs.readFileSync(path.join(dir, file), 'utf8').replace(/\r\n/g, '\n');
    const { order, title } = parseHeader(file, src);
    pages.push({ slug, title, order, ...renderMarkdown(src) });
  }
  pages.sort((a, b) => a.order - b.order || a.slug.localeCompare(b.slug));
  const bySlug = new Map(pages.map((p) => [p.slug, p]));
  return { pages, page: (slug) => (SLUG.test(slug) ? bySlug.get(slug) : undefined) };
}

/** loadDocs once per folder, on first use (the web process reads the pages once). */
const cache = new Map<string, DocsSite>();
export function docsSite(dir = DOCS_DIR): DocsSite {
  let site = cache.get(dir);
  if (!site) { site = loadDocs(dir); cache.set(dir, site); }
  return site;
}
