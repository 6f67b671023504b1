import { memberships, users } from "@plumbline/db";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { errorOf } from "../support/api";
import { callAs, createSession, latestTokenFor, platformEmailsTo, seedUser, sessionFor, uniqueEmail } from "../support/auth";
import { seedTwoFirms, testDatabase } from "../support/seed";

type InvitationBody = { id: string; email: string; role: string; status: string };

async function adminOf(firmId: string, role: "admin" | "owner" = "admin") {
  const userId = await seedUser("Firm Admin", { [firmId]: role });
  return (await sessionFor(userId)).token;
}

function invite(token: string, firmId: string, body: unknown) {
  return callAs(token, firmId, "/v1/invitations", { method: "POST", body: JSON.stringify(body) });
}

async function membershipOf(firmId: string, email: string) {
  return testDatabase()
    .select({ role: memberships.role })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.firmId, firmId), eq(users.email, email)))
    .get();
}

describe("POST /v1/invitations", () => {
  it("emails a link to the invited address", async () => {
    const [firm] = await seedTwoFirms();
    const email = uniqueEmail("invitee");
    const response = await invite(await adminOf(firm.firmId), firm.firmId, { email, role: "partner" });
    const body = (await response.json()) as InvitationBody;

    expect(response.status).toBe(201);
    expect(body).toMatchObject({ email, role: "partner", status: "pending" });
    const [sent] = await platformEmailsTo(email);
    expect(sent?.kind).toBe("invitation");
    expect(JSON.stringify(sent?.data)).toContain(`next=%2Ffirms%2F${firm.firmId}%2Fpipeline`);
  });

  it("accepting creates the user and membership", async () => {
    const [firm, other] = await seedTwoFirms();
    const email = uniqueEmail("new-person");
    await invite(await adminOf(firm.firmId), firm.firmId, { email, role: "viewer" });

    const session = await createSession(await latestTokenFor(email));
    expect(session.status).toBe(201);
    const body = (await session.json()) as { session: { token: string }; user: { email: string } };
    expect(body.user.email).toBe(email);
    expect(await membershipOf(firm.firmId, email)).toEqual({ role: "viewer" });
    expect(await membershipOf(other.firmId, email)).toBeUndefined();

    const me = (await (await callAs(body.session.token, null, "/v1/me")).json()) as { firms: Array<{ id: string; role: string }> };
    expect(me.firms).toEqual([expect.objectContaining({ id: firm.firmId, role: "viewer" })]);
    const list = (await (await callAs(await adminOf(firm.firmId), firm.firmId, "/v1/invitations")).json()) as { data: InvitationBody[] };
    expect(list.data.find((entry) => entry.email === email)?.status).toBe("accepted");
  });

  it("existing user joins with the invited role", async () => {
    const [firm, other] = await seedTwoFirms();
    const email = uniqueEmail("existing");
    const userId = await seedUser("Already Here", { [other.firmId]: "owner" }, email);
    await invite(await adminOf(firm.firmId), firm.firmId, { email, role: "admin" });

    const session = await createSession(await latestTokenFor(email));
    expect(((await session.json()) as { user: { id: string } }).user.id).toBe(userId);
    expect(await membershipOf(firm.firmId, email)).toEqual({ role: "admin" });
    expect(await membershipOf(other.firmId, email)).toEqual({ role: "owner" });
  });

  it("member already in the firm is a conflict", async () => {
    const [firm] = await seedTwoFirms();
    const email = uniqueEmail("member");
    await seedUser("Member", { [firm.firmId]: "viewer" }, email);
    const response = await invite(await adminOf(firm.firmId), firm.firmId, { email, role: "partner" });
    expect(response.status).toBe(409);
    expect((await errorOf(response)).field).toBe("email");
  });

  it("admin cannot invite an owner", async () => {
    const [firm] = await seedTwoFirms();
    const response = await invite(await adminOf(firm.firmId), firm.firmId, { email: uniqueEmail("owner"), role: "owner" });
    expect(response.status).toBe(403);
  });

  it("owner can invite an owner", async () => {
    const [firm] = await seedTwoFirms();
    const response = await invite(await adminOf(firm.firmId, "owner"), firm.firmId, { email: uniqueEmail("owner"), role: "owner" });
    expect(response.status).toBe(201);
  });

  it("unknown role is 422", async () => {
    const [firm] = await seedTwoFirms();
    const response = await invite(await adminOf(firm.firmId), firm.firmId, { email: uniqueEmail("role"), role: "boss" });
    expect(response.status).toBe(422);
    expect((await errorOf(response)).field).toBe("role");
  });

  it("API key can invite", async () => {
    const [firm] = await seedTwoFirms();
    const response = await invite(firm.apiKey, firm.firmId, { email: uniqueEmail("by-key"), role: "partner" });
    expect(response.status).toBe(201);
  });
});

describe("DELETE /v1/invitations/{id}", () => {
  it("revoked invitation link no longer works", async () => {
    const [firm] = await seedTwoFirms();
    const admin = await adminOf(firm.firmId);
    const email = uniqueEmail("revoked");
    const created = (await (await invite(admin, firm.firmId, { email, role: "partner" })).json()) as InvitationBody;

    expect((await callAs(admin, firm.firmId, `/v1/invitations/${created.id}`, { method: "DELETE" })).status).toBe(204);
    const session = await createSession(await latestTokenFor(email));
    expect(session.status).toBe(400);
    expect((await errorOf(session)).code).toBe("invalid_sign_in_link");
    expect(await membershipOf(firm.firmId, email)).toBeUndefined();
  });

  it("accepted invitation cannot be revoked", async () => {
    const [firm] = await seedTwoFirms();
    const admin = await adminOf(firm.firmId);
    const email = uniqueEmail("accepted");
    const created = (await (await invite(admin, firm.firmId, { email, role: "partner" })).json()) as InvitationBody;
    await createSession(await latestTokenFor(email));

    expect((await callAs(admin, firm.firmId, `/v1/invitations/${created.id}`, { method: "DELETE" })).status).toBe(409);
  });

  it("another firm's invitation is not found", async () => {
    const [firm, other] = await seedTwoFirms();
    const created = (await (await invite(other.apiKey, other.firmId, { email: uniqueEmail("other"), role: "partner" })).json()) as InvitationBody;
    const response = await callAs(await adminOf(firm.firmId), firm.firmId, `/v1/invitations/${created.id}`, { method: "DELETE" });
    expect(response.status).toBe(404);
  });

  it("list shows only this firm's", async () => {
    const [firm, other] = await seedTwoFirms();
    await invite(other.apiKey, other.firmId, { email: uniqueEmail("theirs"), role: "partner" });
    const mine = uniqueEmail("mine");
    await invite(firm.apiKey, firm.firmId, { email: mine, role: "partner" });
    const list = (await (await callAs(firm.apiKey, firm.firmId, "/v1/invitations")).json()) as { data: InvitationBody[] };
    expect(list.data.map((entry) => entry.email)).toEqual([mine]);
  });
});
