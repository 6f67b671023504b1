import { describe, expect, it } from "vitest";
import { errorOf, getWithKey } from "../support/api";
import { seedUser } from "../support/auth";
import { insertFailedMessage, insertOpportunity, insertTask } from "../support/pipeline-rows";
import { seedTwoFirms } from "../support/seed";

type Listed = {
  id: string;
  stage: string;
  ownerUserId: string | null;
  serviceLine: string | null;
  stalledAt: string | null;
  contactId: string;
  contact: { id: string; name: string | null; email: string | null };
};
type ListPage<T> = { data: T[]; nextCursor?: string | null };

async function list<T = Listed>(path: string, apiKey: string): Promise<ListPage<T>> {
  const response = await getWithKey(path, apiKey);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as ListPage<T>;
}

const idsOf = (page: ListPage<{ id: string }>) => page.data.map((row) => row.id).sort();
const sorted = (ids: string[]) => [...ids].sort();

describe("GET /v1/opportunities owner filter", () => {
  it("owner keeps that owner's opportunities", async () => {
    const [firm] = await seedTwoFirms();
    const [alice, bob] = [await seedUser("Alice", { [firm.firmId]: "partner" }), await seedUser("Bob", { [firm.firmId]: "partner" })];
    const mine = [await insertOpportunity(firm.firmId, { ownerUserId: alice }), await insertOpportunity(firm.firmId, { ownerUserId: alice })];
    await insertOpportunity(firm.firmId, { ownerUserId: bob });
    await insertOpportunity(firm.firmId, { ownerUserId: null });

    const page = await list(`/v1/opportunities?owner=${alice}`, firm.apiKey);

    expect(idsOf(page)).toEqual(sorted(mine.map((row) => row.id)));
  });

  it("owner none keeps the unassigned ones", async () => {
    const [firm] = await seedTwoFirms();
    const alice = await seedUser("Alice", { [firm.firmId]: "partner" });
    await insertOpportunity(firm.firmId, { ownerUserId: alice });
    const unassigned = await insertOpportunity(firm.firmId, { ownerUserId: null });

    const page = await list("/v1/opportunities?owner=none", firm.apiKey);

    expect(idsOf(page)).toEqual([unassigned.id]);
  });

  it("another firm's owner gives nothing", async () => {
    const [firm, other] = await seedTwoFirms();
    const theirs = await seedUser("Their partner", { [other.firmId]: "partner" });
    await insertOpportunity(other.firmId, { ownerUserId: theirs });
    await insertOpportunity(firm.firmId, { ownerUserId: null });

    const page = await list(`/v1/opportunities?owner=${theirs}`, firm.apiKey);

    expect(page.data).toEqual([]);
  });

  it("empty owner is rejected", async () => {
    const [firm] = await seedTwoFirms();
    const response = await getWithKey("/v1/opportunities?owner=", firm.apiKey);
    const error = await errorOf(response);

    expect(response.status).toBe(400);
    expect(error.field).toBe("owner");
    expect(error.message).toBe("Query parameter owner must be a user id or none.");
  });
});

