/**
 * Errors that cross the HTTP boundary. The names and status codes are Backstage's
 * (COMPAT.md §5.1) because `@backstage/catalog-client` keys its behaviour on them.
 */
export class AtriumError extends Error {
  readonly statusCode: number = 500;
  override readonly cause?: Error;
  /** Extra fields for the error body (a denial's permission and reason); never secrets. */
  details?: Record<string, unknown>;
  constructor(message: string, cause?: unknown) {
    super(
      cause instanceof Error ? `${message}; caused by ${cause.name}: ${cause.message}` : message,
    );
    if (cause instanceof Error) this.cause = cause;
    this.name = new.target.name;
  }
}

export class InputError extends AtriumError {
  override readonly statusCode = 400;
}
export class AuthenticationError extends AtriumError {
  override readonly statusCode = 401;
}
export class NotAllowedError extends AtriumError {
  override readonly statusCode = 403;
}

/** A permission denial: the body names the permission and why (`details.reason`). */
export function permissionDenied(
  permission: string,
  reason: { message: string; rule?: string; source?: string },
): NotAllowedError {
  const error = new NotAllowedError(`You need ${permission}: ${reason.message}`);
  error.details = { permission, reason };
  return error;
}
export class NotFoundError extends AtriumError {
  override readonly statusCode = 404;
}
export class ConflictError extends AtriumError {
  override readonly statusCode = 409;
}
export class NotImplementedError extends AtriumError {
  override readonly statusCode = 501;
}
export class ServiceUnavailableError extends AtriumError {
  override readonly statusCode = 503;
}

export interface SerializedError {
  name: string;
  message: string;
  cause?: SerializedError;
  [key: string]: unknown;
}

export function serializeError(error: Error): SerializedError {
  const details = error instanceof AtriumError ? error.details : undefined;
  const out: SerializedError = { ...details, name: error.name, message: error.message };
  if (error.cause instanceof Error) out.cause = serializeError(error.cause);
  return out;
}
