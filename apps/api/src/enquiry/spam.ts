import type { QuarantineReason } from "@plumbline/db";
import { incrementCounters, type Database, type Form } from "@plumbline/db";
import { verifyTurnstile } from "@plumbline/integrations";
import type { AppEnv } from "../env";
import { decryptSecret } from "../lib/crypto";
import type { Logger } from "../logger";

const HOUR_MS = 60 * 60 * 1000;

export interface SpamCheckInput {
  env: AppEnv;
  db: Database;
  logger: Logger;
  form: Form;
  honeypotFilled: boolean;
  clientHash: string;
  clientIp: string | undefined;
  turnstileToken: string | undefined;
  /** Sent to siteverify as its idempotency key, so a retried submission does not read as a spent token. */
  submissionKey: string;
  now: Date;
}

/**
 * Decides whether a submission is held back for review, and why. Checks run cheapest first; the rate limits count
 * every submission that reaches them, so a flood is held back even when each message looks human.
 */
export async function findQuarantineReason(input: SpamCheckInput): Promise<QuarantineReason | null> {
  if (input.honeypotFilled) return "honeypot";

  const windowStart = new Date(Math.floor(input.now.getTime() / HOUR_MS) * HOUR_MS);
  const window = windowStart.getTime();
  const [formCount, clientCount] = await incrementCounters(
    input.db,
    [`form:${input.form.id}:${window}`, `client:${input.form.id}:${input.clientHash}:${window}`],
    windowStart,
  );
  if ((clientCount ?? 0) > input.form.clientRateLimitPerHour) return "client_rate_limit";
  if ((formCount ?? 0) > input.form.formRateLimitPerHour) return "form_rate_limit";

  if (input.form.turnstileSecretEncrypted) {
    const secret = await decryptSecret(input.env.ENCRYPTION_KEY, input.form.turnstileSecretEncrypted);
    const verification = await verifyTurnstile({
      verifyUrl: input.env.TURNSTILE_VERIFY_URL,
      secret,
      token: input.turnstileToken,
      remoteIp: input.clientIp,
      idempotencyKey: input.submissionKey,
    });
    if (verification.outcome === "unavailable") {
      input.logger.warn("turnstile.unavailable", { formId: input.form.id, errorCodes: verification.errorCodes.join(",") });
      return "turnstile_unavailable";
    }
    if (verification.outcome === "failed") return "turnstile_failed";
  }

  return null;
}
