/** Name of the hidden form field that carries the CSRF token. */
export const CSRF_FIELD = "csrf";

const encoder = new TextEncoder();

function toBase64Url(bytes: ArrayBuffer): string {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Derives the CSRF token of a session: HMAC-SHA-256 of the session id under the dashboard's key. A page from
 * another site cannot read it, and it changes with every session, so nothing needs storing.
 */
export async function csrfTokenFor(secret: string, sessionId: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toBase64Url(await crypto.subtle.sign("HMAC", key, encoder.encode(`csrf:${sessionId}`)));
}

/** Compares in time that depends only on the length, so the comparison leaks nothing about the expected token. */
export function tokensMatch(expected: string, received: string): boolean {
  if (expected.length !== received.length) return false;
  let difference = 0;
  for (let index = 0; index < expected.length; index += 1) difference |= expected.charCodeAt(index) ^ received.charCodeAt(index);
  return difference === 0;
}

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Form submissions are the only unsafe requests a browser can send across sites without CORS. */
const FORM_CONTENT_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain"];

/**
 * Returns why `request` fails the CSRF check, or null when it passes. Only unsafe form submissions are checked,
 * and only with a session, because without one there is nothing to act as.
 */
export async function checkCsrf(request: Request, expectedToken: string): Promise<string | null> {
  if (!UNSAFE_METHODS.has(request.method) || expectedToken === "") return null;

  const contentType = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!FORM_CONTENT_TYPES.includes(contentType)) return "This change must be sent from a dashboard form.";

  let received: FormDataEntryValue | null = null;
  try {
    // A clone, so the form action can still read the body.
    received = (await request.clone().formData()).get(CSRF_FIELD);
  } catch {
    return "The form could not be read.";
  }
  if (typeof received !== "string" || received === "") return "The form has no CSRF token. Reload the page and try again.";
  if (!tokensMatch(expectedToken, received)) return "The form's CSRF token does not match this session. Reload the page and try again.";
  return null;
}
