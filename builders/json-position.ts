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

/**
 * Scans `text` as JSON without building values and returns the offset of the first character that cannot be there
 * (text.length when it ends too early, -1 when it is valid). Iterative, so deep nesting cannot overflow the stack.
 */
export function scanJson(text: string): number {
  const stack: Array<'{' | '['> = [];
  // What may come next: a value, an object key (or '}' when the object is empty), ':' or ',' and closers.
  let want: 'value' | 'key' | 'firstKey' | 'firstValue' | 'colon' | 'after' = 'value';
  let at = take(space, text, 0);
  while (at < text.length) {
    const c = text[at];
    const top = stack[stack.length - 1];
    if (want === 'after') {
      if (top === undefined) return at;
      if (c === ',') { want = top === '{' ? 'key' : 'value'; at++; }
      else if ((c === '}' && top === '{') || (c === ']' && top === '[')) { stack.pop(); at++; }
      else return at;
    } else if (want === 'colon') {
      if (c !== ':') return at;
      want = 'value';
      at++;
    } else if (want === 'key' || want === 'firstKey') {
      if (c === '}' && want === 'firstKey') { stack.pop(); want = 'after'; at++; }
      else {
        const end = c === '"' ? take(string, text, at) : -1;
        if (end < 0) return c === '"' ? stringError(text, at) : at;
        want = 'colon';
        at = end;
      }
    } else if (c === ']' && want === 'firstValue') { stack.pop(); want = 'after'; at++; }
    else if (c === '{' || c === '[') { stack.push(c); want = c === '{' ? 'firstKey' : 'firstValue'; at++; }
    else {
      if (c === '"') {
        const end = take(string, text, at);
        if (end < 0) return stringError(text, at);
        want = 'after';
        at = take(space, text, end);
        continue;
      }
      const end = take(/[tfn]/y, text, at) > 0 ? take(literal, text, at) : take(number, text, at);
      if (end < 0) return at;
      want = 'after';
      at = end;
    }
    at = take(space, text, at);
  }
  return want === 'after' && stack.length === 0 ? -1 : text.length;
}
