// Unit tests for test/chart/go-template.ts: the Go-template subset behaves as Go's text/template does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execute, parseTemplate, type Fn } from './go-template.ts';

function render(src: string, dot: unknown, fns: Record<string, Fn> = {}): string {
  const defines = new Map();
  const nodes = parseTemplate(src, defines, 't');
  return execute(nodes, { dot, root: dot, fns: { ...fns, include: (name, d) => execute(defines.get(name), { dot: d, root: dot, fns }) } });
}

test('trim markers eat the whitespace on their side only', () => {
  assert.equal(render('a  {{- .x }}  b', { x: 1 }), 'a1  b');
  assert.equal(render('a  {{ .x -}}  \n b', { x: 1 }), 'a  1b');
  assert.equal(render('a\n{{- /* gone */ -}}\nb', {}), 'ab');
});

test('if / else if / else and with follow Go truth', () => {
  const src = '{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}';
  assert.equal(render(src, { a: [1], b: 1 }), 'A');
  assert.equal(render(src, { a: [], b: 'x' }), 'B');
  assert.equal(render(src, { a: {}, b: 0 }), 'C');
  assert.equal(render('{{ with .m }}{{ .k }}{{ else }}none{{ end }}', { m: { k: 'v' } }), 'v');
  assert.equal(render('{{ with .m }}{{ .k }}{{ else }}none{{ end }}', { m: {} }), 'none');
});

test('pipelines pass the value last; parentheses nest; $ is the root', () => {
  const fns: Record<string, Fn> = { wrap: (l, r, v) => `${String(l)}${String(v)}${String(r)}`, up: (v) => String(v).toUpperCase() };
  assert.equal(render('{{ .s | up | wrap "<" ">" }}', { s: 'x' }, fns), '<X>');
  assert.equal(render('{{ wrap "[" "]" (up .s) }}', { s: 'y' }, fns), '[Y]');
  assert.equal(render('{{ with .m }}{{ $.top }}{{ end }}', { m: { a: 1 }, top: 'T' }), 'T');
});

test('define and include', () => {
  assert.equal(render('{{- define "n" -}}<{{ .v }}>{{- end -}}{{ include "n" .inner }}', { inner: { v: 7 } }), '<7>');
});

test('missing fields, maps printed without toYaml and unsupported syntax are errors', () => {
  assert.throws(() => render('{{ .a.b }}', { a: {} }), /no value for \.a\.b/);
  assert.throws(() => render('{{ .a }}', { a: { b: 1 } }), /refusing to print/);
  assert.throws(() => render('{{ range .a }}x{{ end }}', { a: [] }), /outside the subset/);
  assert.throws(() => render('{{ lower .a }}', { a: 'X' }), /function "lower" is outside the subset/);
  assert.throws(() => render('{{ if .a }}x', { a: 1 }), /unclosed block/);
});
