import type { Page, Task } from "$lib/api-types";
import { calendarDay } from "$lib/format";
import { readJson } from "$lib/server/api-errors";
import { completeTaskAction } from "$lib/server/actions";
import type { Actions, PageServerLoad } from "./$types";

export const load: PageServerLoad = async (event) => {
  const { me, timeZone } = await event.parent();
  const userId = me.user?.id ?? null;
  // "Mine" needs a person, so a session holding an API key lists everyone's tasks.
  const scope = userId && event.url.searchParams.get("scope") !== "everyone" ? "mine" : "everyone";
  const query = scope === "mine" && userId ? `&assigneeUserId=${encodeURIComponent(userId)}` : "";
  const tasks = await readJson<Page<Task>>(event, `/v1/tasks?status=open&limit=100${query}`);

  const now = new Date();
  const today = calendarDay(now, timeZone);
  const overdue: Task[] = [];
  const dueToday: Task[] = [];
  const later: Task[] = [];
  for (const task of tasks.data) {
    if (new Date(task.dueAt) < now) overdue.push(task);
    else if (calendarDay(task.dueAt, timeZone) === today) dueToday.push(task);
    else later.push(task);
  }

  return { scope, canChooseScope: userId !== null, overdue, dueToday, later, full: tasks.data.length === 100 };
};

export const actions: Actions = {
  complete: completeTaskAction,
};
