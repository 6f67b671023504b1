import { newId } from "@plumbline/core";
import { activities, tasks } from "@plumbline/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { callApi, errorOf, getWithKey } from "../support/api";
import { seedPeople } from "../support/follow-up";
import { seedTwoFirms, testDatabase, type SeededFirm } from "../support/seed";

type ListedTask = { id: string; status: string; dueAt: string; assigneeUserId: string | null };
type TaskPage = { data: ListedTask[]; nextCursor: string | null };

/** Most pages a test follows before it gives up, so a cursor that never ends fails instead of hanging. */
const MAX_PAGES = 20;

const BASE_TIME = Date.parse("2026-03-02T09:00:00Z");
const HOUR_MS = 3_600_000;

/** Inserts tasks straight into D1 with the given due times (hours after BASE_TIME) and returns their ids. */
async function seedTasks(
  firmId: string,
  rows: Array<{ dueInHours: number; status?: "open" | "done" | "cancelled"; assigneeUserId?: string | null; id?: string }>,
): Promise<string[]> {
  const now = new Date();
  const values = rows.map((row) => ({
    id: row.id ?? newId("task"),
    firmId,
    opportunityId: null,
    assigneeUserId: row.assigneeUserId ?? null,
    kind: "respond_to_enquiry",
    title: "Respond to enquiry",
    status: row.status ?? "open",
    dueAt: new Date(BASE_TIME + row.dueInHours * HOUR_MS),
    createdAt: now,
    updatedAt: now,
  }));
  // One statement per row, because D1 allows at most 100 bound parameters in one statement.
  const db = testDatabase();
  const [first, ...rest] = values.map((value) => db.insert(tasks).values(value));
  await db.batch([first!, ...rest]);
  return values.map((value) => value.id);
}

