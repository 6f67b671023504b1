import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, firmId, instant, json, updatedAt } from "./columns";
import { firms } from "./tenancy";

export const INTEGRATION_KINDS = ["mail", "chat", "booking", "inbound_mail", "mail_events"] as const;
export type IntegrationKind = (typeof INTEGRATION_KINDS)[number];

export const INTEGRATION_STATUSES = ["active", "needs_attention"] as const;

/**
 * A firm's connection to an outside service: its mail provider, or a Slack or Teams channel. Credentials and
 * webhook URLs (which carry their own secret) are encrypted with ENCRYPTION_KEY; `settings` contains the rest.
 */
export const integrations = sqliteTable(
  "integrations",
  {
    id: text("id").primaryKey(),
    firmId: firmId().references(() => firms.id),
    kind: text("kind", { enum: INTEGRATION_KINDS }).notNull(),
    /** `postmark`, `resend`, `sendgrid`, `mailgun`, `slack`, `teams`, `calcom` or `calendly`. */
    provider: text("provider").notNull(),
    name: text("name").notNull(),
    /** Non-secret settings such as the sender address, Postmark's message stream or Mailgun's domain. */
    settings: json<Record<string, string>>("settings").notNull(),
    /** The API key, webhook URL or webhook signing secret, encrypted (see encryptSecret). */
    secretEncrypted: text("secret_encrypted").notNull(),
    /** The firm's default for its kind: the mail provider, or the channel for alerts no rule routes elsewhere. */
    isDefault: integer("is_default", { mode: "boolean" }).notNull().default(false),
    status: text("status", { enum: INTEGRATION_STATUSES }).notNull().default("active"),
    /** Reason the integration needs attention, in words for the firm's admin. */
    statusReason: text("status_reason"),
    /** Earliest instant the next chat message may go out, so one webhook gets at most one message a second. */
    nextSendAt: instant("next_send_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [index("integrations_firm_kind_idx").on(table.firmId, table.kind)],
);

/** A team of the firm, such as "Family", that enquiries can be routed to. */
export const teams = sqliteTable(
  "teams",
  {
    id: text("id").primaryKey(),
    firmId: firmId().references(() => firms.id),
    name: text("name").notNull(),
    /** Chat integration for the team's alerts; the firm's default one when null. */
    chatIntegrationId: text("chat_integration_id"),
    /** Counts assignments, so round-robin continues where it stopped. */
    roundRobinCounter: integer("round_robin_counter").notNull().default(0),
    createdAt: createdAt(),
  },
  (table) => [index("teams_firm_idx").on(table.firmId)],
);

export const teamMembers = sqliteTable(
  "team_members",
  {
    firmId: firmId().references(() => firms.id),
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id),
    userId: text("user_id").notNull(),
    /** Order of the round-robin. */
    position: integer("position").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.teamId, table.userId] }),
    index("team_members_firm_team_idx").on(table.firmId, table.teamId, table.position),
  ],
);

/**
 * Where enquiries go: the first rule (by position) whose service line matches, or that has none, picks a
 * person or a team. Enquiries no rule matches go to the firm's fallback owner.
 */
export const routingRules = sqliteTable(
  "routing_rules",
  {
    id: text("id").primaryKey(),
    firmId: firmId().references(() => firms.id),
    position: integer("position").notNull(),
    /** Matches this service line; null matches every enquiry. */
    serviceLine: text("service_line"),
    targetUserId: text("target_user_id"),
    targetTeamId: text("target_team_id"),
    createdAt: createdAt(),
  },
  (table) => [index("routing_rules_firm_position_idx").on(table.firmId, table.position)],
);

/** An email template of the firm, such as the acknowledgement; the built-in one applies when there is none. */
export const emailTemplates = sqliteTable(
  "email_templates",
  {
    firmId: firmId().references(() => firms.id),
    kind: text("kind").notNull(),
    subject: text("subject").notNull(),
    text: text("text").notNull(),
    html: text("html").notNull(),
    updatedAt: updatedAt(),
  },
  (table) => [primaryKey({ columns: [table.firmId, table.kind] })],
);

/** Addresses that must not be emailed again, such as ones that hard-bounced. */
export const emailSuppressions = sqliteTable(
  "email_suppressions",
  {
    firmId: firmId().references(() => firms.id),
    emailNormalised: text("email_normalised").notNull(),
    reason: text("reason").notNull(),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex("email_suppressions_firm_email_unique").on(table.firmId, table.emailNormalised)],
);
