import { activities } from "@plumbline/db";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../../apps/api/src/app";
import { minimumRoleOf } from "../../apps/api/src/middleware/firm-access";
import { callApi, errorOf, getWithKey, submitJson } from "../support/api";
import { callAs, seedAgency, seedUser, sessionFor } from "../support/auth";
import { settledMessages } from "../support/follow-up";
import { opportunitiesOf } from "../support/rows";
import { seedTwoFirms, testDatabase } from "../support/seed";

/** Routes under /v1 that are deliberately not firm-scoped: public form and webhook endpoints, and sign-in. */
const NOT_FIRM_SCOPED = new Set([
  "GET /v1/forms/:formKey",
  "OPTIONS /v1/forms/:formKey",
  "GET /v1/forms/:formKey/thanks",
  "POST /v1/forms/:formKey/submissions",
  "OPTIONS /v1/forms/:formKey/submissions",
  "POST /v1/inbound/postmark/:integrationId",
  "POST /v1/inbound/sendgrid/:integrationId",
  "POST /v1/inbound/mailgun/:integrationId",
  "POST /v1/webhooks/:provider{calcom|calendly}/:integrationId",
  "POST /v1/webhooks/:provider{postmark-events|resend-events|sendgrid-events|mailgun-events}/:integrationId",
  "POST /v1/auth/sign-in-links",
  "POST /v1/auth/sessions",
  "DELETE /v1/auth/sessions/current",
  "GET /v1/me",
  "POST /v1/agencies/:agencyId/firms",
]);

/** Lists every firm-scoped route the app registers, with the role it needs, read from the app itself. */
function firmScopedRoutes() {
  const routes = new Map<string, { method: string; path: string; minimumRole: string }>();
  for (const route of createApp().routes) {
    const minimumRole = minimumRoleOf(route.handler);
    if (minimumRole) routes.set(`${route.method} ${route.path}`, { method: route.method, path: route.path, minimumRole });
  }
  return [...routes.values()];
}

/** Fills a route's parameters with an id that exists nowhere, which the firm check never reaches anyway. */
function concretePath(path: string): string {
  return path.replace(/:([A-Za-z]+)(\{[^}]*\})?/g, (_whole, name: string) => (name === "kind" ? "acknowledgement" : `${name}_missing`));
}

function requestFor(route: { method: string; path: string }): [string, RequestInit] {
  const init: RequestInit = { method: route.method };
  if (route.method !== "GET") init.body = "{}";
  return [concretePath(route.path), init];
}

const ROUTES = firmScopedRoutes();
const ROUTE_NAMES = ROUTES.map((route) => `${route.method} ${route.path}`);
const WRITE_ROUTES = ROUTES.filter((route) => route.method !== "GET");

describe("firm-scoped route list", () => {
  it("includes the known routes", () => {
    expect(ROUTE_NAMES).toEqual(expect.arrayContaining(["GET /v1/opportunities", "POST /v1/tasks/:id/complete", "PATCH /v1/forms-admin/:id", "POST /v1/invitations"]));
    expect(ROUTES.length).toBeGreaterThanOrEqual(35);
  });

  it("every /v1 route is classified", () => {
    const unclassified = createApp()
      .routes.filter((route) => route.path.startsWith("/v1/") && route.method !== "ALL")
      .map((route) => `${route.method} ${route.path}`)
      .filter((name) => !ROUTE_NAMES.includes(name) && !NOT_FIRM_SCOPED.has(name));
    expect([...new Set(unclassified)]).toEqual([]);
  });

  it("every GET needs only viewer", () => {
    const gets = ROUTES.filter((route) => route.method === "GET" && route.minimumRole !== "viewer").map((route) => route.path);
    expect(gets).toEqual(["/v1/invitations"]);
  });
});

describe.each(ROUTES)("$method $path", (route) => {
  it("another firm's id is 404", async () => {
    const [firm, other] = await seedTwoFirms();
    const { token } = await sessionFor(await seedUser("Owner A", { [firm.firmId]: "owner" }));
    const [path, init] = requestFor(route);

    const response = await callAs(token, other.firmId, path, init);
    expect(response.status).toBe(404);
    const error = await errorOf(response);
    expect(error.code).toBe("not_found");
    expect(error.message).toBe("Firm not found.");
  });

  it("missing firm header is 400", async () => {
    const [firm] = await seedTwoFirms();
    const { token } = await sessionFor(await seedUser("Owner A", { [firm.firmId]: "owner" }));
    const [path, init] = requestFor(route);

    const response = await callAs(token, null, path, init);
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("firm_required");
    expect(error.field).toBe("X-Plumbline-Firm");
  });

  it("API key with another firm's id is 404", async () => {
    const [firm, other] = await seedTwoFirms();
    const [path, init] = requestFor(route);
    const response = await callAs(firm.apiKey, other.firmId, path, init);
    expect(response.status).toBe(404);
  });

  it("no credentials is 401", async () => {
    const [path, init] = requestFor(route);
    expect((await callApi(path, init)).status).toBe(401);
  });
});

