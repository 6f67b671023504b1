import { apiKeys, contacts, encodeCursor, opportunities } from "@plumbline/db";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { callApi, errorOf, getWithKey, submitJson } from "../support/api";
import { contactsOf, opportunitiesOf } from "../support/rows";
import { seedTwoFirms, testDatabase, type SeededFirm } from "../support/seed";

type Listed = { id: string; createdAt: string; reference?: string; channel?: string; contactId?: string };
type ListPage = { data: Listed[]; nextCursor: string | null };
type ContactBody = { id: string; name: string | null; email: string | null; phone: string | null; phoneE164: string | null };
type TimelineEntry = { id: string; type: string; cause: string; origin: string; occurredAt: string; data: Record<string, unknown> };
type OpportunityDetailBody = {
  id: string;
  reference: string;
  stage: string;
  contactId: string;
  channel: string;
  contact: ContactBody;
  timeline: TimelineEntry[];
  timelineTruncated: boolean;
};

/** Most pages a test follows before it gives up, so a cursor that never ends fails instead of hanging. */
const MAX_PAGES = 20;

/** Submits `count` enquiries, each with its own submission id and address, and returns their references. */
async function submitEnquiries(firm: SeededFirm, count: number, label: string): Promise<string[]> {
  const references: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await submitJson(firm.formKey, {
      submissionId: `${label}-${i}-${crypto.randomUUID().slice(0, 8)}`,
      fields: { name: `${label} ${i}`, email: `${label}.${i}@example.com` },
    });
    expect(response.status).toBe(201);
    references.push(((await response.json()) as { reference: string }).reference);
  }
  return references;
}

async function listPage(path: string, apiKey: string): Promise<ListPage> {
  const response = await getWithKey(path, apiKey);
  expect(response.status).toBe(200);
  return (await response.json()) as ListPage;
}

/** Follows nextCursor from the first page to the last and returns every page. */
async function allPages(path: string, apiKey: string, limit: number): Promise<ListPage[]> {
  const pages: ListPage[] = [];
  let cursor: string | null = null;
  do {
    const url = new URL(path, "https://placeholder.invalid");
    url.searchParams.set("limit", String(limit));
    if (cursor) url.searchParams.set("cursor", cursor);
    const page = await listPage(`${url.pathname}${url.search}`, apiKey);
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor && pages.length < MAX_PAGES);
  return pages;
}

function idsOf(pages: ListPage[]): string[] {
  return pages.flatMap((page) => page.data.map((item) => item.id));
}

async function opportunityDetail(id: string, apiKey: string): Promise<OpportunityDetailBody> {
  const response = await getWithKey(`/v1/opportunities/${id}`, apiKey);
  expect(response.status).toBe(200);
  return (await response.json()) as OpportunityDetailBody;
}

/** Reads the rows a list route returns straight from D1. */
async function storedRows(path: string, firm: SeededFirm): Promise<Array<{ id: string; createdAt: Date }>> {
  return path === "/v1/contacts" ? contactsOf(firm.firmId) : opportunitiesOf(firm.firmId);
}

/** Orders ids newest first with the larger id first on equal times, as the list routes promise. */
function newestFirst<T extends { id: string; createdAt: Date }>(rows: T[]): string[] {
  const byNewest = (a: T, b: T) => {
    const byTime = b.createdAt.getTime() - a.createdAt.getTime();
    if (byTime !== 0) return byTime;
    if (a.id === b.id) return 0;
    return a.id < b.id ? 1 : -1;
  };
  return [...rows].sort(byNewest).map((row) => row.id);
}

/** Each route behind an API key, with the status a valid key gets: the detail route names an unknown id. */
const PROTECTED_ROUTES = [
  { path: "/v1/contacts", statusWithKey: 200 },
  { path: "/v1/opportunities", statusWithKey: 200 },
  { path: "/v1/opportunities/opp_01unknownunknownunknownunkn", statusWithKey: 404 },
];

