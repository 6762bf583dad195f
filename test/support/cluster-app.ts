// test/support/cluster-app.ts — a tiny web app image for the real-cluster tests: built by the Docker Engine FROM the
// test registry's node base (a numeric non-root user, as the pods require), pushed to the test registry, tagged by
// its content so a second run reuses it. It answers 200 on every path but /ready (503: a readiness check that fails).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { gitArchive, testDocker } from './docker.ts';

/** The app: 200 on every path but /ready, which answers 503 (a readiness check that never passes). */
const server = `require('http').createServer((q, s) => { s.statusCode = q.url === '/ready' ? 503 : 200; s.end('ok\\n'); }).listen(Number(process.env.PORT || 5000));\n`;

/** Follows a build or push stream of the Engine to its end; rejects with the first error it reports. */
function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: Array<{ error?: string }>) => {
      const failed = err?.message ?? events.find((e) => e.error)?.error;
      if (failed) reject(new Error(failed)); else resolve();
    });
  });
}

/** Builds the app's image FROM the mirror's node base (numeric non-root user) and pushes it to the test registry. */
export async function pushAppImage(registry: string, mirror: string): Promise<string> {
  const dockerfile = `FROM ${mirror}/library/node:20-alpine\nCOPY server.js /app/server.js\nUSER 10001:10001\nCMD ["node", "/app/server.js"]\n`;
  const tag = `${registry}/paas-test/probe-app:${crypto.createHash('sha256').update(dockerfile + server).digest('hex').slice(0, 16)}`;
  const docker = testDocker();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-probe-app-'));
  try {
    const context = await gitArchive(dir, { Dockerfile: dockerfile, 'server.js': server });
    await follow(docker, await docker.buildImage(fs.createReadStream(context), { t: tag, rm: true, pull: false }));
    await follow(docker, await docker.getImage(tag).push({ authconfig: { serveraddress: registry } })); // plain HTTP, no credentials
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return tag;
}
