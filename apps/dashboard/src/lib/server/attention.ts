import type { RequestEvent } from "@sveltejs/kit";
import type { ListedOpportunity, Page, PipelineSummary, Task } from "$lib/api-types";
import { STALL_STAGES } from "$lib/stall-stages";
import { readJson } from "./api-errors";

type ApiEvent = Pick<RequestEvent, "cookies" | "url" | "locals">;

/** How many overdue tasks and stalled opportunities the Attention page lists; the counts cover all of them. */
export const ATTENTION_LIST_LENGTH = 5;

/** The API's largest page. */
const PAGE_SIZE = 100;

/** Pages read per stage when looking for its stalled opportunities, so one huge stage cannot slow the page. */
const MAX_PAGES_PER_STAGE = 10;

export interface OverdueTasks {
  /** Overdue open tasks among the firm's first 100 by due date. */
  count: number;
  /** True when all 100 tasks read were overdue, so more may be. */
  atLeast: boolean;
  oldest: Task[];
}

/** Reads the open tasks due earliest and keeps those already overdue at `now`. */
export async function loadOverdueTasks(event: ApiEvent, now: Date): Promise<OverdueTasks> {
  const tasks = await readJson<Page<Task>>(event, `/v1/tasks?status=open&limit=${PAGE_SIZE}`);
  // The API returns open tasks by due date, earliest first, so the overdue ones come first.
  const overdue = tasks.data.filter((task) => new Date(task.dueAt) < now);
  return { count: overdue.length, atLeast: overdue.length === PAGE_SIZE, oldest: overdue.slice(0, ATTENTION_LIST_LENGTH) };
}

export interface StalledOpportunities {
  count: number;
  /** Stalled the longest first: the earliest `stalledAt`. */
  longest: ListedOpportunity[];
  /**
   * Maximum opportunities read per stage, set only when some stage had more. `longest` may then miss an older stall.
   * Null when every stalled opportunity was found.
   */
  readLimitPerStage: number | null;
}

/**
 * Counts stalled opportunities from the pipeline summary and finds the ones stalled longest. The list route returns
 * a stage's stalled opportunities newest first, so each stage is read page by page until all of its stalled ones
 * are found. Without the summary (an older API), each open stage's pages are read to the end or to the page limit.
 */
export async function loadStalledOpportunities(event: ApiEvent, summary: PipelineSummary | null): Promise<StalledOpportunities> {
  const stages = summary
    ? summary.stages.filter((entry) => entry.stalled > 0).map((entry) => ({ stage: entry.stage, stalled: entry.stalled }))
    : STALL_STAGES.map((stage) => ({ stage: stage.key, stalled: Number.POSITIVE_INFINITY }));

  const perStage = await Promise.all(stages.map(({ stage, stalled }) => findStalledInStage(event, stage, stalled)));
  const found = perStage.flatMap((result) => result.stalled);
  found.sort((a, b) => Date.parse(a.stalledAt ?? "") - Date.parse(b.stalledAt ?? ""));
  return {
    count: summary ? stages.reduce((total, { stalled }) => total + stalled, 0) : found.length,
    longest: found.slice(0, ATTENTION_LIST_LENGTH),
    readLimitPerStage: perStage.some((result) => result.incomplete) ? PAGE_SIZE * MAX_PAGES_PER_STAGE : null,
  };
}

async function findStalledInStage(event: ApiEvent, stage: string, expected: number): Promise<{ stalled: ListedOpportunity[]; incomplete: boolean }> {
  const stalled: ListedOpportunity[] = [];
  let cursor: string | null | undefined;
  for (let page = 0; page < MAX_PAGES_PER_STAGE; page += 1) {
    const query = new URLSearchParams({ stage, stalled: "true", limit: String(PAGE_SIZE), ...(cursor ? { cursor } : {}) });
    const result = await readJson<Page<ListedOpportunity>>(event, `/v1/opportunities?${query}`);
    stalled.push(...result.data.filter((opportunity) => opportunity.stalledAt !== null));
    cursor = result.nextCursor;
    if (!cursor || stalled.length >= expected) return { stalled, incomplete: false };
  }
  return { stalled, incomplete: true };
}
