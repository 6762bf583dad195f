// test/chart/go-template.ts — a strict interpreter for the subset of Go templates the Helm chart uses (no helm binary
// here): text, {{- -}} trimming, comments, if / else if / else / with / define / end, pipelines, parentheses, `.`, `$`
// and field chains. Anything else is an error, and so is a field missing from a map (the chart's lint).

export type Fn = (...args: unknown[]) => unknown;
type Node =
  | { kind: 'text'; text: string }
  | { kind: 'out'; expr: string }
  | { kind: 'if' | 'with'; branches: Array<{ expr: string | undefined; body: Node[] }> }
  | { kind: 'define'; name: string; body: Node[] };

/** Splits a template into text and actions, applying `{{-` and `-}}` trimming; comments are dropped. */
function lex(src: string): Array<{ text: string } | { action: string }> {
  const out: Array<{ text: string } | { action: string }> = [];
  const re = /\{\{(-\s)?([\s\S]*?)(\s-)?\}\}/g;
  let last = 0;
  let trimNext = false;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    let text = src.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1]) text = text.replace(/\s+$/, '');
    out.push({ text });
    const action = m[2]!.trim();
    if (!(action.startsWith('/*') && action.endsWith('*/'))) out.push({ action });
    trimNext = Boolean(m[3]);
    last = re.lastIndex;
  }
  out.push({ text: trimNext ? src.slice(last).replace(/^\s+/, '') : src.slice(last) });
  return out;
}

/** Parses lexed pieces into a tree; `define` blocks are returned apart, by name. */
export function parseTemplate(src: string, defines: Map<string, Node[]>, file: string): Node[] {
  const root: Node[] = [];
  const stack: Array<{ node: Extract<Node, { kind: 'if' | 'with' | 'define' }>; body: Node[] }> = [];
  const body = () => stack.at(-1)?.body ?? root;
  for (const piece of lex(src)) {
    if ('text' in piece) { if (piece.text) body().push({ kind: 'text', text: piece.text }); continue; }
    const [word = '', ...rest] = piece.action.split(/\s+/);
    const arg = rest.join(' ');
    if (word === 'if' || word === 'with') {
      const node: Node = { kind: word, branches: [{ expr: arg, body: [] }] };
      body().push(node);
      stack.push({ node, body: node.branches[0]!.body });
    } else if (word === 'else') {
      const top = stack.at(-1);
      if (!top || top.node.kind === 'define') throw new Error(`${file}: else outside if/with`);
      const expr = arg.startsWith('if ') ? arg.slice(3) : arg === '' ? undefined : (() => { throw new Error(`${file}: unsupported else ${arg}`); })();
      const branch = { expr, body: [] as Node[] };
      top.node.branches.push(branch);
      top.body = branch.body;
    } else if (word === 'define') {
      const node: Node = { kind: 'define', name: JSON.parse(arg) as string, body: [] };
      stack.push({ node, body: node.body });
    } else if (word === 'end') {
      const top = stack.pop();
      if (!top) throw new Error(`${file}: end without a block`);
      if (top.node.kind === 'define') defines.set(top.node.name, top.node.body);
    } else if (['range', 'template', 'block', 'break', 'continue'].includes(word) || /^\$\w+\s*:?=/.test(piece.action)) {
      throw new Error(`${file}: "${piece.action}" is outside the subset this renderer supports`);
    } else {
      body().push({ kind: 'out', expr: piece.action });
    }
  }
  if (stack.length > 0) throw new Error(`${file}: unclosed block`);
  return root;
}

/** Go's truth: false, 0, nil, "" and empty lists and maps are false. */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function tokenize(expr: string): string[] {
  const tokens = expr.match(/"(?:[^"\\]|\\.)*"|\(|\)|\||\$?(?:\.[A-Za-z_][\w]*)+|\$|\.|[A-Za-z_][\w]*|-?\d+(?:\.\d+)?|\S/g);
  return tokens ?? [];
}

export interface Scope { dot: unknown; root: unknown; fns: Record<string, Fn> }

function field(base: unknown, chain: string, path: string): unknown {
  let v = base;
  for (const key of chain.split('.').filter(Boolean)) {
    if (typeof v !== 'object' || v === null || !Object.hasOwn(v, key)) throw new Error(`no value for ${path} (is it in values.yaml?)`);
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function operand(tok: string, scope: Scope): unknown {
  if (tok === '.') return scope.dot;
  if (tok === '$') return scope.root;
  if (tok.startsWith('"')) return JSON.parse(tok) as string;
  if (/^-?\d/.test(tok)) return Number(tok);
  if (tok === 'true' || tok === 'false') return tok === 'true';
  if (tok === 'nil') return null;
  if (tok.startsWith('$.')) return field(scope.root, tok.slice(2), tok);
  if (tok.startsWith('.')) return field(scope.dot, tok.slice(1), tok);
  throw new Error(`unexpected "${tok}"`);
}

/** Evaluates a pipeline: commands separated by `|`, the previous result passed as the last argument. */
export function evaluate(expr: string, scope: Scope): unknown {
  const tokens = tokenize(expr);
  let pos = 0;
  const command = (piped: unknown[]): unknown => {
    const args: unknown[] = [];
    let name: string | undefined;
    while (pos < tokens.length && tokens[pos] !== '|' && tokens[pos] !== ')') {
      const tok = tokens[pos++]!;
      if (tok === '(') { args.push(pipeline()); pos++; continue; }
      if (name === undefined && args.length === 0 && /^[A-Za-z_]\w*$/.test(tok) && !['true', 'false', 'nil'].includes(tok)) { name = tok; continue; }
      args.push(operand(tok, scope));
    }
    if (name === undefined) {
      // A method of the root, as `.Files.Get "dashboards/x.json"`: called with the arguments after it.
      if (typeof args[0] === 'function') return (args[0] as Fn)(...args.slice(1), ...piped);
      if (args.length !== 1 || piped.length > 0) throw new Error(`cannot evaluate "${expr}"`);
      return args[0];
    }
    const fn = scope.fns[name];
    if (!fn) throw new Error(`function "${name}" is outside the subset this renderer supports`);
    return fn(...args, ...piped);
  };
  const pipeline = (): unknown => {
    let value = command([]);
    while (tokens[pos] === '|') { pos++; value = command([value]); }
    return value;
  };
  const value = pipeline();
  if (pos !== tokens.length) throw new Error(`cannot parse "${expr}"`);
  return value;
}

/** Renders parsed nodes with dot as `.`. */
export function execute(nodes: Node[], scope: Scope): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'out') out += toText(evaluate(node.expr, scope));
    else if (node.kind === 'if' || node.kind === 'with') {
      for (const b of node.branches) {
        const value = b.expr === undefined ? true : evaluate(b.expr, scope);
        if (!truthy(value)) continue;
        const dot = node.kind === 'with' && b.expr !== undefined ? value : scope.dot;
        out += execute(b.body, { ...scope, dot });
        break;
      }
    }
  }
  return out;
}

function toText(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`refusing to print ${JSON.stringify(v)} (a missing value, or a map without toYaml)`);
}
