// builders/app-json.ts — parses and validates an app's app.json (Heroku's and Dokku's keys) into the AppJson the build
// keeps; pure. The controller (controller/app-json-step.ts) reads the file from the pushed tree and calls it.
// Security boundary: app.json is the pusher's text; only known keys are walked, sizes and numbers are bounded.
import { PaasError } from '../core/errors.ts';
import type { AppJson, AppJsonEnvVar } from './app-json-types.ts';
import { jsonErrorOffset, toLineColumn } from './json-position.ts';

/** app.json larger than this is refused (Heroku's and Dokku's files are a few KiB). */
export const appJsonMaxBytes = 64 * 1024;

const configKey = /^[A-Z_][A-Z0-9_]*$/; // the rule of core/names.ts parseConfigKey
const processType = /^[a-z0-9][a-z0-9_-]*$/; // the rule of builders/procfile.ts
const known = new Set(['formation', 'scripts', 'healthchecks', 'env']);
const checkKeys = new Set(['type', 'name', 'path', 'content', 'attempts', 'wait', 'timeout', 'initialDelay']);
const envKeys = new Set(['description', 'value', 'required']);

type Json = unknown;
type StartupCheck = NonNullable<AppJson['healthchecks']>[number];
type Obj = Record<string, Json>;

/** Raised for every problem: names the key path, so the pusher can find it. */
function invalid(path: string, why: string): PaasError {
  return new PaasError('E_APP_JSON_INVALID', `app.json: ${path} ${why}`);
}

/** A key as it appears in a path: plain when it is a simple name, else quoted and cut (keys are the pusher's text). */
function keyText(key: string): string {
  return /^[A-Za-z0-9_.-]{1,40}$/.test(key) ? key : JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);
}

function isObject(v: Json): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function objectAt(v: Json, path: string): Obj {
  if (!isObject(v)) throw invalid(path, 'must be an object');
  return v;
}

function stringAt(v: Json, path: string, maxLength = 4096): string {
  if (typeof v !== 'string') throw invalid(path, 'must be a string');
  if (v.length > maxLength) throw invalid(path, `is longer than ${maxLength} characters`);
  return v;
}

/** A string printed in the push as part of one line (a command, a check's name): no newlines or control characters. */
function lineAt(v: Json, path: string, maxLength = 4096): string {
  const s = stringAt(v, path, maxLength);
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(s)) throw invalid(path, 'must be one line, without control characters');
  return s;
}

function numberAt(v: Json, path: string, min: number, max: number, whole: boolean): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max && (!whole || Number.isInteger(v));
  if (!ok) throw invalid(path, `must be a ${whole ? 'whole ' : ''}number from ${min} to ${max}`);
  return v as number;
}

/** Decodes app.json's bytes: refuses more than appJsonMaxBytes and anything that is not UTF-8. */
export function decodeAppJson(bytes: Uint8Array): string {
  if (bytes.length > appJsonMaxBytes) throw new PaasError('E_APP_JSON_INVALID', `app.json is larger than ${appJsonMaxBytes / 1024} KiB`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new PaasError('E_APP_JSON_INVALID', 'app.json is not UTF-8 text');
  }
}

/** Parses app.json's text; throws E_APP_JSON_INVALID naming the line and column of a JSON error, or the key path. */
export function parseAppJson(text: string): { appJson: AppJson; notices: string[] } {
  if (Buffer.byteLength(text, 'utf8') > appJsonMaxBytes) throw new PaasError('E_APP_JSON_INVALID', `app.json is larger than ${appJsonMaxBytes / 1024} KiB`);
  const source = text.replace(/^\uFEFF/, '');
  let root: Json;
  try {
    root = JSON.parse(source);
  } catch (err) {
    const { line, column } = toLineColumn(source, jsonErrorOffset(source, err as SyntaxError));
    const why = (err as Error).message.replace(/ in JSON at position \d+.*$/, '').replace(/, ".*" is not valid JSON$/s, '').slice(0, 120);
    throw new PaasError('E_APP_JSON_INVALID', `app.json is not valid JSON: line ${line}, column ${column}: ${why}`);
  }
  if (!isObject(root)) throw new PaasError('E_APP_JSON_INVALID', 'app.json must hold a JSON object ({…})');
  const ignored: string[] = Object.keys(root).filter((k) => !known.has(k)).map(keyText);
  const notices: string[] = [];
  const appJson: AppJson = {};
  if (root.formation !== undefined) appJson.formation = parseFormation(root.formation, ignored);
  if (root.scripts !== undefined) appJson.scripts = parseScripts(root.scripts, ignored);
  if (root.healthchecks !== undefined) appJson.healthchecks = parseHealthchecks(root.healthchecks, ignored, notices);
  if (root.env !== undefined) appJson.env = parseEnv(root.env, ignored);
  if (ignored.length) notices.unshift(ignoredNotice(ignored));
  return { appJson, notices };
}

