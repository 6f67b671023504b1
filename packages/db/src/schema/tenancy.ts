import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { ChannelRule } from "@plumbline/core";
import { createdAt, json, updatedAt } from "./columns";

/** An agency onboards and runs many client firms. */
export const agencies = sqliteTable("agencies", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: createdAt(),
});

/** Opening hours for one weekday, as wall-clock "HH:MM" in the firm's time zone. */
export interface WorkingDay {
  /** ISO weekday: 1 is Monday, 7 is Sunday. */
  day: 1 | 2 | 3 | 4 | 5 | 6 | 7;
  start: string;
  end: string;
}

/** A firm is the tenant: every firm-owned row carries its id. */
export const firms = sqliteTable(
  "firms",
  {
    id: text("id").primaryKey(),
    agencyId: text("agency_id").references(() => agencies.id),
    name: text("name").notNull(),
    slug: text("slug").notNull(),
    /** IANA time zone such as Europe/London. */
    timeZone: text("time_zone").notNull().default("Europe/London"),
    workingHours: json<WorkingDay[]>("working_hours").notNull(),
    /** ISO 4217 code for opportunity values. */
    currency: text("currency").notNull().default("GBP"),
    locale: text("locale").notNull().default("en-GB"),
    /** ISO 3166 region used to read phone numbers typed without a country code. */
    defaultPhoneRegion: text("default_phone_region").notNull().default("GB"),
    /** Email domains of the firm's people, such as hartley-moss.co.uk: mail from them is the firm's, not a prospect's. */
    emailDomains: json<string[]>("email_domains").notNull().default(sql`'[]'`),
    /** Hosts of the firm's own websites: a referrer from one of them is never a marketing source. */
    websiteHosts: json<string[]>("website_hosts").notNull().default(sql`'[]'`),
    /** The firm's own channel names, checked before the standard channel table. */
    channelRules: json<ChannelRule[]>("channel_rules").notNull().default(sql`'[]'`),
    /** Time within which an enquiry should get a human reply, in working minutes. */
    responseTargetMinutes: integer("response_target_minutes").notNull().default(120),
    /** Local dates ("YYYY-MM-DD") the firm is closed, such as bank holidays; due dates skip them. */
    closedDates: json<string[]>("closed_dates").notNull().default(sql`'[]'`),
    /** Owner of enquiries that no routing rule matches. */
    fallbackOwnerUserId: text("fallback_owner_user_id"),
    /** User who receives escalations of tasks still open after the reminders. */
    escalationUserId: text("escalation_user_id"),
    /** Working minutes between reminders of an overdue task. */
    reminderIntervalMinutes: integer("reminder_interval_minutes").notNull().default(60),
    /** Reminders sent to the assignee before the task is escalated. */
    remindersBeforeEscalation: integer("reminders_before_escalation").notNull().default(2),
    /** Sender of the firm's emails, such as enquiries@firm.example; must be verified with the mail provider. */
    senderEmail: text("sender_email"),
    senderName: text("sender_name"),
    /** Days without movement before an opportunity in a stage counts as stalled, by stage key; defaults fill gaps. */
    stallDays: json<Record<string, number>>("stall_days").notNull().default(sql`'{}'`),
    /** Days of silence from the prospect before an engaged opportunity is closed as lost. */
    closeAsLostDays: integer("close_as_lost_days").notNull().default(45),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [uniqueIndex("firms_slug_unique").on(table.slug), index("firms_agency_idx").on(table.agencyId)],
);

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    /** Normalised address (see normaliseEmail); users sign in with it. */
    email: text("email").notNull(),
    name: text("name").notNull(),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex("users_email_unique").on(table.email)],
);

export const FIRM_ROLES = ["owner", "admin", "partner", "viewer"] as const;
export type FirmRole = (typeof FIRM_ROLES)[number];

/** A user's role in one firm. */
export const memberships = sqliteTable(
  "memberships",
  {
    firmId: text("firm_id")
      .notNull()
      .references(() => firms.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    role: text("role", { enum: FIRM_ROLES }).notNull(),
    /** Set while the person is away, so routing skips them. */
    awayUntil: integer("away_until", { mode: "timestamp_ms" }),
    createdAt: createdAt(),
  },
  (table) => [primaryKey({ columns: [table.firmId, table.userId] }), index("memberships_user_idx").on(table.userId)],
);

export const AGENCY_ROLES = ["admin", "staff"] as const;
export type AgencyRole = (typeof AGENCY_ROLES)[number];

/** Agency staff reach every firm their agency owns. */
export const agencyMemberships = sqliteTable(
  "agency_memberships",
  {
    agencyId: text("agency_id")
      .notNull()
      .references(() => agencies.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    role: text("role", { enum: AGENCY_ROLES }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [primaryKey({ columns: [table.agencyId, table.userId] }), index("agency_memberships_user_idx").on(table.userId)],
);

/** API keys are stored as SHA-256 hashes; only the prefix is kept in clear to tell keys apart. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    firmId: text("firm_id")
      .notNull()
      .references(() => firms.id),
    name: text("name").notNull(),
    /** The first characters of the key, such as `pl_live_ab12`, shown in settings. */
    prefix: text("prefix").notNull(),
    /** Hex SHA-256 of the whole key. */
    keyHash: text("key_hash").notNull(),
    createdAt: createdAt(),
    lastUsedAt: integer("last_used_at", { mode: "timestamp_ms" }),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
  },
  (table) => [uniqueIndex("api_keys_hash_unique").on(table.keyHash), index("api_keys_firm_idx").on(table.firmId)],
);