describe("GET /v1/opportunities service line and stalled filters", () => {
  it("service line keeps that line", async () => {
    const [firm] = await seedTwoFirms();
    const family = await insertOpportunity(firm.firmId, { serviceLine: "family-law" });
    await insertOpportunity(firm.firmId, { serviceLine: "property" });
    await insertOpportunity(firm.firmId, { serviceLine: null });

    const page = await list("/v1/opportunities?serviceLine=family-law", firm.apiKey);

    expect(idsOf(page)).toEqual([family.id]);
  });

  it("another firm's service line gives nothing", async () => {
    const [firm, other] = await seedTwoFirms();
    await insertOpportunity(other.firmId, { serviceLine: "their-line" });

    const page = await list("/v1/opportunities?serviceLine=their-line", firm.apiKey);

    expect(page.data).toEqual([]);
  });

  it("stalled true keeps the stalled ones", async () => {
    const [firm] = await seedTwoFirms();
    const stalled = await insertOpportunity(firm.firmId, { stalled: true });
    await insertOpportunity(firm.firmId, { stalled: false });

    const page = await list("/v1/opportunities?stalled=true", firm.apiKey);

    expect(idsOf(page)).toEqual([stalled.id]);
    expect(page.data[0]!.stalledAt).not.toBeNull();
  });

  it("stalled false keeps the moving ones", async () => {
    const [firm] = await seedTwoFirms();
    await insertOpportunity(firm.firmId, { stalled: true });
    const moving = await insertOpportunity(firm.firmId, { stalled: false });

    const page = await list("/v1/opportunities?stalled=false", firm.apiKey);

    expect(idsOf(page)).toEqual([moving.id]);
  });

  it("stalled other than true or false is rejected", async () => {
    const [firm] = await seedTwoFirms();
    const response = await getWithKey("/v1/opportunities?stalled=yes", firm.apiKey);
    const error = await errorOf(response);

    expect(response.status).toBe(400);
    expect(error.field).toBe("stalled");
    expect(error.message).toBe("Query parameter stalled must be true or false.");
  });

  it.each(["owner", "serviceLine"])("overlong %s is rejected", async (name) => {
    const [firm] = await seedTwoFirms();
    const response = await getWithKey(`/v1/opportunities?${name}=${"x".repeat(65)}`, firm.apiKey);
    const error = await errorOf(response);

    expect(response.status).toBe(400);
    expect(error.field).toBe(name);
  });

  it("filters and stage combine", async () => {
    const [firm] = await seedTwoFirms();
    const alice = await seedUser("Alice", { [firm.firmId]: "partner" });
    const matching = await insertOpportunity(firm.firmId, { stage: "acknowledged", ownerUserId: alice, serviceLine: "property", stalled: true });
    await insertOpportunity(firm.firmId, { stage: "new", ownerUserId: alice, serviceLine: "property", stalled: true });
    await insertOpportunity(firm.firmId, { stage: "acknowledged", ownerUserId: null, serviceLine: "property", stalled: true });
    await insertOpportunity(firm.firmId, { stage: "acknowledged", ownerUserId: alice, serviceLine: "family-law", stalled: true });
    await insertOpportunity(firm.firmId, { stage: "acknowledged", ownerUserId: alice, serviceLine: "property", stalled: false });

    const page = await list(`/v1/opportunities?stage=acknowledged&owner=${alice}&serviceLine=property&stalled=true`, firm.apiKey);

    expect(idsOf(page)).toEqual([matching.id]);
  });

  it("filtered pages cover every match once", async () => {
    const [firm] = await seedTwoFirms();
    const alice = await seedUser("Alice", { [firm.firmId]: "partner" });
    const expected: string[] = [];
    for (let i = 0; i < 5; i++) {
      expected.push((await insertOpportunity(firm.firmId, { stage: "new", ownerUserId: alice })).id);
      await insertOpportunity(firm.firmId, { stage: "new", ownerUserId: null });
    }

    const first = await list(`/v1/opportunities?stage=new&owner=${alice}&limit=3`, firm.apiKey);
    const second = await list(`/v1/opportunities?stage=new&owner=${alice}&limit=3&cursor=${first.nextCursor}`, firm.apiKey);

    expect([...first.data, ...second.data].map((row) => row.id)).toEqual([...expected].reverse());
    expect(second.nextCursor).toBeNull();
  });
});

describe("GET /v1/opportunities contact", () => {
  it("each row carries its contact", async () => {
    const [firm] = await seedTwoFirms();
    const row = await insertOpportunity(firm.firmId, { contactName: "Priya Shah" });

    const page = await list("/v1/opportunities", firm.apiKey);

    expect(page.data).toHaveLength(1);
    expect(page.data[0]!.contact).toMatchObject({ id: row.contactId, name: "Priya Shah", email: expect.stringContaining("@prospect.example") });
  });

  it("contact of an old opportunity is there too", async () => {
    const [firm] = await seedTwoFirms();
    const oldest = await insertOpportunity(firm.firmId, { contactName: "First Ever", createdAt: Date.UTC(2020, 0, 1) });
    for (let i = 0; i < 3; i++) await insertOpportunity(firm.firmId);

    const page = await list("/v1/opportunities?limit=100", firm.apiKey);

    expect(page.data.find((entry) => entry.id === oldest.id)?.contact.name).toBe("First Ever");
  });
});

