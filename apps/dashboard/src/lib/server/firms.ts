import { error, redirect, type RequestEvent } from "@sveltejs/kit";
import type { Role } from "$lib/roles";
import { readJson } from "./api-errors";

export interface FirmSummary {
  id: string;
  name: string;
  slug: string;
  role: Role;
  via: "membership" | "agency";
  agencyId: string | null;
}

/** `GET /v1/me`: the person and every firm they can open. */
export interface Me {
  user: { id: string; email: string; name: string } | null;
  firms: FirmSummary[];
  agencies: Array<{ id: string; name: string; role: string }>;
}

type Event = Pick<RequestEvent, "cookies" | "url" | "locals">;

/** Sends a signed-out visitor to sign-in, remembering the page they asked for. */
export function requireSession(event: Event) {
  const session = event.locals.session;
  if (!session) redirect(303, `/sign-in?next=${encodeURIComponent(event.url.pathname + event.url.search)}`);
  return session;
}

/**
 * Loads who is signed in and the firms they can see. A cookie that contains an API key (local development, or
 * scripts) acts as an admin of the key's firm. The firm id is taken from the URL, because the API rejects the
 * key with 404 when the X-Plumbline-Firm header names any other firm.
 */
export async function loadMe(event: Event, firmIdFromUrl?: string): Promise<Me> {
  const session = requireSession(event);
  if (session.kind === "api_key") {
    const firms: FirmSummary[] = firmIdFromUrl
      ? [{ id: firmIdFromUrl, name: firmIdFromUrl, slug: firmIdFromUrl, role: "admin", via: "membership", agencyId: null }]
      : [];
    return { user: null, firms, agencies: [] };
  }
  return readJson<Me>(event, "/v1/me");
}

/**
 * Returns the firm of the route's `[firmId]` with the person's role in it. A firm they cannot see is a 404
 * like any missing page, never a 403, so a firm id reveals nothing.
 */
export async function loadFirmAccess(event: Event & { params: { firmId?: string } }) {
  const firmId = event.params.firmId ?? "";
  const me = await loadMe(event, firmId);
  const firm = me.firms.find((candidate) => candidate.id === firmId);
  if (!firm) error(404, { message: "Not found.", code: "not_found" });
  return { me, firm };
}
