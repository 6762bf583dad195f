#!/usr/bin/env node
// gitd/hooks/hook.cjs — run by git receive-pack as pre-receive and post-receive. It hands the ref updates (and,
// for pre-receive, the quarantine environment that makes the new objects readable) to the platform over its
// hook socket, relays every output line as it arrives, and exits with the platform's verdict.
'use strict';
const http = require('node:http');

const [hook, socketPath] = process.argv.slice(2);
const QUARANTINE_VARS = ['GIT_DIR', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_QUARANTINE_PATH'];

function readStdin() {
  return new Promise((resolve) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (c) => { data += c; });
    process.stdin.on('end', () => resolve(data));
  });
}

function fail(message) {
  process.stdout.write(` !     ${message}\n`);
  process.exit(1);
}

async function main() {
  const refs = (await readStdin()).split('\n').filter(Boolean).map((line) => {
    const [oldRev, newRev, ref] = line.split(' ');
    return { oldRev, newRev, ref };
  });
  // The one process.env read outside core/config.ts: this is a separate script that git runs (not the platform),
  // and git hands it the push's quarantine in its environment.
  const env = {};
  for (const name of QUARANTINE_VARS) if (process.env[name]) env[name] = process.env[name];
  env.GIT_DIR = require('node:path').resolve(process.env.GIT_DIR || '.');
  const body = JSON.stringify({ refs, env });
  const req = http.request({ socketPath, path: `/${hook}`, method: 'POST', headers: { 'content-type': 'application/json' } });
  req.on('error', (err) => fail(`The platform's git service is not reachable (${err.code || err.message}); try again shortly`));
  req.on('response', (res) => relay(res));
  req.end(body);
}

/** The response is NDJSON: {"out": "line"} for each output line, then {"exit": N}. */
function relay(res) {
  let buf = '';
  let exitCode;
  res.setEncoding('utf8');
  res.on('data', (chunk) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (typeof msg.out === 'string') process.stdout.write(msg.out + '\n');
      if (typeof msg.exit === 'number') exitCode = msg.exit;
    }
  });
  res.on('end', () => {
    if (exitCode === undefined) fail('Lost contact with the platform before the push finished');
    process.exitCode = exitCode;
  });
  res.on('error', () => fail('Lost contact with the platform before the push finished'));
}

main().catch((err) => fail(`Hook failed: ${err.message}`));
