// web/docs/search.ts — the docs' search, answered by the server so it works without JavaScript: pages ranked by
// where the words occur (title, then headings, then text), each hit with a snippet around its first match.
import type { DocPage } from './site.ts';

/** The longest query read (longer ones are cut), and the most words of it that count. */
export const MAX_QUERY = 200;
const MAX_TERMS = 8;
const SNIPPET = 160;

/** A snippet split around the match, so the view escapes each part and marks the match alone. */
export interface Snippet { before: string; match: string; after: string }
export interface Hit { slug: string; title: string; href: string; heading: string; score: number; snippet?: Snippet }

/** The query's words: lowercase, without punctuation at their ends, at most MAX_TERMS, each once. */
export function toTerms(q: string): string[] {
  const words = q.slice(0, MAX_QUERY).toLowerCase().split(/\s+/).map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, ''));
  return [...new Set(words.filter(Boolean))].slice(0, MAX_TERMS);
}

function count(haystack: string, term: string): number {
  let n = 0;
  for (let i = haystack.indexOf(term); i !== -1 && n < 20; i = haystack.indexOf(term, i + term.length)) n++;
  return n;
}

/** The text around the first term found, cut at word boundaries. */
export function snippetOf(text: string, terms: string[]): Snippet | undefined {
  const lower = text.toLowerCase();
  const found = terms.map((t) => ({ t, at: lower.indexOf(t) })).filter((f) => f.at !== -1).sort((a, b) => a.at - b.at)[0];
  if (!found) return undefined;
  const start = Math.max(0, found.at - SNIPPET / 2);
  const end = Math.min(text.length, found.at + found.t.length + SNIPPET / 2);
  const lead = start > 0 ? `…${text.slice(start, found.at).replace(/^\S*\s/, '')}` : text.slice(0, found.at);
  const tail = text.slice(found.at + found.t.length, end);
  return { before: lead, match: text.slice(found.at, found.at + found.t.length), after: end < text.length ? `${tail.replace(/\s\S*$/, '')}…` : tail };
}

/** Scores one page: every term must occur somewhere in it; its best section gives the link and the snippet. */
function scorePage(page: DocPage, terms: string[]): Hit | undefined {
  const title = page.title.toLowerCase();
  let score = 0, best = { score: -1, anchor: '', heading: '', text: '' };
  for (const term of terms) {
    const inTitle = title.includes(term) ? 10 : 0;
    const inPage = page.sections.some((s) => s.heading.toLowerCase().includes(term) || s.text.toLowerCase().includes(term));
    if (!inTitle && !inPage) return undefined;
    score += inTitle;
  }
  for (const s of page.sections) {
    const heading = s.heading.toLowerCase(), text = s.text.toLowerCase();
    const own = terms.reduce((n, t) => n + (heading.includes(t) ? 5 : 0) + count(text, t), 0);
    score += own;
    if (own > best.score) best = { score: own, anchor: s.depth > 1 ? s.id : '', heading: s.depth > 1 ? s.heading : '', text: s.text };
  }
  const href = `/docs/${page.slug}${best.anchor ? `#${best.anchor}` : ''}`;
  return { slug: page.slug, title: page.title, href, heading: best.heading, score, snippet: snippetOf(best.text, terms) };
}

/** The pages that contain every word of q, best first (none for an empty query). */
export function searchDocs(pages: readonly DocPage[], q: string): Hit[] {
  const terms = toTerms(q);
  if (!terms.length) return [];
  return pages.map((p) => scorePage(p, terms)).filter((h): h is Hit => !!h).sort((a, b) => b.score - a.score || a.title.localeCompare(b.title));
}