describe.each(PROTECTED_ROUTES)("GET $path without a valid key", ({ path, statusWithKey }) => {
  it("missing key is rejected", async () => {
    await seedTwoFirms();
    const response = await callApi(path);

    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="plumbline"');
  });

  it("missing key gets the error envelope", async () => {
    const response = await callApi(path);
    const body = (await response.json()) as { error: Record<string, unknown> };

    expect(Object.keys(body)).toEqual(["error"]);
    expect(body.error.code).toBe("unauthorized");
    expect(body.error.message).toMatch(/Authorization: Bearer/);
    expect(body.error.requestId).toBe(response.headers.get("x-request-id"));
    expect(body.error.requestId).toEqual(expect.any(String));
  });

  it("Basic scheme is rejected", async () => {
    const response = await callApi(path, { headers: { authorization: `Basic ${btoa("user:password")}` } });

    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("unauthorized");
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="plumbline"');
  });

  it("Bearer without a key is rejected", async () => {
    const response = await callApi(path, { headers: { authorization: "Bearer" } });

    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("unauthorized");
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="plumbline"');
  });

  it("malformed key is rejected", async () => {
    const response = await getWithKey(path, "not-a-plumbline-key");

    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("unauthorized");
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="plumbline", error="invalid_token"');
  });

  it("unknown key is rejected", async () => {
    await seedTwoFirms();
    const response = await getWithKey(path, `pl_test_${crypto.randomUUID().replace(/-/g, "")}`);

    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("unauthorized");
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="plumbline", error="invalid_token"');
  });

  it("revoked key is rejected", async () => {
    const [firm] = await seedTwoFirms();
    await testDatabase().update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.firmId, firm.firmId));
    const response = await getWithKey(path, firm.apiKey);

    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("unauthorized");
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="plumbline", error="invalid_token"');
  });

  it("other firm's key still works", async () => {
    const [firm, other] = await seedTwoFirms();
    await testDatabase().update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.firmId, firm.firmId));
    const response = await getWithKey(path, other.apiKey);

    expect(response.status).toBe(statusWithKey);
  });

  it("lower-case bearer scheme is accepted", async () => {
    const [firm] = await seedTwoFirms();
    const response = await callApi(path, { headers: { authorization: `bearer ${firm.apiKey}` } });

    expect(response.status).toBe(statusWithKey);
  });
});