describe("GET /v1/opportunities/summary owner none", () => {
  it("counts only the unassigned", async () => {
    const [firm] = await seedTwoFirms();
    const alice = await seedUser("Alice", { [firm.firmId]: "partner" });
    await insertOpportunity(firm.firmId, { ownerUserId: alice });
    await insertOpportunity(firm.firmId, { ownerUserId: null });
    await insertOpportunity(firm.firmId, { ownerUserId: null, stalled: true });

    const response = await getWithKey("/v1/opportunities/summary?owner=none", firm.apiKey);
    const body = (await response.json()) as { stages: Array<{ stage: string; count: number; stalled: number }> };

    expect(body.stages.find((entry) => entry.stage === "new")).toMatchObject({ count: 2, stalled: 1 });
  });
});

describe("GET /v1/opportunities/summary stalled", () => {
  it("stalled true counts only the stalled", async () => {
    const [firm] = await seedTwoFirms();
    await insertOpportunity(firm.firmId, { stalled: true });
    await insertOpportunity(firm.firmId, { stalled: false });
    await insertOpportunity(firm.firmId, { stalled: false });

    const response = await getWithKey("/v1/opportunities/summary?stalled=true", firm.apiKey);
    const body = (await response.json()) as { stages: Array<{ stage: string; count: number; stalled: number }> };

    expect(body.stages.find((entry) => entry.stage === "new")).toMatchObject({ count: 1, stalled: 1 });
  });

  it("stalled other than true or false is rejected", async () => {
    const [firm] = await seedTwoFirms();
    const response = await getWithKey("/v1/opportunities/summary?stalled=1", firm.apiKey);
    const error = await errorOf(response);

    expect(response.status).toBe(400);
    expect(error.field).toBe("stalled");
  });
});

describe("GET /v1/opportunities/summary service lines", () => {
  it("lists each line once, whatever the filter", async () => {
    const [firm, other] = await seedTwoFirms();
    for (const serviceLine of ["property", "family-law", "property", null, "wills"]) await insertOpportunity(firm.firmId, { serviceLine });
    await insertOpportunity(other.firmId, { serviceLine: "their-line" });

    const response = await getWithKey("/v1/opportunities/summary?serviceLine=wills", firm.apiKey);
    const body = (await response.json()) as { serviceLines: string[] };

    expect(body.serviceLines).toEqual(["family-law", "property", "wills"]);
  });
});

type Board = {
  stages: Array<{ stage: string; count: number; opportunities: Listed[]; nextCursor: string | null }>;
  currency: string;
  serviceLines: string[];
};

async function board(path: string, apiKey: string): Promise<Board> {
  const response = await getWithKey(path, apiKey);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Board;
}

