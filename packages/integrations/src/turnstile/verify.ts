import { z } from "zod";

/** Server-side check of a Turnstile token against the siteverify endpoint. */
export interface TurnstileVerification {
  /** `unavailable` means siteverify could not be reached or returned an error, so nothing is known. */
  outcome: "passed" | "failed" | "unavailable";
  errorCodes: string[];
  hostname?: string;
}

const siteverifyResponse = z.object({
  success: z.boolean(),
  "error-codes": z.array(z.string()).optional(),
  hostname: z.string().optional(),
  action: z.string().optional(),
});

/** Tokens and the wait for siteverify: Cloudflare documents tokens as at most 2,048 characters. */
const MAX_TOKEN_LENGTH = 2048;
const TIMEOUT_MS = 5000;

export interface VerifyTurnstileInput {
  /** Base URL of siteverify, from configuration, so tests can point it at a local fake. */
  verifyUrl: string;
  secret: string;
  token: string | undefined;
  remoteIp?: string | undefined;
  /** Sent as `idempotency_key`, so that a retried check of the same token is not reported as spent. */
  idempotencyKey?: string;
  fetcher?: typeof fetch;
}

/** Verifies a token. A provider problem (network, timeout, HTTP error, bad JSON) is returned as `unavailable`, not thrown. */
export async function verifyTurnstile(input: VerifyTurnstileInput): Promise<TurnstileVerification> {
  if (!input.token) return { outcome: "failed", errorCodes: ["missing-input-response"] };
  if (input.token.length > MAX_TOKEN_LENGTH) return { outcome: "failed", errorCodes: ["invalid-input-response"] };

  const form = new URLSearchParams({ secret: input.secret, response: input.token });
  if (input.remoteIp) form.set("remoteip", input.remoteIp);
  if (input.idempotencyKey) form.set("idempotency_key", input.idempotencyKey);

  const fetcher = input.fetcher ?? fetch;
  let response: Response;
  try {
    response = await fetcher(input.verifyUrl, {
      method: "POST",
      body: form,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    return { outcome: "unavailable", errorCodes: ["network-error"] };
  }

  if (!response.ok) return { outcome: "unavailable", errorCodes: [`http-${response.status}`] };

  const parsed = siteverifyResponse.safeParse(await response.json().catch(() => null));
  if (!parsed.success) return { outcome: "unavailable", errorCodes: ["malformed-response"] };

  const errorCodes = parsed.data["error-codes"] ?? [];
  // "internal-error" is Cloudflare's own fault, so the token's worth is unknown rather than bad.
  if (!parsed.data.success && errorCodes.includes("internal-error")) return { outcome: "unavailable", errorCodes };

  return {
    outcome: parsed.data.success ? "passed" : "failed",
    errorCodes,
    ...(parsed.data.hostname ? { hostname: parsed.data.hostname } : {}),
  };
}