describe.each(["/v1/contacts", "/v1/opportunities"])("GET %s pagination", (path) => {
  it("pages cover every row once", async () => {
    const [firm, other] = await seedTwoFirms();
    await submitEnquiries(firm, 7, "page");
    await submitEnquiries(other, 2, "elsewhere");

    const ids = idsOf(await allPages(path, firm.apiKey, 3));
    const stored = await storedRows(path, firm);

    expect(ids).toHaveLength(7);
    expect(new Set(ids).size).toBe(7);
    expect([...ids].sort()).toEqual(stored.map((row) => row.id).sort());
  });

  it("pages are 3, 3 and 1 long", async () => {
    const [firm] = await seedTwoFirms();
    await submitEnquiries(firm, 7, "sizes");

    const pages = await allPages(path, firm.apiKey, 3);

    expect(pages.map((page) => page.data.length)).toEqual([3, 3, 1]);
  });

  it("only the last page has no cursor", async () => {
    const [firm] = await seedTwoFirms();
    await submitEnquiries(firm, 7, "cursors");

    const pages = await allPages(path, firm.apiKey, 3);

    expect(pages.map((page) => page.nextCursor === null)).toEqual([false, false, true]);
  });

  it("rows come newest first", async () => {
    const [firm] = await seedTwoFirms();
    await submitEnquiries(firm, 7, "order");

    const ids = idsOf(await allPages(path, firm.apiKey, 3));
    const stored = await storedRows(path, firm);

    expect(ids).toEqual(newestFirst(stored));
  });

  it("exactly full page has no cursor", async () => {
    const [firm] = await seedTwoFirms();
    await submitEnquiries(firm, 3, "full");

    const page = await listPage(`${path}?limit=3`, firm.apiKey);

    expect(page.data).toHaveLength(3);
    expect(page.nextCursor).toBeNull();
  });

  it("empty firm gets an empty page", async () => {
    const [firm, other] = await seedTwoFirms();
    await submitEnquiries(firm, 2, "notempty");

    const page = await listPage(path, other.apiKey);

    expect(page.data).toEqual([]);
    expect(page.nextCursor).toBeNull();
  });

  it("default limit is 25", async () => {
    const [firm] = await seedTwoFirms();
    await submitEnquiries(firm, 26, "default");

    const page = await listPage(path, firm.apiKey);

    expect(page.data).toHaveLength(25);
    expect(page.nextCursor).not.toBeNull();
  });

  it.each(["1", "100"])("limit=%s is accepted", async (limit) => {
    const [firm] = await seedTwoFirms();
    await submitEnquiries(firm, 2, `limit${limit}`);

    const page = await listPage(`${path}?limit=${limit}`, firm.apiKey);

    expect(page.data).toHaveLength(limit === "1" ? 1 : 2);
  });

  it.each(["0", "101", "abc", "-1", "2.5", ""])("limit=%s is rejected", async (limit) => {
    const [firm] = await seedTwoFirms();
    const response = await getWithKey(`${path}?limit=${limit}`, firm.apiKey);
    const error = await errorOf(response);

    expect(response.status).toBe(400);
    expect(error.code).toBe("invalid_request");
    expect(error.field).toBe("limit");
    expect(error.message).toBe("Query parameter limit must be a whole number from 1 to 100.");
  });

  it.each([
    { name: "random text", cursor: "not-a-cursor" },
    { name: "base64 of other text", cursor: btoa("hello world") },
    { name: "wrong separator", cursor: btoa("1700000000000|con_abc") },
    { name: "id with punctuation", cursor: btoa("1700000000000:con.abc") },
    { name: "over 200 characters", cursor: encodeCursor({ createdAt: 1_700_000_000_000, id: "a".repeat(64) }).repeat(3) },
  ])("cursor of $name is rejected", async ({ cursor }) => {
    const [firm] = await seedTwoFirms();
    const response = await getWithKey(`${path}?cursor=${encodeURIComponent(cursor)}`, firm.apiKey);
    const error = await errorOf(response);

    expect(response.status).toBe(400);
    expect(error.code).toBe("invalid_request");
    expect(error.field).toBe("cursor");
    expect(error.message).toBe("Query parameter cursor is not a cursor returned by this API.");
  });
});

describe("GET /v1/contacts pagination with equal times", () => {
  it("ties on created time page cleanly", async () => {
    const [firm] = await seedTwoFirms();
    const sameInstant = new Date();
    const ids = Array.from({ length: 5 }, (_, i) => `con_tie${i}_${crypto.randomUUID().slice(0, 8)}`);
    await testDatabase()
      .insert(contacts)
      .values(ids.map((id, i) => ({ id, firmId: firm.firmId, name: `Tie ${i}`, createdAt: sameInstant, updatedAt: sameInstant })));

    const listed = idsOf(await allPages("/v1/contacts", firm.apiKey, 2));

    expect(listed).toEqual([...ids].sort().reverse());
  });
});

