import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt, firmId, instant, json } from "./columns";
import { firms } from "./tenancy";

/**
 * The timeline: every event about an opportunity or contact, with what caused it and where it came from.
 * `type` names the event (`enquiry.received`, `email.sent`, `stage.changed`); `cause` the trigger (`web_form`,
 * `automation`, `user`); `origin` the system it came from (`plumbline`, `postmark`, `calendly`).
 */
export const activities = sqliteTable(
  "activities",
  {
    id: text("id").primaryKey(),
    firmId: firmId().references(() => firms.id),
    opportunityId: text("opportunity_id"),
    contactId: text("contact_id"),
    type: text("type").notNull(),
    cause: text("cause").notNull(),
    origin: text("origin").notNull(),
    /** The user who acted, when a person did. */
    actorUserId: text("actor_user_id"),
    occurredAt: instant("occurred_at").notNull(),
    data: json<Record<string, unknown>>("data").notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    index("activities_firm_opportunity_idx").on(table.firmId, table.opportunityId, table.occurredAt),
    index("activities_firm_contact_idx").on(table.firmId, table.contactId, table.occurredAt),
  ],
);
