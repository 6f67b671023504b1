import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, firmId, instant, updatedAt } from "./columns";
import { firms } from "./tenancy";

export const MEETING_STATUSES = ["booked", "cancelled", "held", "no_show"] as const;
export type MeetingStatus = (typeof MEETING_STATUSES)[number];

/**
 * A meeting from a booking tool. `meetingKey` is the booking's identity at the provider; a reschedule moves the
 * row to the new key and keeps the old one in `previousMeetingKey`, so the meeting stays one row.
 */
export const meetings = sqliteTable(
  "meetings",
  {
    id: text("id").primaryKey(),
    firmId: firmId().references(() => firms.id),
    opportunityId: text("opportunity_id").notNull(),
    contactId: text("contact_id").notNull(),
    provider: text("provider").notNull(),
    meetingKey: text("meeting_key").notNull(),
    previousMeetingKey: text("previous_meeting_key"),
    status: text("status", { enum: MEETING_STATUSES }).notNull(),
    startsAt: instant("starts_at"),
    endsAt: instant("ends_at"),
    title: text("title"),
    location: text("location"),
    hostEmail: text("host_email"),
    cancellationReason: text("cancellation_reason"),
    /** The provider's time of the latest event applied, so an older event arriving late changes nothing. */
    lastEventAt: instant("last_event_at").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex("meetings_firm_provider_key_unique").on(table.firmId, table.provider, table.meetingKey),
    index("meetings_firm_previous_key_idx").on(table.firmId, table.provider, table.previousMeetingKey),
    index("meetings_firm_opportunity_idx").on(table.firmId, table.opportunityId, table.startsAt),
  ],
);
