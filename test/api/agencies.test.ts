import { forms } from "@plumbline/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { errorOf } from "../support/api";
import { callAs, seedAgency, seedUser, sessionFor } from "../support/auth";
import { seedTwoFirms, testDatabase } from "../support/seed";

type FirmBody = { id: string; agencyId: string; name: string; slug: string; timeZone: string; currency: string; locale: string; workingHours: unknown[] };

function createFirm(token: string, agencyId: string, body: unknown) {
  return callAs(token, null, `/v1/agencies/${agencyId}/firms`, { method: "POST", body: JSON.stringify(body) });
}

describe("POST /v1/agencies/{agencyId}/firms", () => {
  it("agency admin creates a firm with defaults", async () => {
    const [firm] = await seedTwoFirms();
    const { agencyId, userId } = await seedAgency([firm.firmId], "admin");
    const { token } = await sessionFor(userId);
    const name = `Brook & Vale ${crypto.randomUUID().slice(0, 6)}`;

    const response = await createFirm(token, agencyId, { name });
    const body = (await response.json()) as FirmBody;
    expect(response.status).toBe(201);
    expect(body).toMatchObject({ agencyId, name, timeZone: "Europe/London", currency: "GBP", locale: "en-GB" });
    expect(body.slug).toMatch(/^brook-vale-/);
    expect(body.workingHours).toHaveLength(5);
    expect(await testDatabase().select().from(forms).where(eq(forms.firmId, body.id))).toHaveLength(1);

    const me = (await (await callAs(token, null, "/v1/me")).json()) as { firms: Array<{ id: string; role: string }> };
    expect(me.firms).toContainEqual(expect.objectContaining({ id: body.id, role: "owner" }));
  });

  it("agency staff cannot create a firm", async () => {
    const [firm] = await seedTwoFirms();
    const { agencyId, userId } = await seedAgency([firm.firmId], "staff");
    const response = await createFirm((await sessionFor(userId)).token, agencyId, { name: "Staff Firm" });
    expect(response.status).toBe(403);
  });

  it("outsider gets not found", async () => {
    const [firm] = await seedTwoFirms();
    const { agencyId } = await seedAgency([firm.firmId], "admin");
    const outsider = await seedUser("Outsider", { [firm.firmId]: "owner" });
    const response = await createFirm((await sessionFor(outsider)).token, agencyId, { name: "Sneaky Firm" });
    expect(response.status).toBe(404);
  });

  it("taken slug is a conflict", async () => {
    const [firm] = await seedTwoFirms();
    const { agencyId, userId } = await seedAgency([firm.firmId], "admin");
    const { token } = await sessionFor(userId);
    const slug = `taken-${crypto.randomUUID().slice(0, 6)}`;
    expect((await createFirm(token, agencyId, { name: "First", slug })).status).toBe(201);
    const second = await createFirm(token, agencyId, { name: "Second", slug });
    expect(second.status).toBe(409);
    expect((await errorOf(second)).field).toBe("slug");
  });

  it("invalid time zone is 422", async () => {
    const [firm] = await seedTwoFirms();
    const { agencyId, userId } = await seedAgency([firm.firmId], "admin");
    const response = await createFirm((await sessionFor(userId)).token, agencyId, { name: "Zone Firm", timeZone: "Mars/Olympus" });
    expect(response.status).toBe(422);
    expect((await errorOf(response)).field).toBe("timeZone");
  });

  it("API key cannot create a firm", async () => {
    const [firm] = await seedTwoFirms();
    const { agencyId } = await seedAgency([firm.firmId], "admin");
    expect((await createFirm(firm.apiKey, agencyId, { name: "Key Firm" })).status).toBe(401);
  });
});
