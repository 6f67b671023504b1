import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Error codes the API responds with, each with its HTTP status. */
export const ERROR_STATUS = {
  invalid_request: 400,
  firm_required: 400,
  invalid_sign_in_link: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  rate_limited: 429,
  internal_error: 500,
  integration_test_failed: 502,
  misconfigured: 500,
  unavailable: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * An error the API responds with on purpose. The envelope is
 * `{"error": {"code", "message", "field"?, "details"?, "requestId"}}`, the same for every route.
 */
export class ApiError extends Error {
  override name = "ApiError";

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: { field?: string; details?: unknown; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
  }

  get status(): ContentfulStatusCode {
    return ERROR_STATUS[this.code];
  }

  get field(): string | undefined {
    return this.options.field;
  }

  toBody(requestId: string) {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.options.field ? { field: this.options.field } : {}),
        ...(this.options.details !== undefined ? { details: this.options.details } : {}),
        requestId,
      },
    };
  }
}

export const notFound = (what: string) => new ApiError("not_found", `${what} not found.`);
