import { activities, firms, memberships, opportunities, routingRules, teamMembers } from "@plumbline/db";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { callApi, errorOf, submitJson } from "../support/api";
import { callAs, seedAgency, seedUser, sessionFor } from "../support/auth";
import { seedPeople, seedRule, seedTeam, settledMessages, tasksOf, updateFirm } from "../support/follow-up";
import { opportunitiesOf } from "../support/rows";
import { seedTwoFirms, testDatabase } from "../support/seed";

type Member = { userId: string; name: string; email: string; role: string; awayUntil: string | null; away: boolean };
type Removal = { userId: string; reassignedToUserId: string | null; reassignedTasks: number; reassignedOpportunities: number };

const db = () => testDatabase();

function withKey(apiKey: string, method: string, path: string, body?: unknown): Promise<Response> {
  return callApi(path, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Calls as a signed-in person with `role` in the firm; returns the caller's user id and a call function. */
async function signedIn(firmId: string, role: "viewer" | "partner" | "admin" | "owner") {
  const userId = await seedUser(`Caller ${role}`, { [firmId]: role });
  const { token } = await sessionFor(userId);
  const call = (method: string, path: string, body?: unknown) =>
    callAs(token, firmId, path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { userId, call };
}

async function roleOf(firmId: string, userId: string): Promise<string | undefined> {
  const row = await db()
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.firmId, firmId), eq(memberships.userId, userId)))
    .get();
  return row?.role;
}

function enquire(formKey: string, label: string) {
  return submitJson(formKey, { submissionId: `mem-${label}-${crypto.randomUUID().slice(0, 8)}`, fields: { name: `Prospect ${label}`, email: `${label}.${crypto.randomUUID().slice(0, 6)}@example.com` } });
}

