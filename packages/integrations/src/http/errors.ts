/**
 * An outside service failed. `retryable` says whether trying again later can help: true for timeouts, network
 * errors, 429 and 5xx; false for rejected credentials or requests. `needsAttention` marks failures that no
 * message can get past until a person fixes the integration (revoked key, deleted or archived channel), as
 * opposed to a problem with one message (a suppressed recipient).
 */
export class ProviderError extends Error {
  override name = "ProviderError";

  constructor(
    readonly provider: string,
    message: string,
    readonly options: {
      retryable: boolean;
      needsAttention?: boolean;
      status?: number;
      retryAfterSeconds?: number;
      /** The provider's own error code or text, such as Postmark's ErrorCode or Slack's `channel_not_found`. */
      providerCode?: string;
      cause?: unknown;
    },
  ) {
    super(message, { cause: options.cause });
  }

  get retryable(): boolean {
    return this.options.retryable;
  }

  get needsAttention(): boolean {
    return this.options.needsAttention ?? false;
  }
}

/** Reads `Retry-After` as seconds; it may be a number of seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
