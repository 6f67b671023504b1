import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt, firmId, instant, updatedAt } from "./columns";
import { firms } from "./tenancy";

export const TASK_STATUSES = ["open", "done", "cancelled"] as const;

/** Work owed by a person, such as "respond to enquiry", with reminders while it is open. */
export const tasks = sqliteTable(
  "tasks",
  {
    id: text("id").primaryKey(),
    firmId: firmId().references(() => firms.id),
    opportunityId: text("opportunity_id"),
    assigneeUserId: text("assignee_user_id"),
    kind: text("kind").notNull(),
    title: text("title").notNull(),
    status: text("status", { enum: TASK_STATUSES }).notNull(),
    dueAt: instant("due_at").notNull(),
    reminderCount: integer("reminder_count").notNull().default(0),
    /** When the next reminder is owed; the cron reads open tasks through this column. */
    nextReminderAt: instant("next_reminder_at"),
    completedAt: instant("completed_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    index("tasks_firm_status_due_idx").on(table.firmId, table.status, table.dueAt),
    index("tasks_next_reminder_idx").on(table.nextReminderAt),
    // Ends in the list order, so one opportunity's tasks come from the index already sorted by due date.
    index("tasks_firm_opportunity_idx").on(table.firmId, table.opportunityId, table.status, table.dueAt, table.id),
  ],
);