describe("member role", () => {
  it("admin changes a partner to viewer", async () => {
    const [firm] = await seedTwoFirms();
    const admin = await signedIn(firm.firmId, "admin");
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);

    const response = await admin.call("PATCH", `/v1/members/${ann}`, { role: "viewer" });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Member).role).toBe("viewer");
    expect(await roleOf(firm.firmId, ann!)).toBe("viewer");
  });

  it("admin makes a partner an admin", async () => {
    const [firm] = await seedTwoFirms();
    const admin = await signedIn(firm.firmId, "admin");
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);

    expect((await admin.call("PATCH", `/v1/members/${ann}`, { role: "admin" })).status).toBe(200);
    expect(await roleOf(firm.firmId, ann!)).toBe("admin");
  });

  it("role and away in one patch", async () => {
    const [firm] = await seedTwoFirms();
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
    const until = new Date(Date.now() + 2 * 86_400_000).toISOString();

    const response = await withKey(firm.apiKey, "PATCH", `/v1/members/${ann}`, { role: "admin", awayUntil: until });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ role: "admin", awayUntil: until, away: true });
  });

  it("admin cannot give the owner role", async () => {
    const [firm] = await seedTwoFirms();
    const admin = await signedIn(firm.firmId, "admin");
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);

    const response = await admin.call("PATCH", `/v1/members/${ann}`, { role: "owner" });
    expect(response.status).toBe(403);
    const error = await errorOf(response);
    expect(error.code).toBe("forbidden");
    expect(error.message).toContain("Only an owner can give or take the owner role");
    expect(error.field).toBe("role");
    expect(await roleOf(firm.firmId, ann!)).toBe("partner");
  });

  it("API key cannot give the owner role", async () => {
    const [firm] = await seedTwoFirms();
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
    expect((await withKey(firm.apiKey, "PATCH", `/v1/members/${ann}`, { role: "owner" })).status).toBe(403);
    expect(await roleOf(firm.firmId, ann!)).toBe("partner");
  });

  it("admin cannot take the owner role", async () => {
    const [firm] = await seedTwoFirms();
    const admin = await signedIn(firm.firmId, "admin");
    const owner = await seedUser("Olive Owner", { [firm.firmId]: "owner" });
    await seedUser("Oscar Owner", { [firm.firmId]: "owner" });

    expect((await admin.call("PATCH", `/v1/members/${owner}`, { role: "partner" })).status).toBe(403);
    expect(await roleOf(firm.firmId, owner)).toBe("owner");
  });

  it("owner gives and takes the owner role", async () => {
    const [firm] = await seedTwoFirms();
    const owner = await signedIn(firm.firmId, "owner");
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);

    expect((await owner.call("PATCH", `/v1/members/${ann}`, { role: "owner" })).status).toBe(200);
    expect(await roleOf(firm.firmId, ann!)).toBe("owner");
    expect((await owner.call("PATCH", `/v1/members/${ann}`, { role: "admin" })).status).toBe(200);
    expect(await roleOf(firm.firmId, ann!)).toBe("admin");
  });

  it("agency admin acts as owner", async () => {
    const [firm] = await seedTwoFirms();
    const { userId } = await seedAgency([firm.firmId], "admin");
    const { token } = await sessionFor(userId);
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);

    const response = await callAs(token, firm.firmId, `/v1/members/${ann}`, { method: "PATCH", body: JSON.stringify({ role: "owner" }) });
    expect(response.status).toBe(200);
    expect(await roleOf(firm.firmId, ann!)).toBe("owner");
  });

  it("last owner cannot be demoted", async () => {
    const [firm] = await seedTwoFirms();
    const owner = await signedIn(firm.firmId, "owner");

    const response = await owner.call("PATCH", `/v1/members/${owner.userId}`, { role: "admin" });
    expect(response.status).toBe(409);
    const error = await errorOf(response);
    expect(error.code).toBe("conflict");
    expect(error.message).toContain("only owner");
    expect(await roleOf(firm.firmId, owner.userId)).toBe("owner");
  });

  it("one of two owners steps down", async () => {
    const [firm] = await seedTwoFirms();
    const owner = await signedIn(firm.firmId, "owner");
    await seedUser("Second Owner", { [firm.firmId]: "owner" });

    expect((await owner.call("PATCH", `/v1/members/${owner.userId}`, { role: "partner" })).status).toBe(200);
    expect(await roleOf(firm.firmId, owner.userId)).toBe("partner");
  });

  it("partner cannot change roles", async () => {
    const [firm] = await seedTwoFirms();
    const partner = await signedIn(firm.firmId, "partner");
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);

    const response = await partner.call("PATCH", `/v1/members/${ann}`, { role: "viewer" });
    expect(response.status).toBe(403);
    expect(await roleOf(firm.firmId, ann!)).toBe("partner");
  });

  const badBodies: Array<{ name: string; body: unknown; message: string; field: string }> = [
    { name: "unknown role", body: { role: "superuser" }, message: "role must be one of owner, admin, partner, viewer", field: "role" },
  ];
  for (const testCase of badBodies) {
    it(`rejects ${testCase.name}`, async () => {
      const [firm] = await seedTwoFirms();
      const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
      const response = await withKey(firm.apiKey, "PATCH", `/v1/members/${ann}`, testCase.body);
      expect(response.status).toBe(422);
      const error = await errorOf(response);
      expect(error.message).toContain(testCase.message);
      expect(error.field).toBe(testCase.field);
      expect(await roleOf(firm.firmId, ann!)).toBe("partner");
    });
  }

  it("another firm's member is 404", async () => {
    const [firm, other] = await seedTwoFirms();
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
    const otherOwner = await signedIn(other.firmId, "owner");

    const response = await otherOwner.call("PATCH", `/v1/members/${ann}`, { role: "viewer" });
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe("not_found");
    expect(await roleOf(firm.firmId, ann!)).toBe("partner");
  });
});

