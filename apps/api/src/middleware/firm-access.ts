import { findFirmAccess, type AgencyRole, type FirmAccess, type FirmRole } from "@plumbline/db";
import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { HonoEnv } from "../context";
import { ApiError } from "../errors";
import { authenticateApiKey, looksLikeApiKey } from "./api-key";
import { authenticateSession, bearerToken } from "./session";

/** The caller of a firm-scoped route: an API key (with admin rights) or a signed-in person with a role. */
export type Actor = { kind: "api_key"; apiKeyId: string } | { kind: "user"; userId: string; sessionId: string; role: FirmRole };

export const FIRM_HEADER = "X-Plumbline-Firm";

/** Roles from least to most; each can do everything the ones before it can. */
const ROLE_RANK: Record<FirmRole, number> = { viewer: 0, partner: 1, admin: 2, owner: 3 };
/** The firm role each agency role gives in every firm the agency owns. */
const AGENCY_ROLE_IN_FIRM: Record<AgencyRole, FirmRole> = { admin: "owner", staff: "admin" };
/** API keys are issued by a firm's admins and act with the same rights. */
const API_KEY_ROLE: FirmRole = "admin";

export function hasRole(role: FirmRole, minimum: FirmRole): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[minimum];
}

/** Returns the higher of a person's membership role and the role their agency gives them; null when they have neither. */
export function effectiveRole(access: Pick<FirmAccess, "membershipRole" | "agencyRole">): FirmRole | null {
  const candidates = [access.membershipRole, access.agencyRole ? AGENCY_ROLE_IN_FIRM[access.agencyRole] : null].filter(
    (role): role is FirmRole => role !== null,
  );
  return candidates.sort((a, b) => ROLE_RANK[b] - ROLE_RANK[a])[0] ?? null;
}

const firmNotFound = () => new ApiError("not_found", "Firm not found.", { field: FIRM_HEADER });

/** The minimum role of each firm-scoped middleware, so tests can find every firm-scoped route from the app's routes. */
const minimumRoles = new WeakMap<MiddlewareHandler, FirmRole>();

/** Returns the minimum role a route handler enforces, or undefined when it is not a firm-scoped middleware. */
export function minimumRoleOf(handler: unknown): FirmRole | undefined {
  return typeof handler === "function" ? minimumRoles.get(handler as MiddlewareHandler) : undefined;
}

/**
 * Authenticates a firm-scoped request and checks the caller's role. An API key acts for its own firm as an admin.
 * A session token needs `X-Plumbline-Firm`: a firm the person cannot reach is 404 (never 403, so firm ids cannot
 * be probed), and a role below `minimumRole` is 403 naming the role needed.
 */
export function requireFirm(minimumRole: FirmRole): MiddlewareHandler<HonoEnv> {
  const middleware = createMiddleware<HonoEnv>(async (c, next) => {
    const token = bearerToken(c, "the firm's API key or a session token");
    const requestedFirm = c.req.header(FIRM_HEADER)?.trim() || null;
    const services = c.get("services");

    let firmId: string;
    let actor: Actor;
    let role: FirmRole;
    if (looksLikeApiKey(token)) {
      const key = await authenticateApiKey(c, token);
      if (requestedFirm !== null && requestedFirm !== key.firmId) throw firmNotFound();
      firmId = key.firmId;
      actor = { kind: "api_key", apiKeyId: key.apiKeyId };
      role = API_KEY_ROLE;
    } else {
      const signedIn = await authenticateSession(c, token);
      if (requestedFirm === null) {
        throw new ApiError("firm_required", `Send the firm's id in the ${FIRM_HEADER} header.`, { field: FIRM_HEADER });
      }
      const access = requestedFirm.length <= 64 ? await findFirmAccess(services.db, requestedFirm, signedIn.user.id) : null;
      const found = access ? effectiveRole(access) : null;
      if (!found) throw firmNotFound();
      firmId = requestedFirm;
      role = found;
      actor = { kind: "user", userId: signedIn.user.id, sessionId: signedIn.sessionId, role };
      c.set("signedIn", signedIn);
    }

    if (!hasRole(role, minimumRole)) {
      throw new ApiError("forbidden", `This needs the ${minimumRole} role or higher in this firm; yours is ${role}.`);
    }

    c.set("firmId", firmId);
    c.set("actor", actor);
    const actorFields = actor.kind === "api_key" ? { apiKeyId: actor.apiKeyId } : { userId: actor.userId };
    c.set("services", { ...services, logger: services.logger.with({ firmId, ...actorFields }) });
    await next();
  });
  minimumRoles.set(middleware, minimumRole);
  return middleware;
}

/** Returns the role the caller acts with: the person's role in the firm, or admin for an API key. */
export function actorRole(actor: Actor): FirmRole {
  return actor.kind === "user" ? actor.role : API_KEY_ROLE;
}

/** Returns the acting user's id for `actor_user_id` columns, or null for an API key. */
export function actorUserId(actor: Actor): string | null {
  return actor.kind === "user" ? actor.userId : null;
}

/** Names who acted, for receipts that record it: the user id for a person, the API key's id for a key. */
export function actorLabel(actor: Actor): string {
  return actor.kind === "user" ? actor.userId : actor.apiKeyId;
}
