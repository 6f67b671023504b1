import { listAgencyFirms, listMemberFirms, listUserAgencies, type FirmRole } from "@plumbline/db";
import type { Hono } from "hono";
import type { HonoEnv } from "../context";
import { effectiveRole } from "../middleware/firm-access";
import { requireSession } from "../middleware/session";

interface MyFirm {
  id: string;
  name: string;
  slug: string;
  role: FirmRole;
  via: "membership" | "agency";
  agencyId: string | null;
}

/**
 * `GET /v1/me`: the signed-in person, the firms they can open with their role in each (a firm reached both as a
 * member and through an agency is listed once, with the higher role), and their agencies.
 */
export function registerMeRoute(app: Hono<HonoEnv>) {
  app.get("/v1/me", requireSession, async (c) => {
    const { db } = c.get("services");
    const { user } = c.get("signedIn");
    const [memberFirms, agencyFirms, agencies] = await Promise.all([listMemberFirms(db, user.id), listAgencyFirms(db, user.id), listUserAgencies(db, user.id)]);

    const firms = new Map<string, MyFirm>();
    for (const firm of memberFirms) {
      firms.set(firm.id, { id: firm.id, name: firm.name, slug: firm.slug, role: firm.role, via: "membership", agencyId: firm.agencyId });
    }
    for (const firm of agencyFirms) {
      const direct = firms.get(firm.id);
      const role = effectiveRole({ membershipRole: direct?.role ?? null, agencyRole: firm.agencyRole })!;
      if (direct && direct.role === role) continue;
      firms.set(firm.id, { id: firm.id, name: firm.name, slug: firm.slug, role, via: "agency", agencyId: firm.agencyId });
    }

    const sorted = [...firms.values()].sort((a, b) => a.name.localeCompare(b.name, "en-GB") || a.id.localeCompare(b.id));
    return c.json({ user, firms: sorted, agencies });
  });
}