describe("member removal", () => {
  it("hands open work to the fallback owner", async () => {
    const [firm] = await seedTwoFirms();
    const [ann, fallback] = await seedPeople(firm.firmId, [{ name: "Ann Leaving" }, { name: "Fay Fallback" }]);
    await seedRule(firm.firmId, 0, null, { userId: ann! });
    await updateFirm(firm.firmId, { fallbackOwnerUserId: fallback!, escalationUserId: ann! });
    const teamId = await seedTeam(firm.firmId, "Property", [ann!, fallback!]);
    await enquire(firm.formKey, "one");
    await enquire(firm.formKey, "two");
    await settledMessages(firm.firmId);
    const before = await opportunitiesOf(firm.firmId);
    expect(before.map((row) => row.ownerUserId)).toEqual([ann, ann]);

    // A won deal keeps its owner, so reports still credit Ann.
    const won = before[1]!;
    await db().update(opportunities).set({ stage: "won", closedAt: new Date() }).where(eq(opportunities.id, won.id));

    const admin = await signedIn(firm.firmId, "admin");
    const response = await admin.call("DELETE", `/v1/members/${ann}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ userId: ann, reassignedToUserId: fallback, reassignedTasks: 2, reassignedOpportunities: 1 });

    expect(await roleOf(firm.firmId, ann!)).toBeUndefined();
    const after = await opportunitiesOf(firm.firmId);
    expect(after.find((row) => row.id === before[0]!.id)?.ownerUserId).toBe(fallback);
    expect(after.find((row) => row.id === won.id)?.ownerUserId).toBe(ann);
    const openTasks = (await tasksOf(firm.firmId)).filter((task) => task.status === "open");
    expect(openTasks.map((task) => task.assigneeUserId)).toEqual([fallback, fallback]);

    const ownerEntries = await db()
      .select()
      .from(activities)
      .where(and(eq(activities.firmId, firm.firmId), eq(activities.type, "owner.changed")));
    expect(ownerEntries).toHaveLength(1);
    expect(ownerEntries[0]?.opportunityId).toBe(before[0]!.id);
    expect(ownerEntries[0]?.actorUserId).toBe(admin.userId);
    expect(ownerEntries[0]?.data).toMatchObject({ fromUserId: ann, fromName: "Ann Leaving", toUserId: fallback, toName: "Fay Fallback", reason: "member_removed" });
    const taskEntries = await db()
      .select()
      .from(activities)
      .where(and(eq(activities.firmId, firm.firmId), eq(activities.type, "task.reassigned")));
    expect(taskEntries).toHaveLength(2);

    const rules = await db().select().from(routingRules).where(eq(routingRules.firmId, firm.firmId));
    expect(rules).toEqual([]);
    const team = await db().select().from(teamMembers).where(eq(teamMembers.teamId, teamId));
    expect(team.map((row) => row.userId)).toEqual([fallback]);
    const settings = await db().select().from(firms).where(eq(firms.id, firm.firmId)).get();
    expect(settings?.fallbackOwnerUserId).toBe(fallback);
    expect(settings?.escalationUserId).toBeNull();
  });

  it("leaves work unassigned without a fallback", async () => {
    const [firm] = await seedTwoFirms();
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann Leaving" }]);
    await updateFirm(firm.firmId, { fallbackOwnerUserId: ann! });
    await enquire(firm.formKey, "solo");
    await settledMessages(firm.firmId);

    const response = await withKey(firm.apiKey, "DELETE", `/v1/members/${ann}`);
    expect(response.status).toBe(200);
    expect(((await response.json()) as Removal).reassignedToUserId).toBeNull();

    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.ownerUserId).toBeNull();
    const [task] = await tasksOf(firm.firmId);
    expect(task?.assigneeUserId).toBeNull();
    const settings = await db().select().from(firms).where(eq(firms.id, firm.firmId)).get();
    expect(settings?.fallbackOwnerUserId).toBeNull();

    const entries = await db()
      .select()
      .from(activities)
      .where(and(eq(activities.opportunityId, opportunity!.id), eq(activities.type, "owner.changed")));
    expect(entries[0]?.data).toMatchObject({ toUserId: null, toName: null });
  });

  it("new enquiries skip a removed person", async () => {
    const [firm] = await seedTwoFirms();
    const [ann, bob] = await seedPeople(firm.firmId, [{ name: "Ann" }, { name: "Bob" }]);
    await seedRule(firm.firmId, 0, null, { userId: ann! });
    await updateFirm(firm.firmId, { fallbackOwnerUserId: bob! });
    expect((await withKey(firm.apiKey, "DELETE", `/v1/members/${ann}`)).status).toBe(200);

    await enquire(firm.formKey, "after");
    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.ownerUserId).toBe(bob);
  });

  it("admin cannot remove an owner", async () => {
    const [firm] = await seedTwoFirms();
    const admin = await signedIn(firm.firmId, "admin");
    const owner = await seedUser("Olive Owner", { [firm.firmId]: "owner" });
    await seedUser("Oscar Owner", { [firm.firmId]: "owner" });

    const response = await admin.call("DELETE", `/v1/members/${owner}`);
    expect(response.status).toBe(403);
    expect(await roleOf(firm.firmId, owner)).toBe("owner");
  });

  it("last owner cannot be removed", async () => {
    const [firm] = await seedTwoFirms();
    const owner = await signedIn(firm.firmId, "owner");

    const response = await owner.call("DELETE", `/v1/members/${owner.userId}`);
    expect(response.status).toBe(409);
    expect((await errorOf(response)).code).toBe("conflict");
    expect(await roleOf(firm.firmId, owner.userId)).toBe("owner");
  });

  it("owner removes another owner", async () => {
    const [firm] = await seedTwoFirms();
    const owner = await signedIn(firm.firmId, "owner");
    const second = await seedUser("Second Owner", { [firm.firmId]: "owner" });

    expect((await owner.call("DELETE", `/v1/members/${second}`)).status).toBe(200);
    expect(await roleOf(firm.firmId, second)).toBeUndefined();
  });

  it("partner cannot remove", async () => {
    const [firm] = await seedTwoFirms();
    const partner = await signedIn(firm.firmId, "partner");
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);

    expect((await partner.call("DELETE", `/v1/members/${ann}`)).status).toBe(403);
    expect(await roleOf(firm.firmId, ann!)).toBe("partner");
  });

  it("another firm's member is 404 and kept", async () => {
    const [firm, other] = await seedTwoFirms();
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
    await seedRule(firm.firmId, 0, null, { userId: ann! });
    await enquire(firm.formKey, "kept");
    await settledMessages(firm.firmId);

    const response = await withKey(other.apiKey, "DELETE", `/v1/members/${ann}`);
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe("not_found");
    expect(await roleOf(firm.firmId, ann!)).toBe("partner");
    const [opportunity] = await opportunitiesOf(firm.firmId);
    expect(opportunity?.ownerUserId).toBe(ann);
    expect(await db().select().from(routingRules).where(eq(routingRules.firmId, firm.firmId))).toHaveLength(1);
  });

  it("unknown person is 404", async () => {
    const [firm] = await seedTwoFirms();
    expect((await withKey(firm.apiKey, "DELETE", "/v1/members/user_nobody")).status).toBe(404);
  });
});

describe("member away by session", () => {
  it("admin marks a person away and back", async () => {
    const [firm] = await seedTwoFirms();
    const admin = await signedIn(firm.firmId, "admin");
    const [ann] = await seedPeople(firm.firmId, [{ name: "Ann" }]);
    const until = new Date(Date.now() + 86_400_000).toISOString();

    const away = await admin.call("PATCH", `/v1/members/${ann}`, { awayUntil: until });
    expect(away.status).toBe(200);
    expect(await away.json()).toMatchObject({ away: true, awayUntil: until, role: "partner" });
    const back = await admin.call("PATCH", `/v1/members/${ann}`, { awayUntil: null });
    expect(await back.json()).toMatchObject({ away: false, awayUntil: null });
  });
});
