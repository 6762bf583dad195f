// test/support/kube-stand-in/errors.ts — API errors of the stand-in, answered as Kubernetes Status objects.

/** An error the stand-in answers with a Status body and its HTTP code (404 NotFound, 409 Conflict…). */
export class ApiError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string, readonly details?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
  }

  /** The Status object the real API server sends. */
  toStatus(): Record<string, unknown> {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, details: this.details, code: this.code };
  }
}

export const notFound = (kind: string, name: string) =>
  new ApiError(404, 'NotFound', `${kind.toLowerCase()}s "${name}" not found`, { name, kind: `${kind.toLowerCase()}s` });
