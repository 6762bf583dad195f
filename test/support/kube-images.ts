// test/support/kube-images.ts — tiny app images for the Kubernetes runtime tests, built on the host with the Docker
// Engine FROM the cluster registry's node base, pushed to that registry and returned by digest
// (`<registry>/paas-test/app-<kind>@sha256:…`), as the platform deploys them. Each is tagged with a hash of its
// content and built only when the registry lacks that tag, so reruns cost one HEAD request per image.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { requireCluster } from './cluster.ts';

const run = promisify(execFile);

/**
 * What the app does: `web` answers on $PORT and prints a line per request; `crash` prints a line and exits 1 at
 * boot; `silent` runs but never listens; `unhealthy` answers / but its /health says 500. Every image also has
 * /app/migrate.js (a release command: prints two lines, exits with its argument) and /app/worker.js (a worker that
 * prints a line every second).
 */
export type AppImageKind = 'web' | 'crash' | 'silent' | 'unhealthy';

const server = `
const http = require('node:http');
const mode = process.env.APP_MODE;
const version = process.env.RELEASE_VERSION;
process.on('SIGTERM', () => { console.log('SIGTERM: bye'); process.exit(0); });
console.log('booting ' + mode + ' ' + version);
if (mode === 'crash') {
  console.error("Error: Cannot find module 'express'");
  process.exit(1);
}
if (mode === 'silent') {
  setInterval(() => undefined, 60000);
} else {
  http.createServer((req, res) => {
    console.log(req.method + ' ' + req.url);
    if (req.url === '/health') {
      res.statusCode = mode === 'unhealthy' ? 500 : 200;
      return res.end(mode === 'unhealthy' ? 'sick\\n' : 'ok\\n');
    }
    res.end('release ' + version + ' greeting ' + process.env.GREETING + ' dyno ' + process.env.DYNO + '\\n');
  }).listen(Number(process.env.PORT), () => console.log('listening on ' + process.env.PORT));
}
`;

const migrate = `
console.log('Migrating ' + process.env.RELEASE_VERSION + ' greeting ' + process.env.GREETING);
const code = Number(process.argv[2] || 0);
console.log(code ? 'relation "users" already exists' : 'done');
process.exit(code);
`;

const worker = `
process.on('SIGTERM', () => process.exit(0));
let n = 0;
console.log('worker up ' + process.env.RELEASE_VERSION);
setInterval(() => console.log('worker tick ' + ++n), 1000);
`;

function dockerfile(base: string, kind: AppImageKind): string {
  return [
    `FROM ${base}`,
    'WORKDIR /app',
    'COPY server.js migrate.js worker.js /app/',
    `ENV APP_MODE=${kind}`,
    'USER 1000:1000',
    'EXPOSE 5000',
    'CMD ["node", "/app/server.js"]',
    '',
  ].join('\n');
}

const built = new Map<string, Promise<string>>();

/** The image of the kind, by digest in the cluster's registry; built and pushed when the registry lacks it. */
export function appImage(kind: AppImageKind): Promise<string> {
  let image = built.get(kind);
  if (!image) {
    image = ensure(kind);
    built.set(kind, image);
  }
  return image;
}

async function ensure(kind: AppImageKind): Promise<string> {
  const { registry, mirror } = requireCluster();
  const files = { Dockerfile: dockerfile(`${mirror}/library/node:20-alpine`, kind), 'server.js': server, 'migrate.js': migrate, 'worker.js': worker };
  const hash = crypto.createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16);
  const repo = `paas-test/app-${kind}`;
  const known = await digestOf(registry, repo, hash);
  if (known) return `${registry}/${repo}@${known}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-kube-image-'));
  try {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    const tag = `${registry}/${repo}:${hash}`;
    await run('docker', ['build', '-q', '-t', tag, dir], { maxBuffer: 16 << 20 });
    await run('docker', ['push', tag], { maxBuffer: 16 << 20 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const digest = await digestOf(registry, repo, hash);
  if (!digest) throw new Error(`pushed ${registry}/${repo}:${hash}, but the registry does not list it`);
  return `${registry}/${repo}@${digest}`;
}

/** The digest the registry has for the tag (its Docker-Content-Digest), or undefined when it has no such tag. */
async function digestOf(registry: string, repo: string, tag: string): Promise<string | undefined> {
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
  });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`registry ${registry}: HEAD ${repo}:${tag} answered ${res.status}`);
  return res.headers.get('docker-content-digest') ?? undefined;
}
