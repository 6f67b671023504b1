import { TASK_STATUSES, completeTask, findTask, listTasks, type Task } from "@plumbline/db";
import type { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../context";
import { ApiError, notFound } from "../errors";
import { actorLabel, actorUserId, requireFirm } from "../middleware/firm-access";
import { listQuerySchema, parseQuery } from "./list-query";

const listSchema = listQuerySchema.extend({
  status: z.enum(TASK_STATUSES).default("open"),
  assigneeUserId: z.string().max(64).optional(),
  opportunityId: z.string().max(64, { error: "must be at most 64 characters" }).optional(),
});

function presentTask(task: Task) {
  return {
    id: task.id,
    opportunityId: task.opportunityId,
    assigneeUserId: task.assigneeUserId,
    kind: task.kind,
    title: task.title,
    status: task.status,
    dueAt: task.dueAt.toISOString(),
    reminderCount: task.reminderCount,
    nextReminderAt: task.nextReminderAt?.toISOString() ?? null,
    completedAt: task.completedAt?.toISOString() ?? null,
  };
}

/**
 * `GET /v1/tasks` (open ones by due date then id, by default, cursor-paginated; `opportunityId` narrows to one
 * opportunity) and `POST /v1/tasks/{id}/complete`.
 */
export function registerTaskRoutes(app: Hono<HonoEnv>) {
  app.get("/v1/tasks", requireFirm("viewer"), async (c) => {
    const query = parseQuery(listSchema, c.req.query());
    const page = await listTasks(c.get("services").db, c.get("firmId"), query);
    return c.json({ data: page.data.map(presentTask), nextCursor: page.nextCursor });
  });

  app.post("/v1/tasks/:id/complete", requireFirm("partner"), async (c) => {
    const { db } = c.get("services");
    const id = c.req.param("id");
    const task = id.length <= 64 ? await completeTask(db, c.get("firmId"), id, actorLabel(c.get("actor")), new Date(), actorUserId(c.get("actor"))) : null;
    if (task) return c.json(presentTask(task));

    // A repeat completion returns the task unchanged, because what the person wanted is already true. Another
    // firm's task is a plain not-found like a missing one.
    const existing = id.length <= 64 ? await findTask(db, c.get("firmId"), id) : null;
    if (existing?.status === "done") return c.json(presentTask(existing));
    if (existing) throw new ApiError("conflict", "This task was cancelled, so it cannot be completed.");
    throw notFound(`Task ${id.slice(0, 64)}`);
  });
}
