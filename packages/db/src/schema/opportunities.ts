import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { Attribution } from "@plumbline/core";
import { createdAt, firmId, instant, json, updatedAt } from "./columns";
import { contacts } from "./contacts";
import { firms, users } from "./tenancy";

/** A piece of potential work for the firm, moved through the pipeline by evidence. */
export const opportunities = sqliteTable(
  "opportunities",
  {
    id: text("id").primaryKey(),
    firmId: firmId().references(() => firms.id),
    contactId: text("contact_id")
      .notNull()
      .references(() => contacts.id),
    /** Short reference shown to the prospect and staff, such as `ENQ-7K2M-9QXD`. */
    reference: text("reference").notNull(),
    /** Pipeline stage key, such as `new` or `won`. */
    stage: text("stage").notNull(),
    serviceLine: text("service_line"),
    ownerUserId: text("owner_user_id").references(() => users.id),
    /** Expected or won fee in minor units (pence for GBP). */
    valueMinor: integer("value_minor"),
    currency: text("currency").notNull(),
    /** Origin of the opportunity: `web_form`, `booking`, `email` or `api`. */
    origin: text("origin").notNull(),
    /** Channel of the first touch, from the rule table in packages/core. */
    channel: text("channel").notNull(),
    /** Channel of the last touch before the enquiry. */
    lastTouchChannel: text("last_touch_channel").notNull(),
    utmSource: text("utm_source"),
    utmMedium: text("utm_medium"),
    utmCampaign: text("utm_campaign"),
    referrer: text("referrer"),
    landingPage: text("landing_page"),
    /** Both touches in full, with the reason each channel was chosen. */
    attribution: json<StoredAttribution>("attribution").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    firstResponseAt: instant("first_response_at"),
    lastActivityAt: instant("last_activity_at").notNull(),
    stalledAt: instant("stalled_at"),
    stalledReason: text("stalled_reason"),
    closedAt: instant("closed_at"),
    closeReason: text("close_reason"),
    /** Secret part of the per-opportunity Reply-To capture address, so replies find their opportunity. */
    replyToken: text("reply_token"),
    /** When the opportunity entered its current stage, for stall detection. */
    stageEnteredAt: instant("stage_entered_at"),
    /** A stage a person set, which automation may only move past: `{stage, at (ISO), by}`. */
    stageOverride: json<{ stage: string; at: string; by: string }>("stage_override"),
    /** The stage before a booked meeting moved it, so a cancellation can return it there. */
    stageBeforeMeeting: text("stage_before_meeting"),
    /** Latest message or booking from the prospect: the clock for closing as lost after silence. */
    lastProspectActivityAt: instant("last_prospect_activity_at"),
    /** When the stall sweep must next look at this opportunity; null once it is closed. */
    nextStallCheckAt: instant("next_stall_check_at"),
    /** Reason a person should look at this opportunity now, such as a bounced acknowledgement; null when nothing is wrong. */
    attentionReason: text("attention_reason"),
    attentionAt: instant("attention_at"),
  },
  (table) => [
    uniqueIndex("opportunities_firm_reference_unique").on(table.firmId, table.reference),
    index("opportunities_firm_created_idx").on(table.firmId, table.createdAt, table.id),
    // The pipeline's columns: one stage, newest first. Each filter of the pipeline page has an index of the same
    // shape led by its column, so a filtered column is read in list order too.
    index("opportunities_firm_stage_created_idx").on(table.firmId, table.stage, table.createdAt, table.id),
    index("opportunities_firm_owner_stage_idx").on(table.firmId, table.ownerUserId, table.stage, table.createdAt, table.id),
    index("opportunities_firm_service_line_stage_idx").on(table.firmId, table.serviceLine, table.stage, table.createdAt, table.id),
    index("opportunities_firm_channel_stage_idx").on(table.firmId, table.channel, table.stage, table.createdAt, table.id),
    // Partial: only stalled rows, so "stalled only" reads them without walking the rest of the stage.
    index("opportunities_firm_stalled_stage_idx")
      .on(table.firmId, table.stage, table.createdAt, table.id)
      .where(sql`${table.stalledAt} is not null`),
    index("opportunities_firm_contact_idx").on(table.firmId, table.contactId),
    index("opportunities_firm_channel_idx").on(table.firmId, table.channel, table.createdAt, table.id),
    uniqueIndex("opportunities_reply_token_unique").on(table.replyToken),
    index("opportunities_next_stall_check_idx").on(table.nextStallCheckAt),
    // Covers the pipeline header's counts per stage, so they are read from the index without touching rows.
    index("opportunities_firm_summary_idx").on(table.firmId, table.stage, table.ownerUserId, table.serviceLine, table.channel, table.stalledAt, table.valueMinor),
  ],
);

export interface StoredAttribution extends Attribution {
  firstTouchReason: string;
  lastTouchReason: string;
}
