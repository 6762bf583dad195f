// core/bearer.ts — the bearer token of an Authorization header: the API's tokens, build tokens and the metrics token
// are all read through it, so every face accepts the same spelling.

/** The token of `Authorization: Bearer <token>` (scheme case-insensitive), or undefined. */
export function bearerOf(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
}
