import { errors, jwtVerify, SignJWT } from "jose";

/** Sessions last 14 days from sign-in; signing in again starts a new one. */
export const SESSION_LIFETIME_MS = 14 * 24 * 60 * 60 * 1000;
const ALGORITHM = "HS256";
const ISSUER = "plumbline";

export interface SessionClaims {
  userId: string;
  sessionId: string;
}

function keyOf(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Signs the session token the dashboard keeps in its cookie: `sub` is the user, `sid` the sessions row. */
export async function signSessionToken(secret: string, claims: SessionClaims, issuedAt: Date, expiresAt: Date): Promise<string> {
  return new SignJWT({ sid: claims.sessionId })
    .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(keyOf(secret));
}

/**
 * Verifies a session token's signature, algorithm (HS256 only, so `alg: none` or an RSA-signed token fails) and
 * expiry. Returns its claims, or null for any token that is not one of ours. The session row is checked separately.
 */
export async function verifySessionToken(secret: string, token: string): Promise<SessionClaims | null> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), { algorithms: [ALGORITHM], issuer: ISSUER, requiredClaims: ["sub", "sid", "exp"] });
    if (typeof payload.sub !== "string" || typeof payload.sid !== "string") return null;
    return { userId: payload.sub, sessionId: payload.sid };
  } catch (error) {
    if (error instanceof errors.JOSEError) return null;
    throw error;
  }
}
