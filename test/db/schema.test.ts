import {
  contacts,
  encodeCursor,
  findActiveApiKeyByHash,
  findFormByKey,
  findOutboundMessage,
  findRecentSubmissionByFingerprint,
  findSubmissionByDedupeKey,
  getOpportunityDetail,
  listContacts,
  listOpportunities,
  markMessagesQueued,
  outboundMessages,
} from "@plumbline/db";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { callApi, submitJson } from "../support/api";
import { recordingD1, recordingDatabase, type RecordedStatement } from "../support/recording-d1";
import { seedTwoFirms, testDatabase } from "../support/seed";

type ColumnInfo = { name: string; notnull: number; pk: number };
type IndexListEntry = { name: string; unique: number; origin: string; partial: number };
type IndexColumn = { seqno: number; name: string };
type ForeignKey = { table: string; from: string; to: string };

/**
 * Tables that belong to no single firm: the tenants themselves, people who may work for several, their sign-in
 * state and the platform's own emails, and rate-limit state.
 */
const TABLES_WITHOUT_FIRM = [
  "agencies",
  "agency_memberships",
  "users",
  "firms",
  "rate_limit_counters",
  "sessions",
  "sign_in_tokens",
  "platform_emails",
];
/** Provider webhooks are stored before they are matched to a firm, so firm_id starts out null. */
const TABLES_WITH_NULLABLE_FIRM = ["webhook_events"];
const FIRM_TABLES = [
  "activities",
  "api_keys",
  "contacts",
  "email_messages",
  "email_suppressions",
  "email_templates",
  "forms",
  "integrations",
  "invitations",
  "meetings",
  "memberships",
  "opportunities",
  "opportunity_touches",
  "outbound_messages",
  "report_attribution",
  "report_open",
  "report_totals",
  "routing_rules",
  "submissions",
  "tasks",
  "team_members",
  "teams",
];

// Identifiers cannot be bound, so a PRAGMA argument must look like a plain table or index name before it goes into the SQL.
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

async function pragma<T>(name: string, argument: string): Promise<T[]> {
  if (!IDENTIFIER.test(argument)) {
    throw new Error(`Invalid table or index name ${JSON.stringify(argument)}: expected lower-case letters, digits and underscores.`);
  }
  const result = await env.DB.prepare(`PRAGMA ${name}(${argument})`).all<T>();
  return result.results;
}

/** Application tables, without SQLite's own, D1's metadata and the migrations ledger. */
async function applicationTables(): Promise<string[]> {
  const result = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name <> 'd1_migrations' ORDER BY name",
  ).all<{ name: string }>();
  return result.results.map((row) => row.name);
}

async function firmIdColumn(table: string): Promise<ColumnInfo | undefined> {
  return (await pragma<ColumnInfo>("table_info", table)).find((column) => column.name === "firm_id");
}

async function indexesOf(table: string): Promise<Array<IndexListEntry & { columns: string[] }>> {
  const entries = await pragma<IndexListEntry>("index_list", table);
  const indexes = [];
  for (const entry of entries) {
    const columns = (await pragma<IndexColumn>("index_info", entry.name)).sort((a, b) => a.seqno - b.seqno).map((column) => column.name);
    indexes.push({ ...entry, columns });
  }
  return indexes;
}

describe("schema, tenancy", () => {
  it("every table is classified", async () => {
    const classified = [...TABLES_WITHOUT_FIRM, ...TABLES_WITH_NULLABLE_FIRM, ...FIRM_TABLES].sort();
    expect(await applicationTables()).toEqual(classified);
  });

  it.each(FIRM_TABLES)("%s has firm_id", async (table) => {
    expect(await firmIdColumn(table)).toBeDefined();
  });

  it.each(FIRM_TABLES)("%s firm_id is NOT NULL", async (table) => {
    expect((await firmIdColumn(table))?.notnull).toBe(1);
  });

  it.each(FIRM_TABLES)("%s has an index led by firm_id", async (table) => {
    const leadingColumns = (await indexesOf(table)).map((index) => index.columns[0]);
    expect(leadingColumns).toContain("firm_id");
  });

  it.each([...FIRM_TABLES, ...TABLES_WITH_NULLABLE_FIRM])("%s firm_id references firms", async (table) => {
    const keys = await pragma<ForeignKey>("foreign_key_list", table);
    expect(keys).toContainEqual(expect.objectContaining({ from: "firm_id", table: "firms", to: "id" }));
  });

  it("webhook_events firm_id is nullable", async () => {
    expect((await firmIdColumn("webhook_events"))?.notnull).toBe(0);
  });

  it("webhook_events has an index led by firm_id", async () => {
    const leadingColumns = (await indexesOf("webhook_events")).map((index) => index.columns[0]);
    expect(leadingColumns).toContain("firm_id");
  });

  it.each(TABLES_WITHOUT_FIRM)("%s has no firm_id", async (table) => {
    expect(await firmIdColumn(table)).toBeUndefined();
  });
});