describe.each(WRITE_ROUTES)("viewer on $method $path", (route) => {
  it("is 403", async () => {
    const [firm] = await seedTwoFirms();
    const { token } = await sessionFor(await seedUser("Viewer", { [firm.firmId]: "viewer" }));
    const [path, init] = requestFor(route);

    const response = await callAs(token, firm.firmId, path, init);
    expect(response.status).toBe(403);
    const error = await errorOf(response);
    expect(error.code).toBe("forbidden");
    expect(error.message).toContain(route.minimumRole);
  });
});

describe("roles", () => {
  it("viewer can read", async () => {
    const [firm] = await seedTwoFirms();
    const { token } = await sessionFor(await seedUser("Viewer", { [firm.firmId]: "viewer" }));
    expect((await callAs(token, firm.firmId, "/v1/opportunities")).status).toBe(200);
  });

  it("partner cannot change settings", async () => {
    const [firm] = await seedTwoFirms();
    const { token } = await sessionFor(await seedUser("Partner", { [firm.firmId]: "partner" }));
    const response = await callAs(token, firm.firmId, "/v1/settings/follow-up", { method: "PATCH", body: JSON.stringify({ responseTargetMinutes: 60 }) });
    expect(response.status).toBe(403);
    expect((await errorOf(response)).message).toContain("admin");
  });

  it("admin can change settings", async () => {
    const [firm] = await seedTwoFirms();
    const { token } = await sessionFor(await seedUser("Admin", { [firm.firmId]: "admin" }));
    const response = await callAs(token, firm.firmId, "/v1/settings/follow-up", { method: "PATCH", body: JSON.stringify({ responseTargetMinutes: 60 }) });
    expect(response.status).toBe(200);
  });

  it("agency staff act as admin in agency firms", async () => {
    const [firm] = await seedTwoFirms();
    const { userId } = await seedAgency([firm.firmId], "staff");
    const { token } = await sessionFor(userId);
    const response = await callAs(token, firm.firmId, "/v1/settings/follow-up", { method: "PATCH", body: JSON.stringify({ responseTargetMinutes: 90 }) });
    expect(response.status).toBe(200);
  });

  it("agency staff cannot reach other firms", async () => {
    const [firm, other] = await seedTwoFirms();
    const { userId } = await seedAgency([firm.firmId], "staff");
    const { token } = await sessionFor(userId);
    expect((await callAs(token, other.firmId, "/v1/opportunities")).status).toBe(404);
  });

  it("unknown firm id is 404", async () => {
    const [firm] = await seedTwoFirms();
    const { token } = await sessionFor(await seedUser("Owner", { [firm.firmId]: "owner" }));
    expect((await callAs(token, "firm_does_not_exist", "/v1/opportunities")).status).toBe(404);
  });

  it("API key works without a firm header", async () => {
    const [firm] = await seedTwoFirms();
    expect((await getWithKey("/v1/opportunities", firm.apiKey)).status).toBe(200);
  });

  it("API key with its own firm header works", async () => {
    const [firm] = await seedTwoFirms();
    expect((await callAs(firm.apiKey, firm.firmId, "/v1/opportunities")).status).toBe(200);
  });
});

describe("actor on the timeline", () => {
  it("stage override records the user", async () => {
    const [firm] = await seedTwoFirms();
    const userId = await seedUser("Partner", { [firm.firmId]: "partner" });
    const { token } = await sessionFor(userId);
    await submitJson(firm.formKey, { submissionId: `actor-${crypto.randomUUID().slice(0, 8)}`, fields: { name: "Actor Test", email: "actor@example.com" } });
    await settledMessages(firm.firmId);
    const [opportunity] = await opportunitiesOf(firm.firmId);

    const response = await callAs(token, firm.firmId, `/v1/opportunities/${opportunity!.id}/stage`, {
      method: "POST",
      body: JSON.stringify({ stage: "proposal_sent", reason: "Sent by post" }),
    });
    expect(response.status).toBe(200);

    const [move] = await testDatabase()
      .select()
      .from(activities)
      .where(and(eq(activities.firmId, firm.firmId), eq(activities.opportunityId, opportunity!.id), eq(activities.cause, "user")));
    expect(move?.actorUserId).toBe(userId);
    expect(move?.data).toMatchObject({ by: userId });
  });

  it("task completion records the user", async () => {
    const [firm] = await seedTwoFirms();
    const userId = await seedUser("Partner", { [firm.firmId]: "partner" });
    const { token } = await sessionFor(userId);
    await submitJson(firm.formKey, { submissionId: `task-${crypto.randomUUID().slice(0, 8)}`, fields: { name: "Task Test", email: "task@example.com" } });
    await settledMessages(firm.firmId);
    const tasks = (await (await callAs(token, firm.firmId, "/v1/tasks")).json()) as { data: Array<{ id: string }> };
    expect(tasks.data.length).toBeGreaterThan(0);

    const response = await callAs(token, firm.firmId, `/v1/tasks/${tasks.data[0]!.id}/complete`, { method: "POST" });
    expect(response.status).toBe(200);
    const [done] = await testDatabase()
      .select()
      .from(activities)
      .where(and(eq(activities.firmId, firm.firmId), eq(activities.type, "task.completed")));
    expect(done?.actorUserId).toBe(userId);
  });
});
