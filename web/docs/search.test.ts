// web/docs/search.test.ts — the docs' search on its own: query words, ranking (title, headings, text), snippets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderMarkdown, toAnchor } from './markdown.ts';
import { MAX_QUERY, searchDocs, snippetOf, toTerms } from './search.ts';
import type { DocPage } from './site.ts';

const page = (slug: string, title: string, body: string): DocPage => ({ slug, title, order: 1, ...renderMarkdown(`# ${title}\n\n${body}`) });

test('query words: lowercase, trimmed of punctuation, each once, at most 8, from the first 200 characters', () => {
  assert.deepEqual(toTerms('  Rollback, rollback!  "config" '), ['rollback', 'config']);
  assert.deepEqual(toTerms(''), []);
  assert.deepEqual(toTerms('!!! ...'), []);
  assert.equal(toTerms('a b c d e f g h i j k').length, 8);
  assert.deepEqual(toTerms(`${'x'.repeat(MAX_QUERY)}tail`), ['x'.repeat(MAX_QUERY)]);
});

test('pages with every word rank by title, then headings, then text; the hit links to its best section', () => {
  const pages = [
    page('a', 'Domains', 'Add a domain.\n\n## Certificates\n\nEach domain gets a certificate.'),
    page('b', 'Logs', 'The logs mention a domain once.'),
    page('c', 'Other', 'Nothing here.'),
  ];
  const hits = searchDocs(pages, 'domain');
  assert.deepEqual(hits.map((h) => h.slug), ['a', 'b']);
  assert.equal(searchDocs(pages, 'certificate domain')[0]!.href, '/docs/a#certificates');
  assert.deepEqual(searchDocs(pages, 'domain nothing'), [], 'every word must occur');
  assert.deepEqual(searchDocs(pages, '   '), []);
});

test('snippets keep the match apart, cut at word boundaries with an ellipsis', () => {
  const text = `${'word '.repeat(40)}the needle sits here ${'more '.repeat(40)}`;
  const s = snippetOf(text, ['needle'])!;
  assert.equal(s.match, 'needle');
  assert.ok(s.before.startsWith('…') && s.after.endsWith('…'));
  assert.ok(s.before.length + s.after.length < 200);
  assert.equal(snippetOf('short text', ['absent']), undefined);
  assert.equal(toAnchor('4. Push over `SSH`'), '4-push-over-ssh');
});
