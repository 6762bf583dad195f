// core/errors.ts — the one list of error codes, their HTTP status and meaning; every edge (push, SSH, API, CLI) renders PaasError.

/** Every stable error code, with the HTTP status the API answers and a one-line description (docs/errors.md mirrors this). */
export const errorCodes = {
  E_APP_NAME_INVALID: { status: 400, doc: 'App name is not a DNS label (a-z, 0-9, hyphens; 1-63 chars; no leading/trailing hyphen).' },
  E_APP_NAME_RESERVED: { status: 400, doc: 'That app name is reserved by the platform (paas, www, api, admin, git, dashboard and the like).' },
  E_APP_EXISTS: { status: 409, doc: 'An app with that name already exists.' },
  E_REVIEW_EXPIRY_INVALID: { status: 400, doc: 'A review-app expiry is never, or a duration between 1h and 365d (12h, 7d, 2w).' },
  E_REVIEW_APP_NESTED: { status: 400, doc: 'A review app cannot have review apps of its own; enable them on its parent.' },
  E_REVIEW_APP_NAME_TAKEN: { status: 409, doc: 'Every name a review app for that branch could take belongs to another app.' },
  E_APP_NOT_FOUND: { status: 404, doc: 'No such app, or you have no access to it.' },
  E_CONFIRM_REQUIRED: { status: 400, doc: 'A destructive command needs --confirm APP.' },
  E_CONFIG_KEY_INVALID: { status: 400, doc: 'Config keys must match [A-Z_][A-Z0-9_]*.' },
  E_CONFIG_KEY_NOT_FOUND: { status: 404, doc: 'That config key is not set on the app.' },
  E_CONFIG_VALUE_INVALID: { status: 400, doc: 'Config values must be given as KEY=VALUE, without NUL bytes; with --encoded, VALUE is strict base64 of UTF-8 text.' },
  E_USER_EXISTS: { status: 409, doc: 'A user with that email already exists.' },
  E_USER_NOT_FOUND: { status: 404, doc: 'No such user.' },
  E_EMAIL_INVALID: { status: 400, doc: 'Not a valid email address.' },
  E_PASSWORD_INVALID: { status: 400, doc: 'Password too short (at least 8 characters).' },
  E_KEY_INVALID: { status: 400, doc: 'Not a valid SSH public key.' },
  E_KEY_PRIVATE: { status: 400, doc: 'A private key was given where a public key belongs.' },
  E_KEY_WEAK: { status: 400, doc: 'Key type or size refused (only ed25519, ecdsa and rsa >= 2048 bits).' },
  E_KEY_EXISTS: { status: 409, doc: 'That key is already registered.' },
  E_KEY_NOT_FOUND: { status: 404, doc: 'No key with that fingerprint.' },
  E_TOKEN_NOT_FOUND: { status: 404, doc: 'No active API token with that id (of yours).' },
  E_UNAUTHENTICATED: { status: 401, doc: 'Missing or wrong credentials (token or key).' },
  E_FORBIDDEN: { status: 403, doc: 'That action is not allowed for your account.' },
  E_PROJECT_NAME_INVALID: { status: 400, doc: 'Project name is not a DNS label (a-z, 0-9, hyphens; 1-63 chars; no leading/trailing hyphen).' },
  E_PROJECT_EXISTS: { status: 409, doc: 'A project with that name already exists.' },
  E_PROJECT_NOT_FOUND: { status: 404, doc: 'No such project, or you are not a member of it.' },
  E_PROJECT_ROLE_INVALID: { status: 400, doc: 'A project role is owner, member or viewer.' },
  E_PROJECT_MEMBER_NOT_FOUND: { status: 404, doc: 'That user is not a member of the project.' },
  E_PROJECT_LAST_OWNER: { status: 409, doc: 'A project keeps at least one owner: add another owner before removing or demoting the last one.' },
  E_PROJECT_APP_INVALID: { status: 409, doc: 'The app is already in that project, or not in it (projects:remove).' },
  E_COLLABORATOR_INVALID: { status: 400, doc: 'Collaborator is already the owner or already added.' },
  E_COMMAND_UNKNOWN: { status: 400, doc: 'Unknown command; see --help.' },
  E_USAGE: { status: 400, doc: 'Wrong arguments for the command; see --help.' },
  E_REPO_PATH_INVALID: { status: 400, doc: 'The repository path is not <app>.git.' },
  E_PUSH_LOCKED: { status: 409, doc: 'Another push to this app is in progress.' },
  E_PUSH_REF_INVALID: { status: 400, doc: 'Only branches can be pushed (not tags or other refs).' },
  E_PUSH_DELETE_DEPLOY_BRANCH: { status: 400, doc: 'The deploy branch cannot be deleted.' },
  E_RUNTIME_UNKNOWN: { status: 422, doc: 'No supported runtime was detected in the pushed tree.' },
  E_RUNTIME_UNSUPPORTED: { status: 422, doc: 'The runtime was detected but cannot be built in this mode.' },
  E_PROCFILE_INVALID: { status: 422, doc: 'The Procfile could not be parsed.' },
  E_APP_JSON_INVALID: { status: 422, doc: 'app.json is not valid: not JSON (the message gives line and column), over 64 KiB, not UTF-8, or a key of the wrong type (the message names its path).' },
  E_APP_JSON_ENV_MISSING: { status: 422, doc: 'app.json requires a config var the app does not have and gives no default value; set it with config:set and push again.' },
  E_BUILD_FAILED: { status: 422, doc: 'A build step failed.' },
  E_BUILD_NOT_FOUND: { status: 404, doc: 'No such build.' },
  E_RELEASE_NOT_FOUND: { status: 404, doc: 'No such release.' },
  E_RELEASE_BOOT_FAILED: { status: 422, doc: 'The new release did not come up; the previous release keeps serving.' },
  E_RELEASE_PRUNED: { status: 410, doc: "That release's slug or image was deleted by retention (PAAS_SLUG_RETENTION); roll back to a newer release or push again." },
  E_QUOTA_EXCEEDED: { status: 413, doc: "The push would take the app's repo and slugs over its disk quota (PAAS_APP_QUOTA_MB)." },
  E_QUOTA_APPS: { status: 403, doc: 'Your plan allows no more apps: you own as many as it allows (the message names the plan and its limit); destroy one or ask an admin for a larger plan.' },
  E_QUOTA_INSTANCES: { status: 403, doc: "The app's plan allows fewer process instances in total (all types, and autoscaling maxima) than asked for; the message names the plan and its limit." },
  E_QUOTA_BUILD_MINUTES: { status: 403, doc: "The build minutes of the app's plan for this UTC calendar month are used up: the push is refused before building, or the running build was stopped at the limit." },
  E_QUOTA_DISK: { status: 413, doc: "The push would take the app's repo and slugs over its plan's disk per app; nothing was stored." },
  E_PLAN_NOT_FOUND: { status: 404, doc: 'No plan with that name.' },
  E_PLAN_EXISTS: { status: 409, doc: 'A plan with that name already exists.' },
  E_PLAN_INVALID: { status: 400, doc: "A plan's name or limit is not valid (limits: whole numbers from 0, build minutes with up to two decimals; none for unlimited)." },
  E_NO_RELEASE: { status: 409, doc: 'The app has no release yet: git push first.' },
  E_PROCESS_TYPE_UNKNOWN: { status: 400, doc: 'No such process type in the current release.' },
  E_FORMATION_APP_JSON: { status: 409, doc: "The app's formation is set by app.json in its repo (Dokku's rule): ps:scale is refused; change app.json and push." },
  E_FORMATION_AUTOSCALED: { status: 409, doc: 'That process type is autoscaled (ps:autoscale): its instance count is the autoscaler\'s; turn it off with ps:autoscale:off first.' },
  E_AUTOSCALE_INVALID: { status: 400, doc: 'Autoscaling needs whole numbers: --min from 1, --max from --min up to 99 (the instance cap of ps:scale), --cpu from 1 to 100 (% of the requested CPU).' },
  E_AUTOSCALE_UNAVAILABLE: { status: 501, doc: 'Autoscaling (ps:autoscale) needs Kubernetes mode (PAAS_RUNTIME=kubernetes): the local and Docker runtimes have no autoscaler.' },
  E_RUN_LIMIT: { status: 429, doc: 'The app already runs as many one-off processes (`run`) as it may at once (PAAS_RUN_MAX_PER_APP); wait for one to end.' },
  E_RUN_UNAVAILABLE: { status: 501, doc: '`run` (one-off processes) is not available in this mode or for this release yet.' },
  E_DOMAIN_INVALID: { status: 400, doc: 'Not a valid hostname.' },
  E_DOMAIN_IP: { status: 400, doc: 'An IP address (v4 or v6, in any form a browser accepts) cannot be a custom domain.' },
  E_DOMAIN_RESERVED: { status: 400, doc: "The host is the platform's own: its base domain or a name under it, or the dashboard's host." },
  E_DOMAIN_NOT_FOUND: { status: 404, doc: 'That domain is not attached to the app.' },
  E_DOMAIN_EXISTS: { status: 409, doc: 'That domain is already attached to an app.' },
  E_DOMAIN_LIMIT: { status: 409, doc: 'The app has as many custom domains as an app may have (50); remove one first.' },
  E_CERT_INVALID: { status: 400, doc: 'The uploaded certificate cannot be used: no PEM certificate, unparseable, out of order, not yet valid, or naming no DNS host.' },
  E_CERT_EXPIRED: { status: 400, doc: 'The uploaded certificate has expired.' },
  E_CERT_KEY_INVALID: { status: 400, doc: 'The private key could not be read (it must be an unencrypted PEM key).' },
  E_CERT_KEY_MISMATCH: { status: 400, doc: 'The private key does not belong to the uploaded certificate.' },
  E_CERT_KEY_WEAK: { status: 400, doc: 'Key type or size refused for a certificate (RSA of 2048 to 4096 bits, or EC on P-256 or P-384).' },
  E_CERT_NOT_FOUND: { status: 404, doc: 'The app has no uploaded certificate.' },
  E_HOOK_URL_INVALID: { status: 400, doc: 'The webhook URL is not an http:// or https:// URL, holds a user name or password, is longer than 2048 characters, or its host does not resolve.' },
  E_HOOK_URL_REFUSED: { status: 400, doc: "The webhook URL's host is (or resolves to) a loopback, private, link-local, reserved or cloud-metadata address, which the platform does not send to unless its operator allows private targets." },
  E_HOOK_EVENTS_INVALID: { status: 400, doc: 'Unknown webhook event name; the events are push, release.created, deploy.succeeded and deploy.failed.' },
  E_HOOK_LIMIT: { status: 409, doc: 'The app already has the most webhooks it may have (10).' },
  E_HOOK_REDELIVER_LIMIT: { status: 409, doc: 'The webhook already has 5 redeliveries waiting to be sent; redeliver again once they are through.' },
  E_HOOK_NOT_FOUND: { status: 404, doc: 'No webhook (or delivery) with that id on the app.' },
  E_SOURCE_URL_INVALID: { status: 400, doc: 'Not a repository URL or branch the platform fetches from: https://, http://, ssh://, git:// or user@host:path, no credentials, no local paths, options or remote helpers (file://, ext::).' },
  E_SOURCE_URL_REFUSED: { status: 400, doc: "The repository's host is (or resolves to) a loopback, private, link-local, reserved or cloud-metadata address, which the platform does not fetch from unless its operator allows private sources (PAAS_GIT_SOURCES_ALLOW_PRIVATE; metadata addresses never)." },
  E_SOURCE_NOT_CONNECTED: { status: 404, doc: 'The app is not connected to a Git host repository (git:connect).' },
  E_SOURCE_FETCH_FAILED: { status: 502, doc: "gitd could not fetch the connected repository's branch (unreachable, refused, no access for the deploy key, over the size limit or the time limit); the delivery log gives git's reason." },
  E_WEBHOOK_SIGNATURE: { status: 401, doc: "The webhook's signature is missing or does not match the app's webhook secret." },
  E_WEBHOOK_REPLAY: { status: 409, doc: 'A webhook delivery with that id was received already and did not fail (deployed, in progress, ignored or answered); only a failed delivery may be redelivered.' },
  E_WEBHOOK_BUSY: { status: 503, doc: 'Too many webhook deliveries are being received at once (32); the answer carries Retry-After, and the delivery may be sent again.' },
  E_WEBHOOK_INVALID: { status: 400, doc: 'The webhook is not one the platform reads: no delivery id, or a push payload without ref and after.' },
  E_DATABASE_UNAVAILABLE: { status: 503, doc: 'The database is not reachable; is the platform running?' },
  E_BUS_UNAVAILABLE: { status: 503, doc: 'The event bus (NATS) is not reachable; nothing was deployed.' },
  E_CSRF: { status: 403, doc: 'The form was not sent from this dashboard (missing or wrong CSRF token); reload the page and try again.' },
  E_RATE_LIMITED: { status: 429, doc: 'Too many failed sign-ins, or too many provider sign-ins started from one address; wait a few minutes before trying again.' },
  E_SIGNUPS_CLOSED: { status: 403, doc: 'Sign-ups are closed on this platform; ask an admin for an account.' },
  E_SETUP_REQUIRED: { status: 403, doc: 'No admin yet: open the one-time set-up link the platform printed at start.' },
  E_SETUP_TOKEN_INVALID: { status: 403, doc: 'Not the current set-up link; each start prints a new one.' },
  E_SIGNIN_PROVIDER_UNKNOWN: { status: 404, doc: 'No sign-in provider with that id is configured (PAAS_OIDC_PROVIDERS).' },
  E_SIGNIN_DENIED: { status: 403, doc: 'You declined (or the provider refused) the sign-in at the provider; nothing was changed.' },
  E_SIGNIN_INVALID: { status: 400, doc: "The provider's answer does not match the sign-in this browser started (state or nonce mismatch, or it expired after 10 minutes); start again." },
  E_SIGNIN_FAILED: { status: 502, doc: 'The sign-in provider could not be reached or gave an answer the platform could not use.' },
  E_EMAIL_UNVERIFIED: { status: 403, doc: "The provider does not vouch for the account's email (email_verified is not true); verify it there first." },
  E_PASSWORD_SIGNIN_OFF: { status: 403, doc: 'An admin turned password sign-in off; sign in with one of the listed providers.' },
  E_NO_SIGNIN_PROVIDER: { status: 409, doc: 'Password sign-in cannot be turned off while no sign-in provider is configured.' },
  E_INVITE_INVALID: { status: 403, doc: 'The invite link was used, expired or was revoked; ask an admin for a new one.' },
  E_SINGLE_TENANT: { status: 403, doc: 'Single-tenant mode (no sandbox): only admins can create apps, and sign-ups stay closed.' },
  E_SESSION_EXPIRED: { status: 401, doc: 'Your session has expired or was signed out; sign in again.' },
  E_NOT_FOUND: { status: 404, doc: 'No such route.' },
  E_BAD_REQUEST: { status: 400, doc: 'The request is not valid (its body, query string or path); the message names the part.' },
  E_INPUT_TOO_LARGE: { status: 413, doc: 'The input (standard input, or a request body) is larger than the platform accepts there.' },
  E_REQUEST_TIMEOUT: { status: 408, doc: 'The request headers did not arrive in time, or its body stopped arriving or arrived below the minimum rate; the connection is closed.' },
  E_HEADERS_TOO_LARGE: { status: 431, doc: 'The request headers are larger than the platform accepts.' },
  E_UNSUPPORTED_MEDIA_TYPE: { status: 415, doc: 'The request body has a content type this route does not accept.' },
  E_INTERNAL: { status: 500, doc: 'Unexpected failure; the message carries a reference to the server log.' },
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** The one error type the platform raises on purpose; `code` is stable, `message` is for humans. */
export class PaasError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PaasError';
    this.code = code;
  }

  get status(): number {
    return errorCodes[this.code].status;
  }
}

/** True when err is a PaasError, optionally with the given code. */
/** The refusal of ps:autoscale outside Kubernetes mode: the one wording (services/autoscaling.ts and the local and Docker drivers use it). */
export function autoscaleUnavailable(mode: string): PaasError {
  return new PaasError('E_AUTOSCALE_UNAVAILABLE', `Autoscaling needs Kubernetes mode (PAAS_RUNTIME=kubernetes); this platform runs in ${mode} mode. Use ps:scale to set instance counts`);
}

export function isPaasError(err: unknown, code?: ErrorCode): err is PaasError {
  return err instanceof PaasError && (code === undefined || err.code === code);
}

/** The stable code for a 4xx the HTTP framework raised itself (body parsing and size): over-large, wrong type, or else bad. */
export function frameworkErrorCode(status: number): 'E_INPUT_TOO_LARGE' | 'E_UNSUPPORTED_MEDIA_TYPE' | 'E_NOT_FOUND' | 'E_BAD_REQUEST' {
  if (status === 413) return 'E_INPUT_TOO_LARGE';
  if (status === 415) return 'E_UNSUPPORTED_MEDIA_TYPE';
  return status === 404 ? 'E_NOT_FOUND' : 'E_BAD_REQUEST';
}
