/**
 * Security headers added to every response that the SvelteKit server renders.
 * Static assets served straight from the ASSETS binding skip the server, so the
 * `_headers` file next to wrangler.jsonc covers those.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  // Legacy equivalent of CSP frame-ancestors 'none', for browsers without CSP level 2.
  "X-Frame-Options": "DENY",
};

/**
 * CSP for responses that SvelteKit sent without one: endpoints, redirects and other
 * non-page responses. Rendered pages get the CSP configured in svelte.config.js instead,
 * because SvelteKit generates the nonce or hash for its inline start-up script.
 */
export const FALLBACK_CONTENT_SECURITY_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Sets the security headers on `response`, or on a copy when its headers are immutable, and returns that response.
 * `signedIn` adds `Cache-Control: no-store`, because a page rendered for a session shows client data that must not
 * be shown again from the browser's HTTP cache or back/forward cache once the person signs out. `Vary: Cookie`
 * would not prevent that, since the Back button reuses the stored page without a new request.
 */
export function withSecurityHeaders(response: Response, { signedIn }: { signedIn: boolean }): Response {
  try {
    setSecurityHeaders(response.headers, signedIn);
    return response;
  } catch (error) {
    // Headers of a Response returned by fetch() are immutable and throw a TypeError on set().
    if (!(error instanceof TypeError)) {
      throw error;
    }
    const copy = new Response(response.body, response);
    setSecurityHeaders(copy.headers, signedIn);
    return copy;
  }
}

function setSecurityHeaders(headers: Headers, signedIn: boolean): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    headers.set(name, value);
  }
  if (!headers.has("Content-Security-Policy")) {
    headers.set("Content-Security-Policy", FALLBACK_CONTENT_SECURITY_POLICY);
  }
  if (signedIn) {
    headers.set("Cache-Control", "no-store");
  }
}
