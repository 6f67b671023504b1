import type { Handle } from "@sveltejs/kit";
import { createApiFetch } from "./api";
import { csrfSecret } from "./config";
import { checkCsrf, csrfTokenFor } from "./csrf";
import { withSecurityHeaders } from "./security-headers";
import { readSession } from "./session";

/**
 * Adds the security headers to whatever the later handlers return, error pages included. A request that came with
 * a session cookie gets `Cache-Control: no-store` too, whichever page or endpoint produced the response.
 */
export const securityHeaders: Handle = async ({ event, resolve }) => {
  const response = await resolve(event);
  // `authenticate` sets locals.session, and runs inside resolve().
  return withSecurityHeaders(response, { signedIn: Boolean(event.locals.session) });
};

/** Reads the session cookie and gives every load and action its API client and CSRF token. */
export const authenticate: Handle = async ({ event, resolve }) => {
  const session = readSession(event.cookies);
  event.locals.session = session;
  event.locals.api = createApiFetch(event, session);
  event.locals.csrfToken = session ? await csrfTokenFor(csrfSecret(event), session.sessionId) : "";
  return resolve(event);
};

/**
 * Rejects a form submission whose CSRF token is missing or wrong, before any action runs. SvelteKit's own
 * origin check (kit.csrf) has already rejected cross-site form posts by then; this also covers a same-site page.
 */
export const csrfGuard: Handle = async ({ event, resolve }) => {
  const problem = await checkCsrf(event.request, event.locals.csrfToken);
  if (problem) {
    return new Response(problem, { status: 403, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  }
  return resolve(event);
};
