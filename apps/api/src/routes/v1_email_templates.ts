import { codePointLength, DEFAULT_ACKNOWLEDGEMENT, renderTemplate } from "@plumbline/core";
import { deleteEmailTemplate, findEmailTemplate, saveEmailTemplate } from "@plumbline/db";
import type { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { ApiError, notFound } from "../errors";
import { requireFirm } from "../middleware/firm-access";
import { parseJsonBody, strictObject } from "./v1_settings";

/**
 * The placeholders an acknowledgement can use, each with a sample value to render a template with while checking
 * it. NOTE: follow-up/acknowledgement.ts fills these names when it sends, so a name added there belongs here too.
 */
const ACKNOWLEDGEMENT_PLACEHOLDERS: Readonly<Record<string, string>> = {
  greeting: "Dear Jane",
  prospect_name: "Jane Smith",
  prospect_first_name: "Jane",
  firm_name: "Hartley & Moss",
  service_line: "family law",
  partner_name: "Sam Partner",
  firm_hours: "Monday to Friday 9am to 5.30pm",
  reference: "ENQ-7K2M-9QXD",
};

/** The template kinds a firm can replace, each with the built-in version and its placeholders. */
const TEMPLATE_KINDS = {
  acknowledgement: { builtIn: DEFAULT_ACKNOWLEDGEMENT, placeholders: ACKNOWLEDGEMENT_PLACEHOLDERS },
} as const;

type TemplateKind = keyof typeof TEMPLATE_KINDS;

const LIMITS = { subject: 200, text: 20_000, html: 50_000 } as const;

/** Counts characters as a person does (code points), so an emoji is one character and not two. */
function templatePart(name: keyof typeof LIMITS) {
  return z
    .string({ error: "must be text" })
    .refine((value) => value.trim() !== "", { error: "must not be empty" })
    .refine((value) => codePointLength(value) <= LIMITS[name], { error: `must be at most ${LIMITS[name].toLocaleString("en-GB")} characters` });
}

/** Line breaks in a subject could start a new email header, and other control characters have no place there. */
const NOT_IN_SUBJECT = /[\p{Cc}\u2028\u2029]/u;

/** Body of `PUT /v1/email-templates/{kind}`. */
const templateSchema = strictObject({
  subject: templatePart("subject").refine((value) => !NOT_IN_SUBJECT.test(value), {
    error: "must be a single line, without line breaks or other control characters",
  }),
  text: templatePart("text"),
  html: templatePart("html"),
});

type TemplateContent = z.infer<typeof templateSchema>;

/** Text left in `{{ }}` after rendering is a placeholder the renderer could not read, such as `{{Firm_Name}}`. */
const UNREADABLE_PLACEHOLDER = /\{\{[^{}]*\}\}/g;

/**
 * Renders each part with sample values and returns the placeholders that are not known, in the order found.
 * A misspelt name would otherwise go out to prospects as an empty gap or as literal braces.
 */
function findUnknownPlaceholders(content: TemplateContent, placeholders: Readonly<Record<string, string>>) {
  const found: Array<{ part: keyof TemplateContent; name: string }> = [];
  for (const part of ["subject", "text", "html"] as const) {
    const rendered = renderTemplate(content[part], placeholders, part === "html" ? "html" : "text");
    for (const name of rendered.unknown) found.push({ part, name: `{{${name}}}` });
    for (const match of rendered.output.matchAll(UNREADABLE_PLACEHOLDER)) found.push({ part, name: match[0] });
  }
  return found;
}

function resolveKind(kind: string): TemplateKind {
  if (!Object.hasOwn(TEMPLATE_KINDS, kind)) {
    throw notFound(`Email template kind "${kind.slice(0, 64)}" (known kinds: ${Object.keys(TEMPLATE_KINDS).join(", ")})`);
  }
  return kind as TemplateKind;
}

function presentTemplate(kind: TemplateKind, template: TemplateContent, updatedAt: Date | null) {
  return {
    kind,
    subject: template.subject,
    text: template.text,
    html: template.html,
    isDefault: updatedAt === null,
    updatedAt: updatedAt?.toISOString() ?? null,
    placeholders: Object.keys(TEMPLATE_KINDS[kind].placeholders),
  };
}

/**
 * Registers the email template routes. `GET /v1/email-templates/{kind}` returns the firm's own template, or the
 * built-in one with `isDefault: true`. `PUT` stores the firm's own subject, text and HTML, and `DELETE` goes back
 * to the built-in one. The only kind today is `acknowledgement`, the email a prospect gets when they enquire.
 */
export function registerEmailTemplateRoutes(app: Hono<HonoEnv>) {
  app.get("/v1/email-templates/:kind", requireFirm("viewer"), async (c) => {
    const kind = resolveKind(c.req.param("kind"));
    const stored = await findEmailTemplate(c.get("services").db, c.get("firmId"), kind);
    if (!stored) return c.json(presentTemplate(kind, TEMPLATE_KINDS[kind].builtIn, null));
    return c.json(presentTemplate(kind, stored, stored.updatedAt));
  });

  app.put("/v1/email-templates/:kind", requireFirm("admin"), async (c) => {
    const services = c.get("services");
    const firmId = c.get("firmId");
    const kind = resolveKind(c.req.param("kind"));
    const content = await parseJsonBody(c, templateSchema);

    const unknown = findUnknownPlaceholders(content, TEMPLATE_KINDS[kind].placeholders);
    if (unknown.length > 0) {
      const names = [...new Set(unknown.map((entry) => entry.name))];
      const known = Object.keys(TEMPLATE_KINDS[kind].placeholders).map((name) => `{{${name}}}`);
      throw new ApiError("validation_failed", `The template uses unknown placeholders: ${names.join(", ")}. The placeholders are ${known.join(", ")}.`, {
        field: unknown[0]!.part,
        details: { unknownPlaceholders: names, placeholders: known },
      });
    }

    const saved = await saveEmailTemplate(services.db, firmId, kind, content, new Date());
    services.logger.info("email_template.saved", { firmId, kind });
    return c.json(presentTemplate(kind, saved, saved.updatedAt));
  });

  app.delete("/v1/email-templates/:kind", requireFirm("admin"), async (c) => {
    const services = c.get("services");
    const firmId = c.get("firmId");
    const kind = resolveKind(c.req.param("kind"));

    // Deleting when the built-in template already applies changes nothing, so it succeeds too.
    const removed = await deleteEmailTemplate(services.db, firmId, kind);
    if (removed) services.logger.info("email_template.reverted", { firmId, kind });
    return c.body(null, 204);
  });
}