describe("schema, contacts indexes", () => {
  it("email is unique per firm", async () => {
    const unique = (await indexesOf("contacts")).filter((index) => index.unique === 1 && index.partial === 0).map((index) => index.columns);
    expect(unique).toContainEqual(["firm_id", "email_normalised"]);
  });

  it("email is not unique across firms", async () => {
    const unique = (await indexesOf("contacts")).filter((index) => index.unique === 1).map((index) => index.columns);
    expect(unique).not.toContainEqual(["email_normalised"]);
  });

  it("phone is indexed per firm", async () => {
    const columns = (await indexesOf("contacts")).map((index) => index.columns.slice(0, 2));
    expect(columns).toContainEqual(["firm_id", "phone_e164"]);
  });

  it("phone is not unique", async () => {
    const unique = (await indexesOf("contacts")).filter((index) => index.unique === 1 && index.columns.includes("phone_e164"));
    expect(unique).toEqual([]);
  });

  it("same email in two firms is two contacts", async () => {
    const [firm, other] = await seedTwoFirms();
    const now = new Date();
    const row = (firmId: string, id: string) => ({ id, firmId, email: "shared@example.com", emailNormalised: "shared@example.com", createdAt: now, updatedAt: now });
    const db = testDatabase();

    await db.insert(contacts).values(row(firm.firmId, `con_schema_a_${crypto.randomUUID().slice(0, 8)}`));
    await db.insert(contacts).values(row(other.firmId, `con_schema_b_${crypto.randomUUID().slice(0, 8)}`));

    expect(await db.select().from(contacts).where(eq(contacts.emailNormalised, "shared@example.com"))).toHaveLength(2);
  });

  it("same email twice in one firm fails", async () => {
    const [firm] = await seedTwoFirms();
    const now = new Date();
    const row = (id: string) => ({ id, firmId: firm.firmId, email: "twice@example.com", emailNormalised: "twice@example.com", createdAt: now, updatedAt: now });
    const db = testDatabase();

    await db.insert(contacts).values(row(`con_twice_a_${crypto.randomUUID().slice(0, 8)}`));
    const failure = await db
      .insert(contacts)
      .values(row(`con_twice_b_${crypto.randomUUID().slice(0, 8)}`))
      .then(
        () => null,
        (error: unknown) => error,
      );

    // drizzle wraps D1's error, so SQLite's message is on the cause.
    expect(failure).toBeInstanceOf(Error);
    expect(String((failure as Error).cause)).toMatch(/UNIQUE constraint failed: contacts\.firm_id, contacts\.email_normalised/);
  });
});

/** Appends SQL to `prefix` that would widen the query to every row if the value were pasted into the SQL text. */
function hostile(prefix: string): string {
  return `${prefix}' OR '1'='1' --`;
}

function sqlMentioning(statements: RecordedStatement[], value: string): string[] {
  return statements.filter((statement) => statement.sql.includes(value)).map((statement) => statement.sql);
}

function boundValues(statements: RecordedStatement[]): unknown[] {
  return statements.flatMap((statement) => statement.params);
}

