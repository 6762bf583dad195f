// web/dashboard/render.ts — loads the handlebars views (layouts, pages, partials) once at boot and renders
// them. Every value is HTML-escaped by {{ }}; the only raw insertion is the rendered page into its layout.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { ago } from '../../services/time-ago.ts';

/** The views folder at the repository's top level. */
export const VIEWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

export interface Views {
  /** Renders pages/<name>.hbs inside layouts/main.hbs. */
  page(name: string, ctx: Record<string, unknown>): string;
  /** Renders partials/<name>.hbs alone (htmx fragments, websocket messages). */
  partial(name: string, ctx: Record<string, unknown>): string;
}

type Template = Handlebars.TemplateDelegate;

function compileDir(hb: typeof Handlebars, dir: string): Map<string, Template> {
  const out = new Map<string, Template>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.hbs'))) {
    out.set(file.slice(0, -4), hb.compile(fs.readFileSync(path.join(dir, file), 'utf8'), { strict: false, noEscape: false }));
  }
  return out;
}

const toDate = (d: unknown): Date | undefined => (d instanceof Date ? d : typeof d === 'string' && d ? new Date(d) : undefined);

/** Helpers return plain strings, so handlebars escapes them like any other value. */
function registerHelpers(hb: typeof Handlebars): void {
  hb.registerHelper('ago', (d: unknown) => {
    const at = toDate(d);
    if (!at) return 'never';
    return Date.now() - at.getTime() < 10_000 ? 'just now' : ago(at);
  });
  hb.registerHelper('iso', (d: unknown) => toDate(d)?.toISOString() ?? '');
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('not', (a: unknown) => !a);
  hb.registerHelper('enc', (s: unknown) => encodeURIComponent(String(s ?? '')));
  hb.registerHelper('slug', (s: unknown) => String(s ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '-'));
  hb.registerHelper('short', (rev: unknown) => String(rev ?? '').slice(0, 7));
  hb.registerHelper('branch', (ref: unknown) => String(ref ?? '').replace(/^refs\/heads\//, ''));
  hb.registerHelper('plural', (n: unknown, word: unknown) => `${Number(n)} ${String(word)}${Number(n) === 1 ? '' : 's'}`);
  hb.registerHelper('bytes', (n: unknown) => {
    const units = ['B', 'KB', 'MB', 'GB', 'TB'];
    let v = Number(n) || 0, i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
  });
}

/** Compiles every view under dir; a missing view is a programming error and throws at render time. */
export function loadViews(dir = VIEWS_DIR): Views {
  const hb = Handlebars.create();
  registerHelpers(hb);
  const partials = compileDir(hb, path.join(dir, 'partials'));
  for (const [name, tpl] of partials) hb.registerPartial(name, tpl);
  const pages = compileDir(hb, path.join(dir, 'pages'));
  const layout = compileDir(hb, path.join(dir, 'layouts')).get('main');
  if (!layout) throw new Error(`views: ${dir}/layouts/main.hbs is missing`);
  const get = (m: Map<string, Template>, kind: string, name: string): Template => {
    const t = m.get(name);
    if (!t) throw new Error(`views: no ${kind} named ${name}`);
    return t;
  };
  return {
    page: (name, ctx) => layout({ ...ctx, body: new hb.SafeString(get(pages, 'page', name)(ctx)) }),
    partial: (name, ctx) => get(partials, 'partial', name)(ctx),
  };
}
