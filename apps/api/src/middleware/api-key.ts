import { findActiveApiKeyByHash, touchApiKey } from "@plumbline/db";
import type { Context } from "hono";
import type { HonoEnv } from "../context";
import { ApiError } from "../errors";
import { sha256Hex } from "../lib/crypto";

const LAST_USED_RESOLUTION_MS = 60 * 60 * 1000;
export const API_KEY_FORMAT = /^pl_(live|test)_[A-Za-z0-9_-]{4,100}$/;

/** Tells API keys (`pl_live_…`, `pl_test_…`) apart from session tokens, which are JWTs. */
export function looksLikeApiKey(token: string): boolean {
  return token.startsWith("pl_live_") || token.startsWith("pl_test_");
}

/** Finds the firm of an API key sent as a bearer token; throws 401 when it is unknown or revoked. */
export async function authenticateApiKey(c: Context<HonoEnv>, key: string): Promise<{ firmId: string; apiKeyId: string }> {
  const { db, logger } = c.get("services");
  const found = API_KEY_FORMAT.test(key) ? await findActiveApiKeyByHash(db, await sha256Hex(key)) : null;
  if (!found) {
    throw new ApiError("unauthorized", "The API key is invalid or has been revoked.", {
      headers: { "WWW-Authenticate": 'Bearer realm="plumbline", error="invalid_token"' },
    });
  }

  // Recorded at most hourly, so settings can show stale keys without a write on every request.
  const now = new Date();
  if (!found.lastUsedAt || now.getTime() - found.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    c.executionCtx.waitUntil(
      touchApiKey(db, found.firmId, found.id, now).catch((error) => logger.error("api_key.touch_failed", error, { apiKeyId: found.id })),
    );
  }
  return { firmId: found.firmId, apiKeyId: found.id };
}
