#!/usr/bin/env node
// gitd/hooks/hook.cjs — run by git receive-pack as pre-receive and post-receive. It streams git's ref update lines
// (and, in a header, the quarantine environment that makes the new objects readable) to the platform over its
// hook socket, relays every output line as it arrives, and exits with the platform's verdict.
// It stays a small CommonJS script with no imports of ours: git runs it with plain node (no TypeScript loader) on
// every push. So it reads nothing whole itself: its stdin goes to the socket as the request body, and gitd parses
// and size-limits it with the platform's one reader (core/read-all.ts, in gitd/hook-server.ts).
'use strict';
const http = require('node:http');
const path = require('node:path');
const readline = require('node:readline');

const [hook, socketPath] = process.argv.slice(2);
const QUARANTINE_VARS = ['GIT_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_QUARANTINE_PATH'];
/** The request header that carries the hook's environment (gitd/hook-server.ts reads it). */
const ENV_HEADER = 'x-paas-hook-env';

function fail(message) {
  process.stdout.write(` !     ${message}\n`);
  process.exit(1);
}

// The one process.env read outside core/config.ts: this is a separate script that git runs (not the platform),
// and git hands it the push's quarantine in its environment.
function main() {
  const env = {};
  for (const name of QUARANTINE_VARS) if (process.env[name]) env[name] = process.env[name];
  env.GIT_DIR = path.resolve(process.env.GIT_DIR || '.');
  const headers = { 'content-type': 'text/plain; charset=utf-8', [ENV_HEADER]: encodeURIComponent(JSON.stringify(env)) };
  const req = http.request({ socketPath, path: `/${hook}`, method: 'POST', headers });
  let answered = false;
  req.on('error', (err) => {
    // Once answered, the verdict is in the response: the platform may answer (refuse) before reading all the refs.
    if (!answered) fail(`The platform's git service is not reachable (${err.code || err.message}); try again shortly`);
  });
  req.on('response', (res) => {
    answered = true;
    process.stdin.unpipe(req);
    relay(res);
  });
  process.stdin.pipe(req);
}

/** The response is NDJSON: {"out": "line"} for each output line, then {"exit": N}. */
function relay(res) {
  let exitCode;
  const lost = () => fail('Lost contact with the platform before the push finished');
  res.on('error', lost);
  const lines = readline.createInterface({ input: res, crlfDelay: Infinity });
  lines.on('line', (line) => {
    const msg = JSON.parse(line);
    if (typeof msg.out === 'string') process.stdout.write(msg.out + '\n');
    if (typeof msg.exit === 'number') exitCode = msg.exit;
  });
  lines.on('close', () => {
    if (exitCode === undefined) lost();
    process.exitCode = exitCode;
  });
}

try {
  main();
} catch (err) {
  fail(`Hook failed: ${err.message}`);
}
