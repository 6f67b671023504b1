import { newId, normaliseEmail } from "@plumbline/core";
import {
  acceptInvitation,
  consumeSignInToken,
  findInvitationForToken,
  findUser,
  findUserByEmail,
  incrementCounters,
  insertSession,
  revokeSession,
  type Database,
  type SignInToken,
} from "@plumbline/db";
import type { Hono } from "hono";
import { z } from "zod";
import { sendPlatformEmail } from "../auth/platform-mail";
import { SESSION_LIFETIME_MS, signSessionToken } from "../auth/session-token";
import { issueSignInToken, signInEmail, verifyUrl } from "../auth/sign-in-link";
import type { HonoEnv, Services } from "../context";
import { ApiError } from "../errors";
import { hmacSha256Hex, sha256Hex } from "../lib/crypto";
import { maskEmail } from "../logger";
import { requireSession } from "../middleware/session";
import { parseJsonBody, strictObject } from "./v1_settings";

/** Links sent to one address per window; more requests still get 202 but send nothing. */
export const SIGN_IN_LINKS_PER_WINDOW = 5;
const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;
const ONE_TIME_TOKEN = /^[A-Za-z0-9_-]{43}$/;

const linkSchema = strictObject({
  email: z.string({ error: "must be an email address" }).max(320, { error: "must be at most 320 characters" }),
  next: z
    .string({ error: "must be a path starting with /" })
    .max(500, { error: "must be at most 500 characters" })
    // A path on the dashboard only: "//host" and "/\host" would send the person to another site.
    .regex(/^\/(?![/\\])[^\s\\]*$/, { error: "must be a path on the dashboard starting with a single /" })
    .optional(),
});

const sessionSchema = strictObject({ token: z.string({ error: "must be the token from the sign-in link" }).max(200) });

const invalidLink = () =>
  new ApiError("invalid_sign_in_link", "This sign-in link is invalid, expired or already used. Ask for a new one.", { field: "token" });

/** Counts a request for a link to this address; the key is an HMAC so that the counters table stores no addresses. */
async function withinLinkLimit(services: Services, email: string, now: Date): Promise<boolean> {
  const windowStart = new Date(Math.floor(now.getTime() / SIGN_IN_WINDOW_MS) * SIGN_IN_WINDOW_MS);
  const addressKey = await hmacSha256Hex(services.env.CLIENT_HASH_KEY, `sign-in:${email}`);
  const [count] = await incrementCounters(services.db, [`sign-in:${addressKey}:${windowStart.getTime()}`], windowStart);
  return (count ?? 0) <= SIGN_IN_LINKS_PER_WINDOW;
}

/** Sends a sign-in link when the address belongs to a user; does nothing otherwise, so the response is the same for both. */
async function sendSignInLink(services: Services, email: string, next: string | undefined, now: Date): Promise<void> {
  const { env, db, logger } = services;
  const user = await findUserByEmail(db, email);
  if (!user) {
    logger.info("sign_in.unknown_address", { to: maskEmail(email) });
    return;
  }
  const token = await issueSignInToken(db, user, now);
  const content = signInEmail(user.name, verifyUrl(env.DASHBOARD_URL, token, next));
  await sendPlatformEmail(env, db, logger, { kind: "sign_in_link", to: { email: user.email, name: user.name }, ...content });
}

/** Finds or creates the user a spent token signs in: the token's user, or for an invitation the invited person. */
async function userForToken(db: Database, token: SignInToken, now: Date) {
  if (token.purpose === "sign_in") return token.userId ? findUser(db, token.userId) : null;

  const invitation = token.invitationId ? await findInvitationForToken(db, token.invitationId) : null;
  if (!invitation || invitation.revokedAt || invitation.acceptedAt) return null;
  const localPart = invitation.email.slice(0, invitation.email.lastIndexOf("@"));
  return acceptInvitation(db, invitation, { id: newId("user", now.getTime()), name: localPart }, now);
}

/**
 * Registers sign-in: `POST /v1/auth/sign-in-links` emails a one-time link, `POST /v1/auth/sessions` spends it for a
 * session token, `DELETE /v1/auth/sessions/current` signs out.
 */
export function registerAuthRoutes(app: Hono<HonoEnv>) {
  app.post("/v1/auth/sign-in-links", async (c) => {
    const services = c.get("services");
    const body = await parseJsonBody(c, linkSchema);
    const normalised = normaliseEmail(body.email);
    if (typeof normalised === "string") {
      throw new ApiError("validation_failed", "email must be a valid email address, such as name@firm.example.", { field: "email" });
    }

    const now = new Date();
    if (!(await withinLinkLimit(services, normalised.key, now))) {
      services.logger.warn("sign_in.rate_limited", { to: maskEmail(normalised.key) });
      return c.json({ status: "sent" }, 202);
    }
    // Sent after the response, so a known and an unknown address take the same time to respond to.
    c.executionCtx.waitUntil(
      sendSignInLink(services, normalised.key, body.next, now).catch((error) => services.logger.error("sign_in.link_failed", error, { to: maskEmail(normalised.key) })),
    );
    return c.json({ status: "sent" }, 202);
  });

  app.post("/v1/auth/sessions", async (c) => {
    const { env, db, logger } = c.get("services");
    const body = await parseJsonBody(c, sessionSchema);
    if (!ONE_TIME_TOKEN.test(body.token)) throw invalidLink();

    const now = new Date();
    const spent = await consumeSignInToken(db, await sha256Hex(body.token), now);
    if (!spent) throw invalidLink();
    const user = await userForToken(db, spent, now);
    if (!user) throw invalidLink();

    const sessionId = newId("ses", now.getTime());
    const expiresAt = new Date(now.getTime() + SESSION_LIFETIME_MS);
    await insertSession(db, { id: sessionId, userId: user.id, createdAt: now, expiresAt });
    const token = await signSessionToken(env.SESSION_SIGNING_KEY, { userId: user.id, sessionId }, now, expiresAt);
    logger.info("session.created", { userId: user.id, sessionId, purpose: spent.purpose });
    return c.json(
      { session: { token, expiresAt: expiresAt.toISOString() }, user: { id: user.id, email: user.email, name: user.name } },
      201,
    );
  });

  app.delete("/v1/auth/sessions/current", requireSession, async (c) => {
    const { db, logger } = c.get("services");
    const { sessionId } = c.get("signedIn");
    await revokeSession(db, sessionId, new Date());
    logger.info("session.revoked", { sessionId });
    return c.body(null, 204);
  });
}
