import { newId, type FormField } from "@plumbline/core";
import { createFirmWithForm, findAgencyRole, findFirm, isSlugTaken, type WorkingDay } from "@plumbline/db";
import type { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { ApiError, notFound } from "../errors";
import { requireSession } from "../middleware/session";
import { parseJsonBody, strictObject } from "./v1_settings";

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$/;

const createFirmSchema = strictObject({
  name: z.string({ error: "must be the firm's name" }).trim().min(1, { error: "is required" }).max(120, { error: "must be at most 120 characters" }),
  slug: z.string().regex(SLUG, { error: "must be 1 to 60 lower-case letters, digits and hyphens, not starting or ending with a hyphen" }).optional(),
  timeZone: z
    .string()
    .max(64)
    .refine(isTimeZone, { error: "must be an IANA time zone such as Europe/London" })
    .optional(),
  senderEmail: z.email({ error: "must be an email address" }).max(254).optional(),
});

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** Monday to Friday, 09:00 to 17:30: the working week a new firm starts with. */
const DEFAULT_WORKING_HOURS: WorkingDay[] = ([1, 2, 3, 4, 5] as const).map((day) => ({ day, start: "09:00", end: "17:30" }));

/** The fields of a new firm's first website form. */
const DEFAULT_FORM_FIELDS: FormField[] = [
  { name: "name", label: "Full name", type: "text", required: true, autocomplete: "name" },
  { name: "email", label: "Email address", type: "email", required: false, autocomplete: "email" },
  { name: "phone", label: "Phone number", type: "tel", required: false, autocomplete: "tel" },
  { name: "message", label: "Your message", type: "textarea", required: false },
];

/** Turns a firm's name into a URL slug: `Hartley & Moss Solicitors` becomes `hartley-moss-solicitors`. */
export function slugify(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/&/g, " ")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 50)
    .replace(/-+$/, "");
  return slug || "firm";
}

/**
 * `POST /v1/agencies/{agencyId}/firms`: an agency admin creates a client firm with the usual defaults (Europe/London,
 * GBP, en-GB, Monday to Friday 09:00 to 17:30) and one website form. Agency staff get 403; anyone outside the
 * agency gets 404.
 */
export function registerAgencyRoutes(app: Hono<HonoEnv>) {
  app.post("/v1/agencies/:agencyId/firms", requireSession, async (c) => {
    const { db, logger } = c.get("services");
    const { user } = c.get("signedIn");
    const agencyId = c.req.param("agencyId");
    const role = agencyId.length <= 64 ? await findAgencyRole(db, agencyId, user.id) : null;
    if (!role) throw notFound(`Agency ${agencyId.slice(0, 64)}`);
    if (role !== "admin") throw new ApiError("forbidden", "Only an agency admin can create a firm; your agency role is staff.");

    const body = await parseJsonBody(c, createFirmSchema);
    let slug = body.slug ?? slugify(body.name);
    if (await isSlugTaken(db, slug)) {
      if (body.slug) throw new ApiError("conflict", `The slug ${slug} is taken by another firm. Choose another.`, { field: "slug" });
      slug = `${slug}-${crypto.randomUUID().slice(0, 6)}`;
    }

    const now = new Date();
    const firmId = newId("firm", now.getTime());
    const created = createFirmWithForm(
      db,
      {
        id: firmId,
        agencyId,
        name: body.name,
        slug,
        timeZone: body.timeZone ?? "Europe/London",
        workingHours: DEFAULT_WORKING_HOURS,
        currency: "GBP",
        locale: "en-GB",
        senderEmail: body.senderEmail ?? null,
        createdAt: now,
        updatedAt: now,
      },
      {
        id: newId("form", now.getTime()),
        firmId,
        key: `f_${crypto.randomUUID().replace(/-/g, "").slice(0, 16)}`,
        name: "Website contact form",
        // Empty until the firm adds its website's origin in the forms settings, so no other site can post to it.
        allowedOrigins: [],
        fields: DEFAULT_FORM_FIELDS,
        serviceLines: { field: null, values: {}, fallback: "General" },
        successMessage: "Thank you. We will reply shortly.",
        createdAt: now,
        updatedAt: now,
      },
    );
    // Two requests can pass the slug check together; the unique index then rejects the second.
    await created.catch((error: unknown) => {
      if (String((error as Error).cause ?? error).includes("firms.slug")) {
        throw new ApiError("conflict", `The slug ${slug} is taken by another firm. Choose another.`, { field: "slug" });
      }
      throw error;
    });
    logger.info("firm.created", { firmId, agencyId, userId: user.id });

    const firm = (await findFirm(db, firmId))!;
    return c.json(
      {
        id: firm.id,
        agencyId: firm.agencyId,
        name: firm.name,
        slug: firm.slug,
        timeZone: firm.timeZone,
        currency: firm.currency,
        locale: firm.locale,
        workingHours: firm.workingHours,
        senderEmail: firm.senderEmail,
        createdAt: firm.createdAt.toISOString(),
      },
      201,
    );
  });
}