/** One bounded line naming what was ignored (a hostile file may have thousands of keys). */
function ignoredNotice(keys: string[]): string {
  const shown = keys.slice(0, 8).join(', ');
  return `ignoring what this platform does not use: ${shown}${keys.length > 8 ? ` and ${keys.length - 8} more` : ''}`;
}

function parseFormation(v: Json, ignored: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [type, entry] of Object.entries(objectAt(v, 'formation'))) {
    const path = `formation.${keyText(type)}`;
    if (!processType.test(type) || type.length > 63) throw invalid(path, 'is not a process type (a-z, 0-9, - and _)');
    const e = objectAt(entry, path);
    for (const k of Object.keys(e)) if (k !== 'quantity') ignored.push(`${path}.${keyText(k)}`);
    if (e.quantity !== undefined) out[type] = numberAt(e.quantity, `${path}.quantity`, 0, 99, true);
  }
  return out;
}

function parseScripts(v: Json, ignored: string[]): NonNullable<AppJson['scripts']> {
  const scripts = objectAt(v, 'scripts');
  const out: NonNullable<AppJson['scripts']> = {};
  const command = (c: Json, path: string): string => {
    const s = lineAt(c, path);
    if (s.trim() === '') throw invalid(path, 'is an empty command');
    return s;
  };
  for (const [k, c] of Object.entries(scripts)) {
    if (k === 'postdeploy') out.firstDeploy = command(c, 'scripts.postdeploy');
    else if (k !== 'dokku') ignored.push(`scripts.${keyText(k)}`);
  }
  if (scripts.dokku === undefined) return out;
  for (const [k, c] of Object.entries(objectAt(scripts.dokku, 'scripts.dokku'))) {
    if (k === 'predeploy' || k === 'postdeploy') out[k] = command(c, `scripts.dokku.${k}`);
    else ignored.push(`scripts.dokku.${keyText(k)}`);
  }
  return out;
}

function parseHealthchecks(v: Json, ignored: string[], notices: string[]): StartupCheck[] {
  const out: StartupCheck[] = [];
  for (const [type, list] of Object.entries(objectAt(v, 'healthchecks'))) {
    const path = `healthchecks.${keyText(type)}`;
    if (type !== 'web') { ignored.push(path); continue; }
    if (!Array.isArray(list)) throw invalid(path, 'must be a list of checks');
    if (list.length > 20) throw invalid(path, 'has more than 20 checks');
    list.forEach((entry, i) => {
      const check = parseCheck(entry, `${path}[${i}]`, i, ignored);
      if (typeof check === 'string') { notices.push(check); return; }
      // A container has one readiness and one liveness probe: the first of each kind is it.
      if (check.type && out.some((c) => c.type === check.type)) { notices.push(`${path}[${i}] is a second ${check.type} check: only the first is used`); return; }
      if (check.type) {
        const content = check.content === undefined ? '' : '; a probe cannot match content, so its content is not checked';
        notices.push(`${path}[${i}] is a ${check.type} check: web's ${check.type} probe in Kubernetes mode (the local and Docker modes use only startup checks, as the deploy gate)${content}`);
      }
      out.push(check);
    });
  }
  return out;
}

/** How long a startup check may hold the deploy at most: it holds the app's deploys (and its push) while it runs. */
export const checkMaxSeconds = 600;

