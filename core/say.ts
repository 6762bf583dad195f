// core/say.ts — the push-output callback: one line for the pushing user's terminal (a `remote:` line). The
// builders, the runtime drivers, the deployer and gitd's relay all take one.

/** Writes one line of push output. */
export type Say = (line: string) => void;
