// test/chart/render-chart.ts — renders charts/paas like `helm template` would, with go-template.ts and the Helm
// functions the chart uses (no helm binary here), so the chart test can parse and validate what it produces.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { execute, parseTemplate, truthy, type Fn, type Scope } from './go-template.ts';

export const chartDir = fileURLToPath(new URL('../../charts/paas/', import.meta.url));

type Values = Record<string, unknown>;

function isMap(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Merges overrides into values as `helm --set`/`-f` do: maps merge key by key, anything else replaces. */
export function mergeValues(base: Values, overrides: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(overrides)) out[k] = isMap(v) && isMap(base[k]) ? mergeValues(base[k], v) : v;
  return out;
}

function goQuote(v: unknown): string {
  return JSON.stringify(v === undefined || v === null ? '' : String(v));
}

/** Go's fmt verbs the chart uses: %s, %d, %v. */
function sprintf(format: string, ...args: unknown[]): string {
  let i = 0;
  return format.replace(/%[sdv%]/g, (verb) => (verb === '%%' ? '%' : String(args[i++])));
}

function helmFunctions(include: (name: string, dot: unknown) => string): Record<string, Fn> {
  const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  return {
    include: (name, dot) => include(String(name), dot),
    default: (fallback, given) => (truthy(given) ? given : fallback),
    required: (message, v) => { if (!truthy(v)) throw new Error(String(message)); return v; },
    quote: (...args) => args.map(goQuote).join(' '),
    toYaml: (v) => YAML.stringify(v).replace(/\n$/, ''),
    indent: (n, s) => str(s).split('\n').map((l) => ' '.repeat(Number(n)) + l).join('\n'),
    nindent: (n, s) => '\n' + str(s).split('\n').map((l) => ' '.repeat(Number(n)) + l).join('\n'),
    trunc: (n, s) => str(s).slice(0, Number(n)),
    trimSuffix: (suffix, s) => (str(s).endsWith(str(suffix)) ? str(s).slice(0, -str(suffix).length) : str(s)),
    printf: (format, ...args) => sprintf(String(format), ...args),
    print: (...args) => args.map(str).join(''),
    b64enc: (s) => Buffer.from(str(s)).toString('base64'),
    sha256sum: (s) => crypto.createHash('sha256').update(str(s)).digest('hex'),
    eq: (a, b) => a === b,
    ne: (a, b) => a !== b,
    not: (v) => !truthy(v),
    and: (...args) => args.find((a) => !truthy(a)) ?? args.at(-1),
    or: (...args) => args.find((a) => truthy(a)) ?? args.at(-1),
  };
}

export interface Release { name: string; namespace: string }

/** Renders every template with values.yaml merged with overrides; returns file name -> output (helpers omitted). */
export function renderChart(overrides: Values = {}, release: Release = { name: 'paas', namespace: 'paas' }): Map<string, string> {
  const chart = YAML.parse(fs.readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as { name: string; version: string; appVersion: string };
  const values = mergeValues(YAML.parse(fs.readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Values, overrides);
  const basePath = `${chart.name}/templates`;
  const defines = new Map<string, ReturnType<typeof parseTemplate>>();
  const files = fs.readdirSync(path.join(chartDir, 'templates')).sort();
  for (const file of files) {
    const nodes = parseTemplate(fs.readFileSync(path.join(chartDir, 'templates', file), 'utf8'), defines, file);
    defines.set(`${basePath}/${file}`, nodes); // `include (print $.Template.BasePath "/x.yaml")` renders a whole file
  }
  const root = {
    Values: values,
    Release: { Name: release.name, Namespace: release.namespace, Service: 'Helm', IsInstall: true, IsUpgrade: false },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
    Template: { BasePath: basePath },
    // Helm's .Files: files of the chart outside templates/ (the Grafana dashboard's JSON).
    Files: { Get: (name: unknown) => fs.readFileSync(path.join(chartDir, String(name)), 'utf8') },
  };
  const scope: Scope = { dot: root, root, fns: {} };
  scope.fns = helmFunctions((name, dot) => {
    const body = defines.get(name);
    if (!body) throw new Error(`no template "${name}"`);
    return execute(body, { ...scope, dot });
  });
  const out = new Map<string, string>();
  for (const file of files.filter((f) => !f.startsWith('_'))) {
    try {
      out.set(file, execute(defines.get(`${basePath}/${file}`)!, scope));
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  return out;
}
