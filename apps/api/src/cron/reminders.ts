import { addWorkingMinutes, createWorkingCalendar, isWithinWorkingHours, newId, nextWorkingStart, type WorkingCalendar } from "@plumbline/core";
import {
  claimTaskReminder,
  deferTaskReminder,
  findTasksDueForReminder,
  insertTaskNotices,
  markMessagesQueued,
  type Database,
  type NewTaskNotice,
} from "@plumbline/db";
import type { AppEnv } from "../env";
import type { Logger } from "../logger";

/**
 * Tasks handled per cron run; the rest wait a minute. Each costs about one D1 query, and the whole sweep (this,
 * the stall check at about three queries per due opportunity, the re-queueing) must stay under the 1,000 queries
 * a Workers Paid invocation may make.
 */
const REMINDER_BATCH = 100;
/** More notices than this for one person in one run are folded into a single digest email. */
const DIGEST_THRESHOLD = 3;

type DueTask = Awaited<ReturnType<typeof findTasksDueForReminder>>[number];

/**
 * Sends reminders for open tasks that are due, then escalates. The assignee gets `remindersBeforeEscalation`
 * reminders, spaced by the firm's reminder interval in working time. The next one goes to the firm's escalation
 * contact instead, and after it the task gets no more notices. A completed task is never read. A notice that falls
 * due outside the firm's working hours (a weekend, a closed date, after closing) waits for its next opening.
 */
export async function runReminderSweep(env: AppEnv, db: Database, logger: Logger, now: Date): Promise<void> {
  const due = await findTasksDueForReminder(db, now, REMINDER_BATCH);
  if (due.length === 0) return;

  const notices = new Map<string, NewTaskNotice>();
  let deferred = 0;
  for (const item of due) {
    const decision = decide(item, now, logger);
    if (decision.kind === "wait") {
      if (await deferTaskReminder(db, item.task, decision.nextReminderAt, now)) deferred++;
      continue;
    }
    const claimed = await claimTaskReminder(db, item.task, decision.nextReminderAt, now);
    if (!claimed || !decision.recipientUserId) continue;

    const key = `${item.task.firmId}:${decision.kind}:${decision.recipientUserId}`;
    const notice = notices.get(key) ?? {
      id: newId("msg", now.getTime()),
      firmId: item.task.firmId,
      kind: decision.kind,
      opportunityId: item.task.opportunityId,
      recipientUserId: decision.recipientUserId,
      tasks: [],
    };
    notice.tasks.push({ taskId: item.task.id, title: item.task.title, dueAt: item.task.dueAt.toISOString(), opportunityId: item.task.opportunityId });
    notices.set(key, notice);
  }

  const messages = [...notices.values()].flatMap(splitUnlessBacklog);
  if (deferred > 0) logger.info("reminders.deferred", { tasks: deferred });
  if (messages.length === 0) return;
  await insertTaskNotices(db, messages, now);
  for (let start = 0; start < messages.length; start += 100) {
    const chunk = messages.slice(start, start + 100);
    await env.FOLLOW_UP_QUEUE.sendBatch(chunk.map((message) => ({ body: { kind: "outbound" as const, outboundMessageId: message.id, firmId: message.firmId } })));
  }
  for (const [firmId, rows] of Map.groupBy(messages, (message) => message.firmId)) {
    await markMessagesQueued(db, firmId, rows.map((row) => row.id), now);
  }
  logger.info("reminders.sent", { tasks: due.length, messages: messages.length });
}

type Decision =
  | { kind: "wait"; nextReminderAt: Date }
  | { kind: "task_reminder" | "task_escalation"; recipientUserId: string | null; nextReminderAt: Date | null };

function decide(item: DueTask, now: Date, logger: Logger): Decision {
  const { task, firm } = item;
  const calendar = firmCalendar(firm, logger);

  // The cron runs around the clock, and a task can fall due at closing time or a run can be missed. So a notice
  // found due outside working hours moves to the next opening instead of going out on a weekend.
  if (calendar && !isWithinWorkingHours(now, calendar)) {
    const opening = nextOpening(now, calendar, firm.id, logger);
    if (opening) return { kind: "wait", nextReminderAt: opening };
  }

  const remindersSoFar = task.reminderCount;
  const escalate = remindersSoFar >= firm.remindersBeforeEscalation;

  if (escalate) {
    return { kind: "task_escalation", recipientUserId: firm.escalationUserId ?? task.assigneeUserId, nextReminderAt: null };
  }

  // Without usable working hours the interval counts in clock time, so reminders still go out.
  let nextReminderAt = new Date(now.getTime() + firm.reminderIntervalMinutes * 60_000);
  if (calendar) {
    try {
      nextReminderAt = addWorkingMinutes(now, firm.reminderIntervalMinutes, calendar);
    } catch (error) {
      logger.error("reminders.calendar_invalid", error, { firmId: firm.id });
    }
  }
  // An unassigned task has no assignee to remind, so its reminders go straight to the escalation contact.
  return { kind: "task_reminder", recipientUserId: task.assigneeUserId ?? firm.escalationUserId, nextReminderAt };
}

/** Returns the firm's working calendar, or null (logged) when its stored hours cannot be read. */
function firmCalendar(firm: DueTask["firm"], logger: Logger): WorkingCalendar | null {
  try {
    return createWorkingCalendar({ timeZone: firm.timeZone, workingHours: firm.workingHours, closedDates: firm.closedDates });
  } catch (error) {
    logger.error("reminders.calendar_invalid", error, { firmId: firm.id });
    return null;
  }
}

/** Returns the next opening after `now`, or null (logged) when the calendar has none within its search window. */
function nextOpening(now: Date, calendar: WorkingCalendar, firmId: string, logger: Logger): Date | null {
  try {
    return nextWorkingStart(now, calendar);
  } catch (error) {
    logger.error("reminders.no_working_time", error, { firmId });
    return null;
  }
}

/** Splits a notice into one email per task, unless the person has a backlog, which gets one digest instead. */
function splitUnlessBacklog(notice: NewTaskNotice): NewTaskNotice[] {
  if (notice.tasks.length > DIGEST_THRESHOLD) return [{ ...notice, opportunityId: null }];
  return notice.tasks.map((task, index) => ({
    ...notice,
    id: index === 0 ? notice.id : newId("msg"),
    opportunityId: task.opportunityId,
    tasks: [task],
  }));
}
