// test/support/first-line.ts — the push's first line names its build id and trace id (controller/builder.ts
// firstLine); tests that compare exact lines compare it without them, and check the ids' shape where they matter.

/** ` (build id <uuid>, trace <32 hex>)` at the end of the first line (the trace is absent where no tracer runs). */
export const idsSuffix = / \(build id [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:, trace [0-9a-f]{32})?\)$/;

/** The line without the ids: `-----> Building shop (build 1) from main at abc1234`. */
export function withoutIds(line: string): string {
  return line.replace(idsSuffix, '');
}
