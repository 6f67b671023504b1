import { ProviderError } from "@plumbline/integrations";

/** Result of one delivery attempt, before it is recorded. */
export type DeliveryResult =
  | { kind: "sent"; provider: string; providerMessageId: string | null; messageIdHeader?: string; data?: Record<string, unknown> }
  | { kind: "skipped"; reason: string }
  | { kind: "retry"; error: string; delaySeconds: number }
  | { kind: "failed"; reason: string; needsAttention?: { integrationId: string; reason: string } };

/** Queue retries back off from 30 s, doubling per attempt, up to an hour (so 8 retries span about two hours). */
const BASE_DELAY_SECONDS = 30;
const MAX_DELAY_SECONDS = 60 * 60;
/** Queues allow a message to be delayed by at most 12 hours. */
const QUEUE_MAX_DELAY_SECONDS = 12 * 60 * 60;

/**
 * Computes the wait before retry number `attempt` (1 for the first retry): exponential with full jitter, so many
 * messages failing together do not all come back at the same moment. A provider's Retry-After is a floor.
 */
export function retryDelaySeconds(attempt: number, retryAfterSeconds?: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.ceil(ceiling / 2 + random() * (ceiling / 2));
  return Math.min(QUEUE_MAX_DELAY_SECONDS, Math.max(jittered, retryAfterSeconds ?? 0));
}

/** Turns an adapter's error into the result to record: retry, or stop (and flag the integration when it must be fixed). */
export function resultFromError(error: unknown, attempt: number, integrationId: string | null): DeliveryResult {
  if (error instanceof ProviderError) {
    const summary = `${error.provider}${error.options.status ? ` ${error.options.status}` : ""}${error.options.providerCode ? ` ${error.options.providerCode}` : ""}: ${error.message}`;
    if (error.retryable) return { kind: "retry", error: summary, delaySeconds: retryDelaySeconds(attempt, error.options.retryAfterSeconds) };
    if (error.needsAttention && integrationId) {
      return { kind: "failed", reason: summary, needsAttention: { integrationId, reason: summary } };
    }
    return { kind: "failed", reason: summary };
  }
  // Anything else is our own fault or a platform hiccup: retrying is safe because the claim prevents a double send.
  return { kind: "retry", error: error instanceof Error ? error.message : String(error), delaySeconds: retryDelaySeconds(attempt) };
}