describe("GET /v1/opportunities filters", () => {
  it("stage filter keeps that stage", async () => {
    const [firm] = await seedTwoFirms();
    await submitEnquiries(firm, 3, "stage");
    const [won] = await opportunitiesOf(firm.firmId);
    await testDatabase().update(opportunities).set({ stage: "won" }).where(eq(opportunities.id, won!.id));

    const page = await listPage("/v1/opportunities?stage=won", firm.apiKey);

    expect(page.data.map((item) => item.id)).toEqual([won!.id]);
  });

  it("stage filter leaves out other stages", async () => {
    const [firm] = await seedTwoFirms();
    await submitEnquiries(firm, 3, "stagenew");
    const [won] = await opportunitiesOf(firm.firmId);
    await testDatabase().update(opportunities).set({ stage: "won" }).where(eq(opportunities.id, won!.id));

    const page = await listPage("/v1/opportunities?stage=new", firm.apiKey);

    expect(page.data).toHaveLength(2);
    expect(page.data.map((item) => item.id)).not.toContain(won!.id);
  });

  it("unknown stage is rejected", async () => {
    const [firm] = await seedTwoFirms();
    const response = await getWithKey("/v1/opportunities?stage=no_such_stage", firm.apiKey);
    const error = await errorOf(response);

    expect(response.status).toBe(400);
    expect(error.field).toBe("stage");
    expect(error.message).toContain("must be one of new, acknowledged");
  });

  it("channel filter keeps that channel", async () => {
    const [firm] = await seedTwoFirms();
    await submitEnquiries(firm, 2, "direct");
    const paid = await submitJson(firm.formKey, {
      submissionId: `paid-${crypto.randomUUID().slice(0, 8)}`,
      fields: { name: "Paid Search", email: "paid.search@example.com" },
      attribution: { firstTouch: { utm_source: "google", utm_medium: "cpc", landingPage: "https://www.firm.example/wills" } },
    });
    const paidReference = ((await paid.json()) as { reference: string }).reference;

    const page = await listPage("/v1/opportunities?channel=paid_search", firm.apiKey);
    const references = page.data.map((item) => item.reference);

    expect(references).toEqual([paidReference]);
  });

  it("channel filter leaves out other channels", async () => {
    const [firm] = await seedTwoFirms();
    await submitEnquiries(firm, 2, "directonly");
    await submitJson(firm.formKey, {
      fields: { name: "Paid Two", email: "paid.two@example.com" },
      attribution: { firstTouch: { utm_source: "google", utm_medium: "cpc" } },
    });

    const page = await listPage("/v1/opportunities?channel=direct", firm.apiKey);
    const channels = page.data.map((item) => item.channel);

    expect(channels).toEqual(["direct", "direct"]);
  });

  it("filter and pages combine", async () => {
    const [firm] = await seedTwoFirms();
    await submitEnquiries(firm, 5, "combined");
    const rows = await opportunitiesOf(firm.firmId);
    await testDatabase().update(opportunities).set({ stage: "won" }).where(eq(opportunities.id, rows[0]!.id));

    const pages = await allPages("/v1/opportunities?stage=new", firm.apiKey, 2);

    expect(pages.map((page) => page.data.length)).toEqual([2, 2]);
    expect(idsOf(pages)).not.toContain(rows[0]!.id);
  });

  it.each(["channel", "contactId"])("overlong %s is rejected", async (name) => {
    const [firm] = await seedTwoFirms();
    const response = await getWithKey(`/v1/opportunities?${name}=${"x".repeat(65)}`, firm.apiKey);
    const error = await errorOf(response);

    expect(response.status).toBe(400);
    expect(error.field).toBe(name);
    expect(error.message).toBe(`Query parameter ${name} must be at most 64 characters.`);
  });

  it("contact filter keeps that contact", async () => {
    const [firm] = await seedTwoFirms();
    await submitEnquiries(firm, 2, "contactfilter");
    const [contact] = await contactsOf(firm.firmId);

    const page = await listPage(`/v1/opportunities?contactId=${contact!.id}`, firm.apiKey);

    expect(page.data.map((item) => item.contactId)).toEqual([contact!.id]);
  });
});