describe("queries bind their values", () => {
  it("API key lookup binds the hash", async () => {
    await seedTwoFirms();
    const { db, statements } = recordingDatabase();
    const value = hostile("hash");

    const found = await findActiveApiKeyByHash(db, value);

    expect(found).toBeNull();
    expect(sqlMentioning(statements, value)).toEqual([]);
    expect(boundValues(statements)).toContain(value);
  });

  it("form lookup binds the key", async () => {
    await seedTwoFirms();
    const { db, statements } = recordingDatabase();
    const value = hostile("form_key");

    const found = await findFormByKey(db, value);

    expect(found).toBeNull();
    expect(sqlMentioning(statements, value)).toEqual([]);
    expect(boundValues(statements)).toContain(value);
  });

  it("contact list binds the firm id", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Bound Contact", email: "bound.contact@example.com" } });
    const { db, statements } = recordingDatabase();
    const value = hostile(firm.firmId);

    const page = await listContacts(db, value, { limit: 10 });

    expect(page.data).toEqual([]);
    expect(sqlMentioning(statements, value)).toEqual([]);
    expect(boundValues(statements)).toContain(value);
  });

  it("contact list binds the cursor position", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Cursor Contact", email: "cursor.contact@example.com" } });
    const { db, statements } = recordingDatabase();
    const position = { createdAt: Date.now() + 60_000, id: "con_zzzzcursor" };

    const page = await listContacts(db, firm.firmId, { limit: 1, cursor: encodeCursor(position) });

    expect(page.data).toHaveLength(1);
    expect(sqlMentioning(statements, position.id)).toEqual([]);
    expect(sqlMentioning(statements, String(position.createdAt))).toEqual([]);
    expect(boundValues(statements)).toEqual(expect.arrayContaining([position.id, position.createdAt]));
  });

  it("opportunity list binds its filters", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Bound Filter", email: "bound.filter@example.com" } });
    const { db, statements } = recordingDatabase();
    const stage = hostile("new");
    const channel = hostile("direct");
    const contactId = hostile("con");

    const page = await listOpportunities(db, firm.firmId, { limit: 10, stage, channel, contactId });

    expect(page.data).toEqual([]);
    expect(sqlMentioning(statements, stage)).toEqual([]);
    expect(sqlMentioning(statements, channel)).toEqual([]);
    expect(sqlMentioning(statements, contactId)).toEqual([]);
    expect(boundValues(statements)).toEqual(expect.arrayContaining([firm.firmId, stage, channel, contactId]));
  });

  it("opportunity detail binds the id", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Bound Detail", email: "bound.detail@example.com" } });
    const { db, statements } = recordingDatabase();
    const value = hostile("opp");

    const detail = await getOpportunityDetail(db, firm.firmId, value);

    expect(detail).toBeNull();
    expect(sqlMentioning(statements, value)).toEqual([]);
    expect(boundValues(statements)).toContain(value);
  });

  it("submission lookups bind their keys", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { submissionId: "bound-dedupe-0001", fields: { name: "Bound Dedupe", email: "bound.dedupe@example.com" } });
    const { db, statements } = recordingDatabase();
    const dedupeKey = hostile("bound-dedupe-0001");
    const fingerprint = hostile("fingerprint");

    const byKey = await findSubmissionByDedupeKey(db, firm.firmId, firm.formId, dedupeKey);
    const byFingerprint = await findRecentSubmissionByFingerprint(db, firm.firmId, firm.formId, fingerprint, new Date(0));

    expect(byKey).toBeNull();
    expect(byFingerprint).toBeNull();
    expect(sqlMentioning(statements, dedupeKey)).toEqual([]);
    expect(sqlMentioning(statements, fingerprint)).toEqual([]);
    expect(boundValues(statements)).toEqual(expect.arrayContaining([dedupeKey, fingerprint]));
  });

  it("outbox lookup binds the id", async () => {
    const [firm] = await seedTwoFirms();
    const { db, statements } = recordingDatabase();
    const value = hostile("msg");

    const found = await findOutboundMessage(db, firm.firmId, value);

    expect(found).toBeNull();
    expect(sqlMentioning(statements, value)).toEqual([]);
    expect(boundValues(statements)).toContain(value);
  });

  it("marking queued binds the id list", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Bound Mark", email: "bound.mark@example.com" } });
    const before = await testDatabase().select().from(outboundMessages).where(eq(outboundMessages.firmId, firm.firmId));
    const { db, statements } = recordingDatabase();
    const value = hostile("msg");

    await markMessagesQueued(db, firm.firmId, [value], new Date(0));
    const after = await testDatabase().select().from(outboundMessages).where(eq(outboundMessages.firmId, firm.firmId));

    expect(after.map((row) => row.queuedAt?.getTime())).toEqual(before.map((row) => row.queuedAt?.getTime()));
    expect(sqlMentioning(statements, value)).toEqual([]);
    expect(boundValues(statements)).toContain(JSON.stringify([value]));
  });

  it("enquiry write binds the answers", async () => {
    const [firm] = await seedTwoFirms();
    const name = hostile("Robert'); DROP TABLE contacts; --");
    const { d1, statements } = recordingD1();

    const response = await callApi(
      `/v1/forms/${firm.formKey}/submissions`,
      { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ fields: { name, email: "bobby.tables@example.com" } }) },
      { DB: d1 },
    );
    const stored = await testDatabase().select().from(contacts).where(eq(contacts.firmId, firm.firmId));

    expect(response.status).toBe(201);
    expect(stored.map((contact) => contact.name)).toEqual([name]);
    expect(statements.length).toBeGreaterThan(0);
    expect(sqlMentioning(statements, name)).toEqual([]);
    expect(boundValues(statements)).toContain(name);
  });
});
