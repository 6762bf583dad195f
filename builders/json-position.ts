// builders/json-position.ts — where a JSON text goes wrong, as line and column, for app.json's error message
// (builders/app-json.ts): from the position V8 puts in its SyntaxError, or, when it gives none, by scanning.

/** A 1-based line and column in a text. */
export interface TextPosition { line: number; column: number }

/** The line and column of a character offset (columns count UTF-16 units after the last newline, from 1). */
export function toLineColumn(text: string, offset: number): TextPosition {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split(/\r\n|\r|\n/);
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

/**
 * The offset of a JSON syntax error: V8's "at position N" when its message has one, else the first offset where
 * `text` stops being JSON (V8 20's "Unexpected token 'x', "…" is not valid JSON" names no position).
 */
export function jsonErrorOffset(text: string, err: SyntaxError): number {
  const m = /at position (\d+)/.exec(err.message);
  if (m) return Number(m[1]);
  if (err.message.startsWith('Unexpected end of JSON input')) return text.length;
  return scanJson(text);
}

const literal = /true|false|null/y;
const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// A string: no raw control characters; escapes as JSON allows.
const string = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const space = /[ \t\n\r]*/y;

/** Matches sticky `re` at `at`; the end offset, or -1. */
function take(re: RegExp, text: string, at: number): number {
  re.lastIndex = at;
  return re.test(text) ? re.lastIndex : -1;
}

/** Where the string opened at `at` goes wrong: a raw control character, a bad escape, or the end of the text. */
function stringError(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20) return i;
    if (text[i] === '\\') {
      if (!/^(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/.test(text.slice(i + 1, i + 6))) return i + 1;
      i += text[i + 1] === 'u' ? 5 : 1;
    }
  }
  return text.length;
}

/** What may come next: a value, an object key (or '}' when the object is empty), ':' or ',' and closers. */
type Want = 'value' | 'key' | 'firstKey' | 'firstValue' | 'colon' | 'after';

/** The scan so far: the open objects and arrays, and what may come next. */
interface Scan { text: string; stack: Array<'{' | '['>; want: Want }

/** One step's result: the offset to go on from, or (bad) the offset that cannot be JSON. */
interface Step { at: number; bad?: true }

/** After a value: ',' or the closer of the innermost object or array. */
function afterValue(s: Scan, at: number): Step {
  const c = s.text[at], top = s.stack[s.stack.length - 1];
  if (top !== undefined && c === ',') { s.want = top === '{' ? 'key' : 'value'; return { at: at + 1 }; }
  if (top !== undefined && ((c === '}' && top === '{') || (c === ']' && top === '['))) { s.stack.pop(); return { at: at + 1 }; }
  return { at, bad: true };
}

/** An object key (a string), or '}' closing an empty object. */
function objectKey(s: Scan, at: number): Step {
  const c = s.text[at];
  if (c === '}' && s.want === 'firstKey') { s.stack.pop(); s.want = 'after'; return { at: at + 1 }; }
  const end = c === '"' ? take(string, s.text, at) : -1;
  if (end < 0) return { at: c === '"' ? stringError(s.text, at) : at, bad: true };
  s.want = 'colon';
  return { at: end };
}

/** A value: an opener, a string, a literal or a number; or ']' closing an empty array. */
function value(s: Scan, at: number): Step {
  const c = s.text[at];
  if (c === ']' && s.want === 'firstValue') { s.stack.pop(); s.want = 'after'; return { at: at + 1 }; }
  if (c === '{' || c === '[') { s.stack.push(c); s.want = c === '{' ? 'firstKey' : 'firstValue'; return { at: at + 1 }; }
  const end = c === '"' ? take(string, s.text, at) : take(/[tfn]/y, s.text, at) > 0 ? take(literal, s.text, at) : take(number, s.text, at);
  if (end < 0) return { at: c === '"' ? stringError(s.text, at) : at, bad: true };
  s.want = 'after';
  return { at: end };
}

/** Takes the token at `at` for what the scan wants next. */
function step(s: Scan, at: number): Step {
  if (s.want === 'after') return afterValue(s, at);
  if (s.want === 'colon') { if (s.text[at] !== ':') return { at, bad: true }; s.want = 'value'; return { at: at + 1 }; }
  if (s.want === 'key' || s.want === 'firstKey') return objectKey(s, at);
  return value(s, at);
}

/**
 * Scans `text` as JSON without building values and returns the offset of the first character that cannot be there
 * (text.length when it ends too early, -1 when it is valid). Iterative, so deep nesting cannot overflow the stack.
 */
export function scanJson(text: string): number {
  const s: Scan = { text, stack: [], want: 'value' };
  let at = take(space, text, 0);
  while (at < text.length) {
    const next = step(s, at);
    if (next.bad) return next.at;
    at = take(space, text, next.at);
  }
  return s.want === 'after' && s.stack.length === 0 ? -1 : text.length;
}
