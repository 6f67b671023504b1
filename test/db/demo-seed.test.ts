import { firms, opportunities, routingRules } from "@plumbline/db";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { submitJson } from "../support/api";
import { testDatabase } from "../support/seed";

const DEMO_FIRM = "firm_demo";

/** Runs scripts/seed/demo.sql the way `npm start` does: every statement, in order. */
async function applyDemoSeed() {
  const statements = env.DEMO_SEED_SQL.split("\n")
    .filter((line) => !line.trimStart().startsWith("--"))
    .join("\n")
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
  await env.DB.batch(statements.map((statement) => env.DB.prepare(statement)));
}

/** Submits an enquiry to the demo form and returns the stored opportunity's owner. */
async function ownerOfEnquiry(service: string): Promise<string | null> {
  const response = await submitJson(
    "demo",
    { submissionId: `seed-${service}-${crypto.randomUUID().slice(0, 8)}`, fields: { name: "Demo Prospect", email: `${service}@prospect.example`, service } },
    { origin: "http://localhost:4321" },
  );
  expect(response.status).toBe(201);
  const { reference } = (await response.json()) as { reference: string };
  const row = await testDatabase().select().from(opportunities).where(eq(opportunities.reference, reference)).get();
  expect(row?.firmId).toBe(DEMO_FIRM);
  return row?.ownerUserId ?? null;
}

describe("demo seed", () => {
  it("applies twice without doubling rules", async () => {
    await applyDemoSeed();
    await applyDemoSeed();

    const rules = await testDatabase().select().from(routingRules).where(eq(routingRules.firmId, DEMO_FIRM));
    expect(rules.map((rule) => [rule.position, rule.serviceLine]).sort()).toEqual([
      [1, "Private client"],
      [2, "Family"],
    ]);
  });

  it("gives the demo firm a fallback owner", async () => {
    await applyDemoSeed();

    const firm = await testDatabase().select().from(firms).where(eq(firms.id, DEMO_FIRM)).get();
    expect(firm?.fallbackOwnerUserId).toBe("user_demo_partner");
  });

  it("routes a new enquiry to the partner", async () => {
    await applyDemoSeed();

    expect(await ownerOfEnquiry("wills-probate")).toBe("user_demo_partner");
    expect(await ownerOfEnquiry("family")).toBe("user_demo_partner");
    expect(await ownerOfEnquiry("conveyancing")).toBe("user_demo_partner");
  });

  it("keeps rules and owner changed later", async () => {
    await applyDemoSeed();
    const db = testDatabase();
    await db.delete(routingRules).where(eq(routingRules.firmId, DEMO_FIRM));
    await db.insert(routingRules).values({ id: "rule_saved_later", firmId: DEMO_FIRM, position: 1, serviceLine: null, targetUserId: "user_demo_partner", createdAt: new Date() });
    await db.update(firms).set({ fallbackOwnerUserId: "user_demo_agency_admin" }).where(eq(firms.id, DEMO_FIRM));

    await applyDemoSeed();

    const rules = await db.select().from(routingRules).where(eq(routingRules.firmId, DEMO_FIRM));
    expect(rules.map((rule) => rule.id)).toEqual(["rule_saved_later"]);
    const firm = await db.select().from(firms).where(eq(firms.id, DEMO_FIRM)).get();
    expect(firm?.fallbackOwnerUserId).toBe("user_demo_agency_admin");
  });
});
