// core/build-tokens.ts — short-lived, single-build tokens that let a builder pod fetch its pushed source from gitd.
// The controller creates one per build (Kubernetes mode); gitd's source route checks it. Only a SHA-256 of the
// token is stored, so a database read does not hand out working tokens.
import crypto from 'node:crypto';
import type { Knex } from 'knex';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when s is a UUID in its canonical text form (build ids are; they also become paths). */
export function isUuid(s: string): boolean {
  return uuidPattern.test(s);
}

function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Creates the build's source token (valid ttlSeconds), replacing any earlier one; returns it in clear, once. */
export async function createBuildToken(db: Knex, buildId: string, ttlSeconds = 900): Promise<string> {
  const token = crypto.randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
  await db('build_tokens')
    .insert({ build_id: buildId, token_hash: hashToken(token), expires_at: expiresAt })
    .onConflict('build_id')
    .merge(['token_hash', 'expires_at']);
  return token;
}

/** True when token is the build's current token and has not expired; compared in constant time. */
export async function checkBuildToken(db: Knex, buildId: string, token: string): Promise<boolean> {
  if (!isUuid(buildId) || token === '') return false;
  const row = await db('build_tokens')
    .where({ build_id: buildId })
    .andWhere('expires_at', '>', new Date())
    .first<{ token_hash: string } | undefined>('token_hash');
  if (!row) return false;
  const expected = Buffer.from(row.token_hash, 'hex');
  const given = Buffer.from(hashToken(token), 'hex');
  return expected.length === given.length && crypto.timingSafeEqual(expected, given);
}
