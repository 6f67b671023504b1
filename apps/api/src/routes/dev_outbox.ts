import { listLocalPlatformEmails, outboundMessages } from "@plumbline/db";
import { desc, eq } from "drizzle-orm";
import type { Hono } from "hono";
import type { HonoEnv } from "../context";
import { notFound } from "../errors";
import { escapeHtml, page } from "../pages/html";

/**
 * `GET /dev/outbox`: the emails and chat messages the local outbox "sent" (no provider configured), newest
 * first: the firms' messages and Plumbline's own (sign-in links, invitations). Development only: in any other
 * APP_ENV the route does not exist.
 */
export function registerDevOutbox(app: Hono<HonoEnv>) {
  app.get("/dev/outbox", async (c) => {
    const { env, db } = c.get("services");
    if (env.APP_ENV !== "development") throw notFound("Route /dev/outbox");

    const [firmRows, platformRows] = await Promise.all([
      db.select().from(outboundMessages).where(eq(outboundMessages.provider, "local")).orderBy(desc(outboundMessages.sentAt)).limit(50),
      listLocalPlatformEmails(db, 50),
    ]);
    const entries = [
      ...firmRows.map((row) => ({ kind: row.kind, channel: row.channel, sentAt: row.sentAt, data: row.data })),
      ...platformRows.map((row) => ({ kind: row.kind, channel: "email", sentAt: row.sentAt, data: row.data })),
    ].sort((a, b) => (b.sentAt?.getTime() ?? 0) - (a.sentAt?.getTime() ?? 0));

    const items = entries.slice(0, 50).map((row) => {
      const rendered = (row.data as { rendered?: Record<string, unknown> }).rendered ?? {};
      const heading = String(rendered.subject ?? rendered.title ?? row.kind);
      const meta = `${row.kind} · ${row.channel}${rendered.to ? ` · to ${String(rendered.to)}` : ""} · ${row.sentAt?.toISOString() ?? ""}`;
      const body = rendered.text ? String(rendered.text) : JSON.stringify(rendered, null, 2);
      return `<article><h2>${escapeHtml(heading)}</h2><p class="meta">${escapeHtml(meta)}</p><pre>${escapeHtml(body)}</pre></article>`;
    });
    return c.html(
      page(
        "Local outbox",
        `<h1>Local outbox</h1><p>Messages Plumbline would have sent, kept here because no mail or chat provider is configured.</p>${items.join("") || "<p>Nothing sent yet. Send an enquiry from the demo website.</p>"}`,
      ),
    );
  });
}