/** Follows nextCursor from the first page to the last and returns every page. */
async function allTaskPages(firm: SeededFirm, query: string): Promise<TaskPage[]> {
  const pages: TaskPage[] = [];
  let cursor: string | null = null;
  do {
    const path = `/v1/tasks?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const response = await getWithKey(path, firm.apiKey);
    expect(response.status).toBe(200);
    const page = (await response.json()) as TaskPage;
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor && pages.length < MAX_PAGES);
  return pages;
}

function idsOf(pages: TaskPage[]): string[] {
  return pages.flatMap((page) => page.data.map((task) => task.id));
}

describe("GET /v1/tasks pagination", () => {
  it("limit=10 gives a next cursor", async () => {
    const [firm] = await seedTwoFirms();
    await seedTasks(firm.firmId, Array.from({ length: 12 }, (_, index) => ({ dueInHours: index })));

    const response = await getWithKey("/v1/tasks?limit=10", firm.apiKey);
    const page = (await response.json()) as TaskPage;

    expect(page.data).toHaveLength(10);
    expect(page.nextCursor).toEqual(expect.any(String));
  });

  it("pages cover every task once, by due date then id", async () => {
    const [firm] = await seedTwoFirms();
    // Three tasks share one due time, so the id has to break the tie across a page boundary.
    const ids = await seedTasks(firm.firmId, [
      { dueInHours: 5 },
      { dueInHours: 1, id: "task_tie_c" },
      { dueInHours: 1, id: "task_tie_a" },
      { dueInHours: 1, id: "task_tie_b" },
      { dueInHours: 0 },
      { dueInHours: 3 },
      { dueInHours: 2 },
    ]);

    const pages = await allTaskPages(firm, "limit=2");

    expect(pages.map((page) => page.data.length)).toEqual([2, 2, 2, 1]);
    expect(pages.at(-1)?.nextCursor).toBeNull();
    expect(idsOf(pages)).toEqual([ids[4], "task_tie_a", "task_tie_b", "task_tie_c", ids[6], ids[5], ids[0]]);
  });

  it("exactly full page has no cursor", async () => {
    const [firm] = await seedTwoFirms();
    await seedTasks(firm.firmId, [{ dueInHours: 0 }, { dueInHours: 1 }]);

    const pages = await allTaskPages(firm, "limit=2");

    expect(pages).toHaveLength(1);
    expect(pages[0]?.nextCursor).toBeNull();
  });

  it("status and assignee filters hold on every page", async () => {
    const [firm] = await seedTwoFirms();
    const [ann, bob] = await seedPeople(firm.firmId, [{ name: "Ann" }, { name: "Bob" }]);
    const annOpen = await seedTasks(firm.firmId, [0, 1, 2, 3, 4].map((hours) => ({ dueInHours: hours, assigneeUserId: ann! })));
    await seedTasks(firm.firmId, [
      { dueInHours: 0.5, assigneeUserId: bob! },
      { dueInHours: 1.5, assigneeUserId: ann!, status: "done" },
      { dueInHours: 2.5, assigneeUserId: null },
    ]);

    const pages = await allTaskPages(firm, `status=open&assigneeUserId=${ann}&limit=2`);

    expect(idsOf(pages)).toEqual(annOpen);
    expect(pages.flatMap((page) => page.data.map((task) => task.status))).not.toContain("done");
  });

  it("done filter pages the done tasks", async () => {
    const [firm] = await seedTwoFirms();
    const done = await seedTasks(firm.firmId, [0, 1, 2].map((hours) => ({ dueInHours: hours, status: "done" as const })));
    await seedTasks(firm.firmId, [{ dueInHours: 0.5 }]);

    expect(idsOf(await allTaskPages(firm, "status=done&limit=2"))).toEqual(done);
  });

  it("other firm's tasks are not listed", async () => {
    const [firm, other] = await seedTwoFirms();
    await seedTasks(other.firmId, [{ dueInHours: 0 }, { dueInHours: 1 }, { dueInHours: 2 }]);
    const own = await seedTasks(firm.firmId, [{ dueInHours: 0.5 }, { dueInHours: 1.5 }]);

    expect(idsOf(await allTaskPages(firm, "limit=1"))).toEqual(own);
  });

  it("unreadable cursor is rejected", async () => {
    const [firm] = await seedTwoFirms();

    const response = await getWithKey("/v1/tasks?cursor=not-a-cursor", firm.apiKey);

    expect(response.status).toBe(400);
    expect((await errorOf(response)).field).toBe("cursor");
  });

  it("limit over 100 is rejected", async () => {
    const [firm] = await seedTwoFirms();

    const response = await getWithKey("/v1/tasks?limit=101", firm.apiKey);

    expect(response.status).toBe(400);
    expect((await errorOf(response)).field).toBe("limit");
  });
});

describe("POST /v1/tasks/{id}/complete", () => {
  function complete(firm: SeededFirm, taskId: string) {
    return callApi(`/v1/tasks/${taskId}/complete`, { method: "POST", headers: { authorization: `Bearer ${firm.apiKey}` } });
  }

  it("repeat completion returns the done task", async () => {
    const [firm] = await seedTwoFirms();
    const [taskId] = await seedTasks(firm.firmId, [{ dueInHours: 0 }]);
    const first = await complete(firm, taskId!);
    expect(first.status).toBe(200);
    const completed = (await first.json()) as ListedTask & { completedAt: string };

    const again = await complete(firm, taskId!);

    expect(again.status).toBe(200);
    const body = (await again.json()) as ListedTask & { completedAt: string };
    expect(body.id).toBe(taskId);
    expect(body.status).toBe("done");
    expect(body.completedAt).toBe(completed.completedAt);
  });

  it("repeat completion writes no second timeline entry", async () => {
    const [firm] = await seedTwoFirms();
    const [taskId] = await seedTasks(firm.firmId, [{ dueInHours: 0 }]);

    await complete(firm, taskId!);
    await complete(firm, taskId!);

    const entries = await testDatabase().select().from(activities).where(eq(activities.firmId, firm.firmId));
    expect(entries.filter((entry) => entry.type === "task.completed")).toHaveLength(1);
  });

  it("cancelled task is a plain conflict", async () => {
    const [firm] = await seedTwoFirms();
    const [taskId] = await seedTasks(firm.firmId, [{ dueInHours: 0, status: "cancelled" }]);

    const response = await complete(firm, taskId!);

    expect(response.status).toBe(409);
    const error = await errorOf(response);
    expect(error.message).toBe("This task was cancelled, so it cannot be completed.");
    expect(error.message).not.toContain(taskId!);
  });

  it("other firm's done task is not found", async () => {
    const [firm, other] = await seedTwoFirms();
    const [taskId] = await seedTasks(other.firmId, [{ dueInHours: 0, status: "done" }]);

    const response = await complete(firm, taskId!);

    expect(response.status).toBe(404);
  });
});
