// gitd/build-source.ts — serves a push's exported tree to its builder pod (Kubernetes mode):
// GET /internal/builds/:buildId/source.tar with `Authorization: Bearer <build token>`, mounted beside git smart HTTP.
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Knex } from 'knex';
import { bearerOf } from '../core/bearer.ts';
import { checkBuildToken, isUuid } from '../core/build-tokens.ts';
import type { ErrorCode } from '../core/errors.ts';

export interface BuildSourceDeps { db: Knex; dataDir: string }

/**
 * The archive pre-receive exported for a build.
 * Security boundary: the build id comes from the URL and becomes a path, so only a canonical UUID is accepted.
 */
export function archivePathOf(dataDir: string, buildId: string): string | undefined {
  return isUuid(buildId) ? path.join(dataDir, 'archives', `${buildId.toLowerCase()}.tar`) : undefined;
}

function refuse(reply: FastifyReply, status: number, code: ErrorCode, message: string): FastifyReply {
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="paas build source"');
  return reply.code(status).send({ error: { code, message } });
}

async function statFile(file: string): Promise<fs.Stats | undefined> {
  try {
    const stat = await fs.promises.stat(file);
    return stat.isFile() ? stat : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Registers the build-source route on the web server that serves git. */
export async function registerBuildSource(app: FastifyInstance, deps: BuildSourceDeps): Promise<void> {
  app.get<{ Params: { buildId: string } }>('/internal/builds/:buildId/source.tar', async (req, reply) => {
    const { buildId } = req.params;
    const file = archivePathOf(deps.dataDir, buildId);
    if (file === undefined) return refuse(reply, 404, 'E_BUILD_NOT_FOUND', 'Not a build id');
    // The token is checked before the file, so a caller without one learns nothing about which builds exist.
    if (!(await checkBuildToken(deps.db, buildId, bearerOf(req.headers.authorization) ?? ''))) {
      return refuse(reply, 401, 'E_UNAUTHENTICATED', 'Missing, wrong or expired build token');
    }
    const stat = await statFile(file);
    if (!stat) return refuse(reply, 404, 'E_BUILD_NOT_FOUND', `The source of build ${buildId} is gone`);
    return reply
      .type('application/x-tar')
      .header('content-length', stat.size)
      .header('cache-control', 'no-store')
      .send(fs.createReadStream(file));
  });
}
