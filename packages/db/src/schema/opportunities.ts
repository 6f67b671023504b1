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
    /**
     * Local date ("YYYY-MM-DD") of the enquiry in the firm's time zone when it arrived, so reports filter and
     * group by the firm's days without time-zone arithmetic in SQL. Null on rows written before reports existed.
     */
    enquiryDate: text("enquiry_date"),
    /** Whole clock minutes from the enquiry to the first human response; set with first_response_at. */
    firstResponseMinutes: integer("first_response_minutes"),
    /** Whole working minutes (the firm's calendar) from the enquiry to the first human response. */
    firstResponseWorkingMinutes: integer("first_response_working_minutes"),
    /** When the first meeting was booked, for the meetings column of the reports. */
    firstMeetingAt: instant("first_meeting_at"),
    /** Changes to this opportunity made by automation from evidence: stage moves and emails filed by rule. */
    evidenceChanges: integer("evidence_changes").notNull().default(0),
    /** Changes a person made by hand: stage overrides and emails filed by hand. */
    manualChanges: integer("manual_changes").notNull().default(0),
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
    // Reports: enquiries of a period by local date, the open pipeline, and closures of a period. The first two
    // carry every column their reports read, so a report reads index entries only and never the wide table rows.
    index("opportunities_firm_enquiry_date_idx").on(
      table.firmId,
      table.enquiryDate,
      table.channel,
      table.utmCampaign,
      table.serviceLine,
      table.ownerUserId,
      table.stage,
      table.valueMinor,
      table.firstMeetingAt,
      table.firstResponseMinutes,
      table.firstResponseWorkingMinutes,
      table.evidenceChanges,
      table.manualChanges,
    ),
    // Open opportunities by age: the pipeline report reads the recent ones in order of creation, and the older
    // ones as totals from report_open.
    index("opportunities_firm_open_created_idx")
      .on(table.firmId, table.createdAt, table.stage, table.stalledAt, table.valueMinor, table.ownerUserId, table.serviceLine, table.channel)
      .where(sql`${table.closedAt} is null`),
    // The stalled opportunities listed longest first, without sorting every stalled one.
    index("opportunities_firm_stalled_idx").on(table.firmId, table.stalledAt, table.id).where(sql`${table.closedAt} is null and ${table.stalledAt} is not null`),
    // Partial, so that the open pipeline's `closed_at is null` never picks it over the partial index on open ones.
    index("opportunities_firm_closed_idx").on(table.firmId, table.closedAt).where(sql`${table.closedAt} is not null`),
  ],
);

export interface StoredAttribution extends Attribution {
  firstTouchReason: string;
  lastTouchReason: string;
}

export const TOUCH_KINDS = ["visit", "enquiry", "booking"] as const;
export type TouchKind = (typeof TOUCH_KINDS)[number];

/**
 * Marketing touches of an opportunity, oldest first: the visit that first brought the prospect, the enquiry, and
 * each later booking. Written with the event that makes them, so attribution reports read these rows and never
 * the timeline.
 */
export const opportunityTouches = sqliteTable(
  "opportunity_touches",
  {
    /** Derived from the event that made the touch, so processing an event twice writes one row. */
    id: text("id").primaryKey(),
    firmId: firmId().references(() => firms.id),
    opportunityId: text("opportunity_id")
      .notNull()
      .references(() => opportunities.id),
    kind: text("kind", { enum: TOUCH_KINDS }).notNull(),
    channel: text("channel").notNull(),
    campaign: text("campaign"),
    occurredAt: instant("occurred_at").notNull(),
    createdAt: createdAt(),
  },
  (table) => [index("opportunity_touches_firm_opportunity_idx").on(table.firmId, table.opportunityId, table.occurredAt)],
);
