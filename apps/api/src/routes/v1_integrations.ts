import { newId } from "@plumbline/core";
import { findIntegration, integrations, type Integration } from "@plumbline/db";
import { and, eq } from "drizzle-orm";
import type { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { ApiError, notFound } from "../errors";
import { encryptSecret } from "../lib/crypto";
import { dashboardUrl } from "../lib/dashboard-links";
import { requireFirm } from "../middleware/firm-access";
import { sendIntegrationTest } from "./integration-test";

const mailProviders = z.enum(["postmark", "resend", "sendgrid", "mailgun"]);

/** Body of `POST /v1/integrations`. The secret is the API key, or for chat the webhook URL, which carries its own secret. */
const createSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("mail"),
    provider: mailProviders,
    name: z.string().min(1).max(100).default("Email"),
    secret: z.string().min(8).max(500),
    settings: z
      .object({
        messageStream: z.string().max(100).optional(),
        domain: z.string().max(253).optional(),
        region: z.enum(["global", "us", "eu"]).optional(),
      })
      .default({}),
    isDefault: z.boolean().default(true),
  }),
  z.object({
    kind: z.literal("booking"),
    provider: z.enum(["calcom", "calendly"]),
    name: z.string().min(1).max(100).default("Bookings"),
    /** The webhook signing secret set in Cal.com, or the signing key Calendly returned for the subscription. */
    secret: z.string().min(16, "must be at least 16 characters: Plumbline requires a signing secret").max(500),
    settings: z.object({}).default({}),
    isDefault: z.boolean().default(false),
  }),
  z.object({
    kind: z.literal("chat"),
    provider: z.enum(["slack", "teams"]),
    name: z.string().min(1).max(100).default("Alerts"),
    secret: z.url().max(2000),
    settings: z.object({}).default({}),
    isDefault: z.boolean().default(true),
  }),
]);

/** Slack incoming webhooks live on this host; anything else is a mistyped or foreign URL. */
const SLACK_WEBHOOK_PREFIX = "https://hooks.slack.com/";

function presentIntegration(integration: Integration) {
  return {
    id: integration.id,
    kind: integration.kind,
    provider: integration.provider,
    name: integration.name,
    settings: integration.settings,
    isDefault: integration.isDefault,
    status: integration.status,
    statusReason: integration.statusReason,
    createdAt: integration.createdAt.toISOString(),
  };
}

/** Checks a webhook URL before it is stored, so a firm learns of a wrong one at once and not at the first enquiry. */
function checkWebhookUrl(provider: "slack" | "teams", url: string, allowLoopback: boolean): void {
  const parsed = new URL(url);
  const loopback = allowLoopback && (parsed.hostname === "127.0.0.1" || parsed.hostname === "localhost");
  if (loopback) return;

  if (provider === "slack" && !url.startsWith(SLACK_WEBHOOK_PREFIX)) {
    throw new ApiError("validation_failed", "A Slack webhook URL starts with https://hooks.slack.com/. Copy it from the Slack app's Incoming Webhooks page.", {
      field: "secret",
    });
  }
  if (provider === "teams") {
    const host = parsed.hostname.toLowerCase();
    if (host.endsWith("webhook.office.com") || /outlook\.office(365)?\.com$/.test(host)) {
      throw new ApiError(
        "validation_failed",
        "This is an Office 365 connector URL, which Microsoft has retired. Create a Workflows webhook (\"When a Teams webhook request is received\") and paste its URL.",
        { field: "secret" },
      );
    }
    if (parsed.protocol !== "https:") throw new ApiError("validation_failed", "A Teams webhook URL must use https.", { field: "secret" });
  }
}

/**
 * `GET /v1/integrations` lists the firm's mail and chat integrations (never their secrets); `POST` adds one,
 * encrypting its secret; `POST /v1/integrations/{id}/reconnect` replaces the secret and clears "needs attention";
 * `POST /v1/integrations/{id}/test` sends a test email or chat card through it now.
 */
