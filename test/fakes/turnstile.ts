import { sendJson, type Fake } from "./http";

/**
 * Turnstile siteverify. The secrets mirror Cloudflare's published test secrets: `1x…AA` passes, `2x…AA` fails,
 * `3x…AA` reports a spent token. `5x…` answers 503 and `tx…` never answers, to exercise outages.
 */
export const turnstileFake: Fake = {
  name: "turnstile",
  matches: (method, path) => method === "POST" && path === "/turnstile/v0/siteverify",
  handle(request, response) {
    const form = new URLSearchParams(request.body);
    const secret = form.get("secret") ?? "";
    const token = form.get("response") ?? "";

    if (secret.startsWith("5x")) return sendJson(response, 503, { success: false });
    if (secret.startsWith("tx")) return; // Left open: the caller's timeout must end the wait.
    if (!token) return sendJson(response, 200, { success: false, "error-codes": ["missing-input-response"] });
    if (secret.startsWith("1x")) {
      return sendJson(response, 200, { success: true, "error-codes": [], hostname: "localhost", challenge_ts: new Date().toISOString() });
    }
    if (secret.startsWith("3x")) return sendJson(response, 200, { success: false, "error-codes": ["timeout-or-duplicate"] });
    return sendJson(response, 200, { success: false, "error-codes": ["invalid-input-response"] });
  },
};
