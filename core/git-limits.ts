// core/git-limits.ts — the connection and resource limits of git and SSH (issue 8 §5), read once at boot by
// core/config.ts; docs/limits.md lists each setting, its default and what a client sees when it is hit.
import { positiveNumber, wholeNumber } from './env-numbers.ts';

export interface GitLimits {
  /** PAAS_SSH_HANDSHAKE_TIMEOUT (s): a connection not signed in by then is closed (banner-only floods). */
  sshHandshakeTimeoutMs: number;
  /** PAAS_SSH_MAX_PER_ADDRESS: open SSH connections per client address; the next is closed at once. */
  sshMaxPerAddress: number;
  /** PAAS_SSH_MAX_CONNECTIONS: open SSH connections in all; the next is closed at once. */
  sshMaxConnections: number;
  /** PAAS_SSH_IDLE_TIMEOUT (s): a signed-in connection with no traffic this long is closed (not during a build). */
  sshIdleTimeoutMs: number;
  /** PAAS_SSH_KEEPALIVE (s): the server pings a quiet client this often; 3 unanswered pings end the connection. */
  sshKeepaliveMs: number;
  /** PAAS_MAX_PUSH_MB: git's receive.maxInputSize, the largest pack a push may send. */
  maxPushBytes: number;
  /** PAAS_APP_QUOTA_MB: an app's repo plus its kept slugs; a push that would go over is refused. */
  appQuotaBytes: number;
  /** PAAS_SLUG_RETENTION: slugs kept per app (newest builds); older ones are deleted after a deploy. */
  slugRetention: number;
}

const MB = 1024 * 1024;
const positive = (env: NodeJS.ProcessEnv, name: string, fallback: number) => positiveNumber(name, env[name], fallback);
const count = (env: NodeJS.ProcessEnv, name: string, fallback: number) => wholeNumber(name, env[name], fallback);

/** Reads the limits from the environment, with the defaults of docs/limits.md. */
export function loadGitLimits(env: NodeJS.ProcessEnv): GitLimits {
  return Object.freeze({
    sshHandshakeTimeoutMs: positive(env, 'PAAS_SSH_HANDSHAKE_TIMEOUT', 20) * 1000,
    sshMaxPerAddress: count(env, 'PAAS_SSH_MAX_PER_ADDRESS', 32),
    sshMaxConnections: count(env, 'PAAS_SSH_MAX_CONNECTIONS', 512),
    sshIdleTimeoutMs: positive(env, 'PAAS_SSH_IDLE_TIMEOUT', 600) * 1000,
    sshKeepaliveMs: positive(env, 'PAAS_SSH_KEEPALIVE', 15) * 1000,
    maxPushBytes: Math.floor(positive(env, 'PAAS_MAX_PUSH_MB', 256) * MB),
    appQuotaBytes: Math.floor(positive(env, 'PAAS_APP_QUOTA_MB', 2048) * MB),
    slugRetention: count(env, 'PAAS_SLUG_RETENTION', 5),
  });
}

/** Bytes as the messages show them: "1.5 MB". */
export function formatMb(bytes: number): string {
  const mb = bytes / MB;
  return `${mb >= 10 ? Math.round(mb) : Math.round(mb * 10) / 10} MB`;
}