export function registerIntegrationRoutes(app: Hono<HonoEnv>) {
  app.get("/v1/integrations", requireFirm("viewer"), async (c) => {
    const rows = await c.get("services").db.select().from(integrations).where(eq(integrations.firmId, c.get("firmId")));
    return c.json({ data: rows.map(presentIntegration) });
  });

  app.post("/v1/integrations", requireFirm("admin"), async (c) => {
    const services = c.get("services");
    const firmId = c.get("firmId");
    const body = parseBody(createSchema, await c.req.json().catch(() => undefined));
    if (body.kind === "chat") checkWebhookUrl(body.provider, body.secret, services.env.APP_ENV !== "production");
    if (body.kind === "mail" && body.provider === "mailgun" && !body.settings.domain) {
      throw new ApiError("validation_failed", "Mailgun needs the sending domain, such as mg.firm.example.", { field: "settings.domain" });
    }

    const now = new Date();
    const id = newId("int", now.getTime());
    const row = {
      id,
      firmId,
      kind: body.kind,
      provider: body.provider,
      name: body.name,
      settings: Object.fromEntries(Object.entries(body.settings).filter(([, value]) => value !== undefined)) as Record<string, string>,
      secretEncrypted: await encryptSecret(services.env.ENCRYPTION_KEY, body.secret),
      isDefault: body.isDefault,
      createdAt: now,
      updatedAt: now,
    };
    const statements = [];
    if (body.isDefault) {
      statements.push(
        services.db
          .update(integrations)
          .set({ isDefault: false, updatedAt: now })
          .where(and(eq(integrations.firmId, firmId), eq(integrations.kind, body.kind))),
      );
    }
    statements.push(services.db.insert(integrations).values(row));
    const [first, ...rest] = statements;
    await services.db.batch([first!, ...rest]);

    const created = await findIntegration(services.db, firmId, id);
    const webhookUrl =
      body.kind === "booking" ? new URL(`/v1/webhooks/${body.provider}/${id}`, c.req.url).toString() : undefined;
    return c.json({ ...presentIntegration(created!), ...(webhookUrl ? { webhookUrl } : {}) }, 201);
  });

  app.post("/v1/integrations/:id/reconnect", requireFirm("admin"), async (c) => {
    const services = c.get("services");
    const firmId = c.get("firmId");
    const existing = await findIntegration(services.db, firmId, c.req.param("id"));
    if (!existing) throw notFound(`Integration ${c.req.param("id").slice(0, 64)}`);

    const body = parseBody(z.object({ secret: z.string().min(8).max(2000) }), await c.req.json().catch(() => undefined));
    if (existing.kind === "chat") checkWebhookUrl(existing.provider as "slack" | "teams", body.secret, services.env.APP_ENV !== "production");

    const now = new Date();
    await services.db
      .update(integrations)
      .set({ secretEncrypted: await encryptSecret(services.env.ENCRYPTION_KEY, body.secret), status: "active", statusReason: null, updatedAt: now })
      .where(and(eq(integrations.firmId, firmId), eq(integrations.id, existing.id)));
    return c.json(presentIntegration((await findIntegration(services.db, firmId, existing.id))!));
  });

  app.post("/v1/integrations/:id/test", requireFirm("admin"), async (c) => {
    const services = c.get("services");
    const firmId = c.get("firmId");
    const integration = await findIntegration(services.db, firmId, c.req.param("id").slice(0, 64));
    if (!integration) throw notFound(`Integration ${c.req.param("id").slice(0, 64)}`);

    const raw = await c.req.text();
    const body = parseBody(testSchema, raw.trim() === "" ? {} : safeJson(raw));
    const actor = c.get("actor");
    const to = body.to ?? (actor.kind === "user" ? c.get("signedIn").user.email : undefined);
    await sendIntegrationTest(services, firmId, integration, { to, testPageUrl: dashboardUrl(services.env.DASHBOARD_URL, "/").toString() });
    return c.json({ ok: true });
  });
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** Body of `POST /v1/integrations/{id}/test`: for mail, who receives the test (the signed-in person by default). */
const testSchema = z.object({ to: z.email({ error: "must be an email address" }).max(254).optional() });

function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  if (body === undefined) throw new ApiError("invalid_request", "The body must be JSON.");
  const result = schema.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.join(".") || "body";
    throw new ApiError("validation_failed", `${field}: ${issue.message}`, { field });
  }
  return result.data;
}
