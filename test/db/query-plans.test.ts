import { encodeCursor, listOpportunities, listOutboundMessages, listServiceLines, listTasks, summariseStages, type Database } from "@plumbline/db";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { recordingDatabase, type RecordedStatement } from "../support/recording-d1";
import { seedFirm } from "../support/seed";

/**
 * The pipeline's reads must stay index reads as a firm grows to 100,000 opportunities (bench/pipeline.mjs). The
 * plan SQLite picks depends on the schema and the SQL, not on how many rows a table holds, so a nearly empty test
 * database shows the same plan as a full one. A plan that scans a table, or sorts rows the index could have given
 * in order, fails here.
 */
async function plansOf(run: (db: Database) => Promise<unknown>): Promise<string[][]> {
  const { db, statements } = recordingDatabase();
  await run(db);
  return Promise.all(statements.map(explain));
}

async function explain(statement: RecordedStatement): Promise<string[]> {
  const result = await env.DB.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`)
    .bind(...statement.params)
    .all<{ detail: string }>();
  return result.results.map((row) => row.detail);
}

/** Fails with the whole plan in the message, so a regression shows what SQLite chose instead. */
function expectIndexOnly(plan: string[], index: string) {
  const text = plan.join("\n");
  expect(text, text).toMatch(new RegExp(`USING (COVERING )?INDEX ${index}\\b`));
  expect(text, text).not.toMatch(/\bSCAN (opportunities|contacts|tasks|outbound_messages)\b(?! USING)/);
  expect(text, text).not.toContain("TEMP B-TREE");
}

const CURSOR = encodeCursor({ createdAt: Date.UTC(2026, 0, 1), id: "opp_cursor" });

describe("pipeline reads use their indexes", () => {
  it.each([
    { name: "one stage", filters: { stage: "new" }, index: "opportunities_firm_stage_created_idx" },
    { name: "one stage after a cursor", filters: { stage: "new", cursor: CURSOR }, index: "opportunities_firm_stage_created_idx" },
    { name: "stage and owner", filters: { stage: "new", ownerUserId: "user_x" }, index: "opportunities_firm_owner_stage_idx" },
    { name: "stage and no owner", filters: { stage: "new", ownerUserId: null }, index: "opportunities_firm_owner_stage_idx" },
    { name: "stage and service line", filters: { stage: "new", serviceLine: "property" }, index: "opportunities_firm_service_line_stage_idx" },
    { name: "stage and channel", filters: { stage: "new", channel: "paid_search" }, index: "opportunities_firm_channel_stage_idx" },
    { name: "stage, stalled only", filters: { stage: "new", stalled: true }, index: "opportunities_firm_stalled_stage_idx" },
    { name: "stage, service line, stalled", filters: { stage: "lost", serviceLine: "property", stalled: true }, index: "opportunities_firm_stalled_stage_idx" },
    { name: "stage, owner, stalled", filters: { stage: "new", ownerUserId: "user_x", stalled: true }, index: "opportunities_firm_stalled_stage_idx" },
    { name: "stage, no owner, stalled", filters: { stage: "new", ownerUserId: null, stalled: true }, index: "opportunities_firm_stalled_stage_idx" },
    { name: "every stage", filters: {}, index: "opportunities_firm_created_idx" },
    { name: "channel alone", filters: { channel: "direct" }, index: "opportunities_firm_channel_idx" },
  ])("opportunity list: $name", async ({ filters, index }) => {
    const firm = await seedFirm("Plans");

    const plans = await plansOf((db) => listOpportunities(db, firm.firmId, { limit: 100, ...filters }));

    expect(plans).toHaveLength(1);
    expectIndexOnly(plans[0]!, index);
    // The contact comes by primary key, one lookup per listed row.
    expect(plans[0]!.join("\n")).toMatch(/SEARCH contacts USING INDEX sqlite_autoindex_contacts_1 \(id=\?\)/);
  });

  it.each([{}, { ownerUserId: "user_x" }, { ownerUserId: null }, { serviceLine: "property" }, { channel: "direct" }, { stalled: true }])(
    "stage summary with %o reads the index alone",
    async (filters) => {
      const firm = await seedFirm("Plans");

      const plans = await plansOf((db) => summariseStages(db, firm.firmId, filters));

      expect(plans[0]!.join("\n")).toContain("USING COVERING INDEX opportunities_firm_summary_idx");
    },
  );

  it("service lines seek the index", async () => {
    const firm = await seedFirm("Plans");

    const plans = await plansOf((db) => listServiceLines(db, firm.firmId));
    const text = plans[0]!.join("\n");

    expect(text, text).toContain("USING COVERING INDEX opportunities_firm_service_line_stage_idx (firm_id=? AND service_line>?)");
    expect(text, text).not.toMatch(/\bSCAN opportunities\b/);
  });

  it("one opportunity's open tasks", async () => {
    const firm = await seedFirm("Plans");

    const plans = await plansOf((db) => listTasks(db, firm.firmId, { status: "open", opportunityId: "opp_x", limit: 100 }));

    expectIndexOnly(plans[0]!, "tasks_firm_opportunity_idx");
  });

  it("one opportunity's failed messages", async () => {
    const firm = await seedFirm("Plans");

    const plans = await plansOf((db) => listOutboundMessages(db, firm.firmId, { status: "failed", opportunityId: "opp_x", limit: 100 }));

    expectIndexOnly(plans[0]!, "outbound_firm_opportunity_idx");
  });
});
