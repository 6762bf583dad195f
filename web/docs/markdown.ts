// web/docs/markdown.ts — turns one user-docs Markdown page into safe HTML (marked, then sanitize-html) and lists its
// sections for the page's table of contents and for search. Security boundary: the sanitiser below is what keeps
// a page's Markdown (raw HTML included) from running script in the dashboard's origin.
import { Marked, type Token, type Tokens } from 'marked';
import sanitizeHtml from 'sanitize-html';

export interface Section { heading: string; id: string; depth: number; text: string }
export interface Rendered { html: string; sections: Section[] }

/** What a rendered page may contain: prose, headings with ids, code, tables and links to http(s), mailto or local paths. */
const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'blockquote', 'ul', 'ol', 'li', 'strong', 'em', 'del',
    'code', 'pre', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'kbd', 'sup', 'sub'],
  allowedAttributes: {
    h1: ['id'], h2: ['id'], h3: ['id'], h4: ['id'], h5: ['id'], h6: ['id'],
    a: ['href', 'title'], code: ['class'], th: ['align'], td: ['align'], ol: ['start'],
  },
  allowedClasses: { code: [/^language-[a-z0-9-]+$/] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
};

/** A heading's anchor: lowercase words joined by dashes (GitHub's style, ASCII only). */
export function toAnchor(text: string): string {
  return text.toLowerCase().replace(/<[^>]*>/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'section';
}

/** Plain text of a token, for search: code as written, links by their words, no Markdown punctuation. */
function plain(token: Token): string {
  if (token.type === 'code') return (token as Tokens.Code).text;
  if (token.type === 'html') return '';
  // A table's rows only: its header row repeats in every section that has one and says nothing.
  if (token.type === 'table') return (token as Tokens.Table).rows.map((r) => r.map((c) => c.text).join(' ')).join(' ').replace(/[`*_]+/g, '');
  return token.raw.replace(/<[^>]*>/g, ' ').replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*_>|#]+/g, ' ').replace(/^\s*[-:| ]+$/gm, '');
}

/** Renders Markdown to sanitised HTML, giving each heading a unique id, and splits the text into sections. */
export function renderMarkdown(src: string): Rendered {
  const used = new Map<string, number>();
  const unique = (base: string): string => {
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    return n ? `${base}-${n}` : base;
  };
  const ids: string[] = [];
  const marked = new Marked({ gfm: true, async: false });
  marked.use({
    renderer: {
      heading(this: { parser: { parseInline(t: Token[]): string } }, { tokens, depth, text }: Tokens.Heading) {
        const id = unique(toAnchor(text));
        ids.push(id);
        return `<h${depth} id="${id}">${this.parser.parseInline(tokens)}</h${depth}>\n`;
      },
    },
  });
  const tokens = marked.lexer(src);
  const html = sanitizeHtml(marked.parser(tokens), SANITIZE);
  const sections: Section[] = [{ heading: '', id: '', depth: 0, text: '' }];
  let next = 0;
  for (const t of tokens) {
    if (t.type === 'heading') {
      const h = t as Tokens.Heading;
      sections.push({ heading: h.text.replace(/<[^>]*>|`/g, ''), id: ids[next++] ?? '', depth: h.depth, text: '' });
    } else {
      sections[sections.length - 1]!.text += ` ${plain(t)}`;
    }
  }
  for (const s of sections) s.text = s.text.replace(/\s+/g, ' ').trim();
  return { html, sections: sections.filter((s) => s.heading || s.text) };
}
