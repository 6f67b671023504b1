import { findActiveApiKeyByHash, touchApiKey } from "@plumbline/db";
import { createMiddleware } from "hono/factory";
import type { HonoEnv } from "../context";
import { ApiError } from "../errors";
import { sha256Hex } from "../lib/crypto";

const LAST_USED_RESOLUTION_MS = 60 * 60 * 1000;
const KEY_FORMAT = /^pl_(live|test)_[A-Za-z0-9_-]{4,100}$/;

/** Authenticates `Authorization: Bearer <API key>` and sets the request's firm. */
export const requireApiKey = createMiddleware<HonoEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) {
    throw new ApiError("unauthorized", "Send the firm's API key as `Authorization: Bearer <key>`.", {
      headers: { "WWW-Authenticate": 'Bearer realm="plumbline"' },
    });
  }

  const key = match[1]!;
  const { db, logger } = c.get("services");
  const found = KEY_FORMAT.test(key) ? await findActiveApiKeyByHash(db, await sha256Hex(key)) : null;
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

  c.set("firmId", found.firmId);
  c.set("apiKeyId", found.id);
  c.set("services", { ...c.get("services"), logger: logger.with({ firmId: found.firmId, apiKeyId: found.id }) });
  await next();
});