/**
 * One Dokku check, or the notice saying why it is ignored: checks without a path (Dokku's command, uptime and
 * listening checks). The type is decided first, so an ignored check's other keys never fail the push. Startup checks
 * are the deploy gate (every mode); readiness and liveness checks become web's probes in Kubernetes mode (`type` set).
 */
function parseCheck(v: Json, path: string, index: number, ignored: string[]): StartupCheck | string {
  const c = objectAt(v, path);
  const type = c.type === undefined ? 'startup' : stringAt(c.type, `${path}.type`, 20);
  if (type !== 'startup' && type !== 'liveness' && type !== 'readiness') throw invalid(`${path}.type`, 'must be startup, liveness or readiness');
  if (c.path === undefined) return `${path} has no path: only HTTP path checks are supported, so it is ignored`;
  for (const k of Object.keys(c)) if (!checkKeys.has(k)) ignored.push(`${path}.${keyText(k)}`);
  const checkPath = stringAt(c.path, `${path}.path`, 2048);
  // Sent as the request line's path: no spaces or control characters that could split or smuggle a request.
  if (!/^\/[\x21-\x7e]*$/.test(checkPath)) throw invalid(`${path}.path`, 'must be an absolute path (starting with /, no spaces or control characters)');
  const num = (key: string, min: number, max: number, fallback: number, whole = false): number =>
    c[key] === undefined ? fallback : numberAt(c[key], `${path}.${key}`, min, max, whole);
  const check: StartupCheck = {
    ...(type === 'startup' ? {} : { type }),
    name: c.name === undefined ? `check ${index + 1}` : lineAt(c.name, `${path}.name`, 200),
    path: checkPath,
    ...(c.content === undefined ? {} : { content: stringAt(c.content, `${path}.content`) }),
    attempts: num('attempts', 1, 100, 5, true),
    waitSeconds: num('wait', 0, 600, 5),
    timeoutSeconds: num('timeout', 0.1, 600, 5),
    initialDelaySeconds: num('initialDelay', 0, 600, 0),
  };
  // The same bound for probes: a liveness probe that would wait 10 minutes to act is a mistake too.
  const total = check.initialDelaySeconds + check.attempts * (check.timeoutSeconds + check.waitSeconds);
  if (total > checkMaxSeconds) {
    throw invalid(path, `may take ${Math.round(total * 10) / 10} s (initialDelay + attempts × (timeout + wait)); the most a check may take is ${checkMaxSeconds} s`);
  }
  return check;
}

/** Heroku's env: `"KEY": "value"` or `"KEY": {description, value, required}`; required defaults to true (Heroku's schema). */
function parseEnv(v: Json, ignored: string[]): Record<string, AppJsonEnvVar> {
  const out: Record<string, AppJsonEnvVar> = {};
  for (const [key, entry] of Object.entries(objectAt(v, 'env'))) {
    const path = `env.${keyText(key)}`;
    if (!configKey.test(key) || key.length > 200) throw invalid(path, 'is not a valid config key: use [A-Z_][A-Z0-9_]*');
    if (typeof entry === 'string') { out[key] = { value: stringAt(entry, path, 32768), required: true }; continue; }
    const e = objectAt(entry, path);
    for (const k of Object.keys(e)) if (!envKeys.has(k)) ignored.push(`${path}.${keyText(k)}`);
    if (e.required !== undefined && typeof e.required !== 'boolean') throw invalid(`${path}.required`, 'must be true or false');
    out[key] = {
      ...(e.description === undefined ? {} : { description: stringAt(e.description, `${path}.description`, 500) }),
      ...(e.value === undefined ? {} : { value: stringAt(e.value, `${path}.value`, 32768) }),
      required: e.required ?? true,
    };
  }
  return out;
}

/** The required env vars without a default that `config` lacks; the push fails on the first (before building). */
export function missingRequiredEnv(appJson: AppJson, config: Record<string, string>): Array<{ key: string; description?: string }> {
  return Object.entries(appJson.env ?? {})
    .filter(([key, e]) => e.required && e.value === undefined && !Object.hasOwn(config, key))
    .map(([key, e]) => ({ key, ...(e.description === undefined ? {} : { description: e.description }) }));
}