describe("GET /v1/opportunities/{id}", () => {
  it("includes the contact", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Detail Person", email: "Detail.Person@example.com", phone: "020 7946 0000" } });
    const [opportunity] = await opportunitiesOf(firm.firmId);

    const detail = await opportunityDetail(opportunity!.id, firm.apiKey);

    expect(detail.contact.id).toBe(opportunity!.contactId);
    expect(detail.contactId).toBe(opportunity!.contactId);
    expect(detail.contact.name).toBe("Detail Person");
    expect(detail.contact.email).toBe("Detail.Person@example.com");
    expect(detail.contact.phoneE164).toBe("+442079460000");
  });

  it("timeline has enquiry.received", async () => {
    const [firm] = await seedTwoFirms();
    const [reference] = await submitEnquiries(firm, 1, "timeline");
    const [opportunity] = await opportunitiesOf(firm.firmId);

    const detail = await opportunityDetail(opportunity!.id, firm.apiKey);

    expect(detail.timeline).toHaveLength(1);
    expect(detail.timeline[0]?.type).toBe("enquiry.received");
    expect(detail.timeline[0]?.cause).toBe("web_form");
    expect(detail.timeline[0]?.origin).toBe("plumbline");
    expect(detail.timeline[0]?.data.reference).toBe(reference);
    expect(detail.timelineTruncated).toBe(false);
  });

  it("timeline reads oldest first", async () => {
    const [firm] = await seedTwoFirms();
    await submitEnquiries(firm, 1, "timelineorder");
    const [opportunity] = await opportunitiesOf(firm.firmId);
    const later = Date.now() + 60_000;
    for (const [offset, id] of [
      [2000, `act_second_${crypto.randomUUID().slice(0, 8)}`],
      [1000, `act_first_${crypto.randomUUID().slice(0, 8)}`],
    ] as const) {
      await env.DB.prepare(
        "INSERT INTO activities (id, firm_id, opportunity_id, contact_id, type, cause, origin, occurred_at, data, created_at) VALUES (?, ?, ?, ?, 'note.added', 'user', 'plumbline', ?, '{}', ?)",
      )
        .bind(id, firm.firmId, opportunity!.id, opportunity!.contactId, later + offset, later)
        .run();
    }

    const detail = await opportunityDetail(opportunity!.id, firm.apiKey);

    expect(detail.timeline.map((entry) => entry.id.split("_")[1])).toEqual([expect.any(String), "first", "second"]);
    expect(detail.timeline[0]?.type).toBe("enquiry.received");
    expect(detail.timelineTruncated).toBe(false);
  });

  it("long timeline keeps the newest entries", async () => {
    const [firm] = await seedTwoFirms();
    await submitEnquiries(firm, 1, "longtimeline");
    const [opportunity] = await opportunitiesOf(firm.firmId);
    const startAt = Date.now() + 60_000;
    const extra = 505;
    // One statement makes the rows, because D1 allows at most 100 bound values per query.
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO activities (id, firm_id, opportunity_id, contact_id, type, cause, origin, occurred_at, data, created_at)
       SELECT ? || printf('%04d', i), ?, ?, ?, 'note.added', 'user', 'plumbline', ? + i * 1000, '{}', ? FROM n`,
    )
      .bind(extra, `act_note_${crypto.randomUUID().slice(0, 8)}_`, firm.firmId, opportunity!.id, opportunity!.contactId, startAt, startAt)
      .run();

    const detail = await opportunityDetail(opportunity!.id, firm.apiKey);
    const times = detail.timeline.map((entry) => Date.parse(entry.occurredAt));

    expect(detail.timelineTruncated).toBe(true);
    expect(detail.timeline).toHaveLength(500);
    expect(times.at(-1)).toBe(startAt + extra * 1000);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(detail.timeline.map((entry) => entry.type)).not.toContain("enquiry.received");
  });

  it("returns the opportunity fields", async () => {
    const [firm] = await seedTwoFirms();
    const [reference] = await submitEnquiries(firm, 1, "fields");
    const [opportunity] = await opportunitiesOf(firm.firmId);

    const detail = await opportunityDetail(opportunity!.id, firm.apiKey);

    expect(detail.id).toBe(opportunity!.id);
    expect(detail.reference).toBe(reference);
    expect(detail.stage).toBe("new");
    expect(detail.channel).toBe("direct");
  });

  it("leaves out the firm id", async () => {
    const [firm] = await seedTwoFirms();
    await submitEnquiries(firm, 1, "nofirm");
    const [opportunity] = await opportunitiesOf(firm.firmId);

    const response = await getWithKey(`/v1/opportunities/${opportunity!.id}`, firm.apiKey);

    expect(await response.text()).not.toContain(firm.firmId);
  });

  it("unknown id is not found", async () => {
    const [firm] = await seedTwoFirms();
    const response = await getWithKey("/v1/opportunities/opp_01doesnotexistdoesnotexist", firm.apiKey);

    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe("not_found");
  });

  it("overlong id is not found", async () => {
    const [firm] = await seedTwoFirms();
    const response = await getWithKey(`/v1/opportunities/opp_${"x".repeat(200)}`, firm.apiKey);

    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe("not_found");
  });
});

describe("tenant isolation", () => {
  it("contact list hides other firm's contacts", async () => {
    const [firm, other] = await seedTwoFirms();
    await submitEnquiries(firm, 3, "hidden");
    await submitEnquiries(other, 1, "visible");
    const firmContactIds = (await contactsOf(firm.firmId)).map((contact) => contact.id);
    const otherContactIds = (await contactsOf(other.firmId)).map((contact) => contact.id);

    const listed = idsOf(await allPages("/v1/contacts", other.apiKey, 100));

    expect(listed).toEqual(otherContactIds);
    for (const id of firmContactIds) expect(listed).not.toContain(id);
  });

  it("opportunity list hides other firm's opportunities", async () => {
    const [firm, other] = await seedTwoFirms();
    await submitEnquiries(firm, 3, "hiddenopp");
    await submitEnquiries(other, 1, "visibleopp");
    const firmOpportunityIds = (await opportunitiesOf(firm.firmId)).map((row) => row.id);
    const otherOpportunityIds = (await opportunitiesOf(other.firmId)).map((row) => row.id);

    const listed = idsOf(await allPages("/v1/opportunities", other.apiKey, 100));

    expect(listed).toEqual(otherOpportunityIds);
    for (const id of firmOpportunityIds) expect(listed).not.toContain(id);
  });

  it("same email makes separate contacts", async () => {
    const [firm, other] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Shared Person", email: "shared.person@example.com" } });
    await submitJson(other.formKey, { fields: { name: "Shared Person", email: "shared.person@example.com" } });
    const [firmContact] = await contactsOf(firm.firmId);

    const listed = idsOf(await allPages("/v1/contacts", other.apiKey, 100));

    expect(listed).toHaveLength(1);
    expect(listed).not.toContain(firmContact!.id);
  });

  it("contact filter cannot reach other firm", async () => {
    const [firm, other] = await seedTwoFirms();
    await submitEnquiries(firm, 1, "crosscontact");
    const [contact] = await contactsOf(firm.firmId);

    const page = await listPage(`/v1/opportunities?contactId=${contact!.id}`, other.apiKey);

    expect(page.data).toEqual([]);
  });

  it("cursor from other firm leaks nothing", async () => {
    const [firm, other] = await seedTwoFirms();
    await submitEnquiries(firm, 3, "crosscursor");
    const firstPage = await listPage("/v1/opportunities?limit=1", firm.apiKey);

    const page = await listPage(`/v1/opportunities?cursor=${encodeURIComponent(firstPage.nextCursor!)}`, other.apiKey);

    expect(page.data).toEqual([]);
  });

  it("other firm's opportunity is not found", async () => {
    const [firm, other] = await seedTwoFirms();
    await submitEnquiries(firm, 1, "crossdetail");
    const [opportunity] = await opportunitiesOf(firm.firmId);

    const response = await getWithKey(`/v1/opportunities/${opportunity!.id}`, other.apiKey);

    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe("not_found");
  });

  it("other firm's id reads like an unknown id", async () => {
    const [firm, other] = await seedTwoFirms();
    await submitEnquiries(firm, 1, "crossshape");
    const [opportunity] = await opportunitiesOf(firm.firmId);
    const unknownId = `opp_${"0".repeat(opportunity!.id.length - 4)}`;

    const foreign = await getWithKey(`/v1/opportunities/${opportunity!.id}`, other.apiKey);
    const unknown = await getWithKey(`/v1/opportunities/${unknownId}`, other.apiKey);
    const foreignError = await errorOf(foreign);
    const unknownError = await errorOf(unknown);

    expect(foreign.status).toBe(unknown.status);
    expect(Object.keys(foreignError).sort()).toEqual(Object.keys(unknownError).sort());
    expect(foreignError.code).toBe(unknownError.code);
    expect(foreignError.message.replace(opportunity!.id, "<id>")).toBe(unknownError.message.replace(unknownId, "<id>"));
    expect([...foreign.headers.keys()].sort()).toEqual([...unknown.headers.keys()].sort());
  });

  it("owner firm still reads its opportunity", async () => {
    const [firm, other] = await seedTwoFirms();
    await submitEnquiries(firm, 1, "ownerread");
    const [opportunity] = await opportunitiesOf(firm.firmId);
    await getWithKey(`/v1/opportunities/${opportunity!.id}`, other.apiKey);

    const detail = await opportunityDetail(opportunity!.id, firm.apiKey);

    expect(detail.id).toBe(opportunity!.id);
  });
});
