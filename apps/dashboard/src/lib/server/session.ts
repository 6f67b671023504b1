import type { Cookies } from "@sveltejs/kit";
import { isLoopbackHost } from "./config";

export const SESSION_COOKIE = "pl_session";

/** The dashboard's view of a session. The API checks the token on every call; the dashboard only carries it. */
export interface Session {
  token: string;
  /**
   * `user` for a signed-in person's session token. `api_key` when the cookie contains an API key, as local
   * development and the browser tests use (`pl_test_demo`), so the API acts as the key's firm.
   */
  kind: "user" | "api_key";
  /** The JWT's `sid` claim, or for an API key the key itself: the value the CSRF token is bound to. */
  sessionId: string;
}

const API_KEY_PATTERN = /^pl_(live|test)_[A-Za-z0-9_]+$/;

/** Reads the `sid` claim without verifying the signature, which the API does on every request. */
function readSessionId(token: string): string | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const claims: unknown = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    if (typeof claims === "object" && claims !== null && "sid" in claims && typeof claims.sid === "string") return claims.sid;
  } catch {
    // Not a JWT: treated below as no session.
  }
  return null;
}

/** Parses the session cookie; a value that is neither an API key nor a JWT with a `sid` is no session. */
export function readSession(cookies: Cookies): Session | null {
  const token = cookies.get(SESSION_COOKIE);
  if (!token || token.length > 4096) return null;
  if (API_KEY_PATTERN.test(token)) return { token, kind: "api_key", sessionId: token };

  const sessionId = readSessionId(token);
  return sessionId ? { token, kind: "user", sessionId } : null;
}

/** Secure everywhere except plain http on this machine, where browsers would drop a Secure cookie. */
function cookieIsSecure(url: URL): boolean {
  return !(url.protocol === "http:" && isLoopbackHost(url.hostname));
}

/** Stores the session token until it expires. HttpOnly keeps it from scripts; Lax still sends it on a link from an email. */
export function writeSessionCookie(cookies: Cookies, url: URL, token: string, expiresAt: Date): void {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  cookies.set(SESSION_COOKIE, token, { path: "/", httpOnly: true, secure: cookieIsSecure(url), sameSite: "lax", maxAge });
}

export function clearSessionCookie(cookies: Cookies, url: URL): void {
  cookies.delete(SESSION_COOKIE, { path: "/", httpOnly: true, secure: cookieIsSecure(url), sameSite: "lax" });
}
