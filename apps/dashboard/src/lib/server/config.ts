import { env as privateEnv } from "$env/dynamic/private";
import type { RequestEvent } from "@sveltejs/kit";

/** API origin used when API_ORIGIN is unset. Port 8787 is the default port of `wrangler dev`. */
export const DEFAULT_API_ORIGIN = "http://127.0.0.1:8787";

/**
 * Reads a Worker variable, falling back to the process environment under `vite dev`, where no platform exists.
 */
function readVariable(event: RequestEvent, name: "API_ORIGIN" | "CSRF_SECRET"): string | undefined {
  const value = event.platform?.env?.[name] ?? privateEnv[name];
  return value?.trim() || undefined;
}

/**
 * Parses API_ORIGIN into a bare origin such as `https://api.example.com`. Throws when the value is not an
 * absolute http(s) URL, so a misconfigured deploy fails with a clear message instead of calling the wrong host.
 */
export function parseApiOrigin(value: string | undefined): string {
  if (value === undefined) return DEFAULT_API_ORIGIN;

  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`API_ORIGIN is invalid: "${value}" is not an absolute URL. Set it to an origin such as https://api.example.com.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`API_ORIGIN is invalid: "${value}" uses ${url.protocol} but must use http: or https:.`);
  }
  return url.origin;
}

export function apiOrigin(event: RequestEvent): string {
  return parseApiOrigin(readVariable(event, "API_ORIGIN"));
}

/** True for localhost, 127.0.0.0/8 and ::1: hosts that only this machine can reach. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** True when the dashboard talks to an API on this machine, which is how local development runs. */
export function isLocalDevelopment(event: RequestEvent): boolean {
  return isLoopbackHost(new URL(apiOrigin(event)).hostname);
}

/**
 * Returns the CSRF key. Local development may run without one, because its sessions protect only local data,
 * and then uses a fixed key. Anywhere else a missing key is a deploy mistake and fails every request.
 */
export function csrfSecret(event: RequestEvent): string {
  const secret = readVariable(event, "CSRF_SECRET");
  if (secret) return secret;
  if (isLocalDevelopment(event)) return "plumbline-local-development-only";
  throw new Error("CSRF_SECRET is missing. Set it as a Worker secret: `npx wrangler secret put CSRF_SECRET` in apps/dashboard.");
}
