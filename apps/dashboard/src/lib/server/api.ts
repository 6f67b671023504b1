import type { RequestEvent } from "@sveltejs/kit";
import { apiOrigin } from "./config";
import type { Session } from "./session";

/** `fetch` for API paths such as `/v1/tasks`, with the session's credentials and the route's firm added. */
export type ApiFetch = (path: string, init?: RequestInit) => Promise<Response>;

/** Header that names the firm a session token acts in. API keys carry their firm, so the API ignores it for them. */
export const FIRM_HEADER = "X-Plumbline-Firm";

/**
 * Builds `locals.api` for one request. It calls the API Worker through the `API` service binding when the
 * deploy has one (no public hop), and otherwise fetches API_ORIGIN.
 */
export function createApiFetch(event: RequestEvent, session: Session | null): ApiFetch {
  const binding = event.platform?.env?.API;
  const origin = apiOrigin(event);
  const firmId = event.params.firmId;

  return (path, init = {}) => {
    if (!path.startsWith("/")) throw new Error(`API path must start with "/", got "${path}".`);
    const headers = new Headers(init.headers);
    headers.set("Accept", "application/json");
    if (session) headers.set("Authorization", `Bearer ${session.token}`);
    if (firmId && !headers.has(FIRM_HEADER)) headers.set(FIRM_HEADER, firmId);
    if (typeof init.body === "string" && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");

    const request = new Request(new URL(path, origin), { ...init, headers, redirect: "manual" });
    return binding ? binding.fetch(request) : fetch(request);
  };
}