describe("GET /v1/opportunities/board", () => {
  it("columns hold each stage's newest", async () => {
    const [firm] = await seedTwoFirms();
    const news = [];
    for (let i = 0; i < 3; i++) news.push(await insertOpportunity(firm.firmId, { stage: "new" }));
    const won = await insertOpportunity(firm.firmId, { stage: "won" });

    const body = await board("/v1/opportunities/board?limit=2", firm.apiKey);
    const column = (stage: string) => body.stages.find((entry) => entry.stage === stage)!;

    expect(body.stages.map((entry) => entry.stage)).toEqual(["new", "acknowledged", "in_conversation", "meeting_booked", "meeting_held", "proposal_sent", "won", "lost"]);
    expect(column("new").opportunities.map((row) => row.id)).toEqual([news[2]!.id, news[1]!.id]);
    expect(column("new").count).toBe(3);
    expect(column("new").nextCursor).not.toBeNull();
    expect(column("won").opportunities.map((row) => row.id)).toEqual([won.id]);
    expect(column("won").nextCursor).toBeNull();
    expect(column("new").opportunities[0]!.contact.id).toBe(news[2]!.contactId);
  });

  it("cursor continues a column", async () => {
    const [firm] = await seedTwoFirms();
    const news = [];
    for (let i = 0; i < 3; i++) news.push(await insertOpportunity(firm.firmId, { stage: "new" }));

    const body = await board("/v1/opportunities/board?limit=2", firm.apiKey);
    const cursor = body.stages[0]!.nextCursor;
    const rest = await list(`/v1/opportunities?stage=new&limit=2&cursor=${cursor}`, firm.apiKey);

    expect(rest.data.map((row) => row.id)).toEqual([news[0]!.id]);
  });

  it("filters narrow columns and counts", async () => {
    const [firm] = await seedTwoFirms();
    const alice = await seedUser("Alice", { [firm.firmId]: "partner" });
    const hers = await insertOpportunity(firm.firmId, { stage: "new", ownerUserId: alice, serviceLine: "property" });
    await insertOpportunity(firm.firmId, { stage: "new", ownerUserId: null, serviceLine: "property" });

    const body = await board(`/v1/opportunities/board?owner=${alice}`, firm.apiKey);

    expect(body.stages[0]!.opportunities.map((row) => row.id)).toEqual([hers.id]);
    expect(body.stages[0]!.count).toBe(1);
    expect(body.serviceLines).toEqual(["property"]);
  });

  it("another firm's rows stay out", async () => {
    const [firm, other] = await seedTwoFirms();
    const theirs = await seedUser("Their partner", { [other.firmId]: "partner" });
    await insertOpportunity(other.firmId, { stage: "new", ownerUserId: theirs, serviceLine: "their-line" });

    const body = await board(`/v1/opportunities/board?owner=${theirs}`, firm.apiKey);

    expect(body.stages.flatMap((entry) => entry.opportunities)).toEqual([]);
    expect(body.stages.map((entry) => entry.count)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(body.serviceLines).toEqual([]);
  });

  it("limit over 100 is rejected", async () => {
    const [firm] = await seedTwoFirms();
    const response = await getWithKey("/v1/opportunities/board?limit=101", firm.apiKey);
    const error = await errorOf(response);

    expect(response.status).toBe(400);
    expect(error.field).toBe("limit");
  });

  it("bad stalled is rejected", async () => {
    const [firm] = await seedTwoFirms();
    const response = await getWithKey("/v1/opportunities/board?stalled=maybe", firm.apiKey);
    const error = await errorOf(response);

    expect(response.status).toBe(400);
    expect(error.field).toBe("stalled");
  });
});

describe("GET /v1/tasks opportunityId filter", () => {
  it("keeps that opportunity's tasks", async () => {
    const [firm] = await seedTwoFirms();
    const one = await insertOpportunity(firm.firmId);
    const two = await insertOpportunity(firm.firmId);
    const matching = [await insertTask(firm.firmId, one.id, 2), await insertTask(firm.firmId, one.id, 1)];
    await insertTask(firm.firmId, two.id);

    const page = await list<{ id: string; opportunityId: string }>(`/v1/tasks?opportunityId=${one.id}`, firm.apiKey);

    expect(page.data.map((task) => task.id)).toEqual([matching[1], matching[0]]);
  });

  it("another firm's opportunity gives nothing", async () => {
    const [firm, other] = await seedTwoFirms();
    const theirs = await insertOpportunity(other.firmId);
    await insertTask(other.firmId, theirs.id);

    const page = await list(`/v1/tasks?opportunityId=${theirs.id}`, firm.apiKey);

    expect(page.data).toEqual([]);
  });

  it("overlong opportunityId is rejected", async () => {
    const [firm] = await seedTwoFirms();
    const response = await getWithKey(`/v1/tasks?opportunityId=${"x".repeat(65)}`, firm.apiKey);
    const error = await errorOf(response);

    expect(response.status).toBe(400);
    expect(error.field).toBe("opportunityId");
    expect(error.message).toBe("Query parameter opportunityId must be at most 64 characters.");
  });
});

describe("GET /v1/outbound-messages opportunityId filter", () => {
  it("keeps that opportunity's messages", async () => {
    const [firm] = await seedTwoFirms();
    const one = await insertOpportunity(firm.firmId);
    const two = await insertOpportunity(firm.firmId);
    const matching = await insertFailedMessage(firm.firmId, one.id);
    await insertFailedMessage(firm.firmId, two.id);

    const page = await list<{ id: string }>(`/v1/outbound-messages?opportunityId=${one.id}`, firm.apiKey);

    expect(page.data.map((message) => message.id)).toEqual([matching]);
  });

  it("another firm's opportunity gives nothing", async () => {
    const [firm, other] = await seedTwoFirms();
    const theirs = await insertOpportunity(other.firmId);
    await insertFailedMessage(other.firmId, theirs.id);

    const page = await list(`/v1/outbound-messages?opportunityId=${theirs.id}`, firm.apiKey);

    expect(page.data).toEqual([]);
  });

  it("overlong opportunityId is rejected", async () => {
    const [firm] = await seedTwoFirms();
    const response = await getWithKey(`/v1/outbound-messages?opportunityId=${"x".repeat(65)}`, firm.apiKey);
    const error = await errorOf(response);

    expect(response.status).toBe(400);
    expect(error.field).toBe("opportunityId");
  });
});
