import { findActiveSession, touchSession } from "@plumbline/db";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { verifySessionToken } from "../auth/session-token";
import type { HonoEnv } from "../context";
import { ApiError } from "../errors";

const LAST_SEEN_RESOLUTION_MS = 5 * 60 * 1000;

/** A signed-in person, as the session token and its row establish. */
export interface SignedInUser {
  user: { id: string; email: string; name: string };
  sessionId: string;
}

/** Reads the bearer token of the Authorization header; throws 401 when there is none. */
export function bearerToken(c: Context<HonoEnv>, expected: string): string {
  const match = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
  if (!match) {
    throw new ApiError("unauthorized", `Send ${expected} as \`Authorization: Bearer <token>\`.`, {
      headers: { "WWW-Authenticate": 'Bearer realm="plumbline"' },
    });
  }
  return match[1]!;
}

/**
 * Checks a session token: its signature and expiry, then its row, so a revoked session fails on the very next
 * request. Throws 401 for any token that does not name a live session.
 */
export async function authenticateSession(c: Context<HonoEnv>, token: string): Promise<SignedInUser> {
  const { env, db, logger } = c.get("services");
  const claims = await verifySessionToken(env.SESSION_SIGNING_KEY, token);
  const now = new Date();
  const found = claims ? await findActiveSession(db, claims.sessionId, claims.userId, now) : null;
  if (!found) {
    throw new ApiError("unauthorized", "The session is invalid, expired or signed out. Sign in again.", {
      headers: { "WWW-Authenticate": 'Bearer realm="plumbline", error="invalid_token"' },
    });
  }

  const lastSeen = found.session.lastSeenAt;
  if (!lastSeen || now.getTime() - lastSeen.getTime() > LAST_SEEN_RESOLUTION_MS) {
    c.executionCtx.waitUntil(
      touchSession(db, found.session.id, now).catch((error) => logger.error("session.touch_failed", error, { sessionId: found.session.id })),
    );
  }
  return { user: found.user, sessionId: found.session.id };
}

/** Requires a signed-in person (a session token, not an API key) on routes that belong to no single firm. */
export const requireSession = createMiddleware<HonoEnv>(async (c, next) => {
  const signedIn = await authenticateSession(c, bearerToken(c, "the session token"));
  c.set("signedIn", signedIn);
  c.set("services", { ...c.get("services"), logger: c.get("services").logger.with({ userId: signedIn.user.id }) });
  await next();
});
