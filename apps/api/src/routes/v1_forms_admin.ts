import { isValidOriginPattern } from "@plumbline/core";
import { forms, type Form } from "@plumbline/db";
import { and, asc, eq, isNull } from "drizzle-orm";
import type { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { ApiError, notFound } from "../errors";
import { requireFirm } from "../middleware/firm-access";
import { parseJsonBody, strictObject } from "./v1_settings";

const ORIGIN_MESSAGE = 'must be an origin such as "https://www.firm.example", "https://*.firm.example" or "http://localhost:*"';

const patchSchema = strictObject({
  name: z.string({ error: "must be text" }).trim().min(1, { error: "is required" }).max(100, { error: "must be at most 100 characters" }).optional(),
  allowedOrigins: z
    .array(z.string({ error: ORIGIN_MESSAGE }).max(200, { error: ORIGIN_MESSAGE }).refine(isValidOriginPattern, { error: ORIGIN_MESSAGE }), {
      error: "must be a list of origins",
    })
    .max(50, { error: "must have at most 50 origins" })
    .optional(),
});

/** Builds the HTML a firm pastes into its website: the script, and an element the script fills with the form. */
export function formSnippet(apiOrigin: string, formKey: string): string {
  return `<script src="${apiOrigin}/embed.js" async></script>\n<div data-plumbline-form="${formKey}"></div>`;
}

function presentForm(form: Form, apiOrigin: string) {
  return { id: form.id, key: form.key, name: form.name, allowedOrigins: form.allowedOrigins, snippet: formSnippet(apiOrigin, form.key) };
}

/**
 * `GET /v1/forms-admin` lists the firm's website forms with the snippet to paste; `PATCH /v1/forms-admin/{id}`
 * renames one or replaces its allowed origins. The public `/v1/forms/{formKey}` routes serve the snippet itself.
 */
export function registerFormsAdminRoutes(app: Hono<HonoEnv>) {
  app.get("/v1/forms-admin", requireFirm("viewer"), async (c) => {
    const rows = await c
      .get("services")
      .db.select()
      .from(forms)
      .where(and(eq(forms.firmId, c.get("firmId")), isNull(forms.archivedAt)))
      .orderBy(asc(forms.createdAt));
    const apiOrigin = new URL(c.req.url).origin;
    return c.json({ data: rows.map((form) => presentForm(form, apiOrigin)) });
  });

  app.patch("/v1/forms-admin/:id", requireFirm("admin"), async (c) => {
    const { db, logger } = c.get("services");
    const firmId = c.get("firmId");
    const id = c.req.param("id");
    const body = await parseJsonBody(c, patchSchema);
    if (body.name === undefined && body.allowedOrigins === undefined) {
      throw new ApiError("validation_failed", "Send name, allowedOrigins or both.", { field: "body" });
    }

    const changes = {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.allowedOrigins !== undefined ? { allowedOrigins: [...new Set(body.allowedOrigins.map((origin) => origin.trim().toLowerCase()))] } : {}),
      updatedAt: new Date(),
    };
    const updated = id.length <= 64 ? await db.update(forms).set(changes).where(and(eq(forms.firmId, firmId), eq(forms.id, id))).returning().get() : undefined;
    if (!updated) throw notFound(`Form ${id.slice(0, 64)}`);
    logger.info("form.updated", { formId: id, origins: updated.allowedOrigins.length });
    return c.json(presentForm(updated, new URL(c.req.url).origin));
  });
}
