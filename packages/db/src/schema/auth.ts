import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, firmId, instant, json } from "./columns";
import { FIRM_ROLES, firms, users } from "./tenancy";

export const SIGN_IN_PURPOSES = ["sign_in", "invitation"] as const;
export type SignInPurpose = (typeof SIGN_IN_PURPOSES)[number];

/**
 * One-time tokens sent by email. Only the SHA-256 of the token is stored, so a copy of the database cannot sign
 * anyone in. A token works once: using it sets `used_at` in a conditional update.
 */
export const signInTokens = sqliteTable(
  "sign_in_tokens",
  {
    id: text("id").primaryKey(),
    /** Hex SHA-256 of the token sent in the link. */
    tokenHash: text("token_hash").notNull(),
    purpose: text("purpose", { enum: SIGN_IN_PURPOSES }).notNull(),
    /** The user signing in; null for an invitation to an address with no user yet. */
    userId: text("user_id").references(() => users.id),
    /** Normalised address the link was sent to. */
    email: text("email").notNull(),
    /** Set for purpose `invitation`. */
    invitationId: text("invitation_id"),
    expiresAt: instant("expires_at").notNull(),
    usedAt: instant("used_at"),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex("sign_in_tokens_hash_unique").on(table.tokenHash), index("sign_in_tokens_invitation_idx").on(table.invitationId)],
);

/** A signed-in browser. The session token names its row, so revoking the row signs the browser out at once. */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
    expiresAt: instant("expires_at").notNull(),
    revokedAt: instant("revoked_at"),
    /** Updated at most every few minutes, so settings can show when a session was last used. */
    lastSeenAt: instant("last_seen_at"),
  },
  (table) => [index("sessions_user_idx").on(table.userId)],
);

/** An invitation to join a firm with a role; accepting it creates the user if needed and the membership. */
export const invitations = sqliteTable(
  "invitations",
  {
    id: text("id").primaryKey(),
    firmId: firmId().references(() => firms.id),
    /** Normalised address invited. */
    email: text("email").notNull(),
    role: text("role", { enum: FIRM_ROLES }).notNull(),
    /** The signed-in user who sent it, or null when an API key did. */
    invitedByUserId: text("invited_by_user_id").references(() => users.id),
    expiresAt: instant("expires_at").notNull(),
    acceptedAt: instant("accepted_at"),
    acceptedUserId: text("accepted_user_id").references(() => users.id),
    revokedAt: instant("revoked_at"),
    createdAt: createdAt(),
  },
  (table) => [index("invitations_firm_idx").on(table.firmId, table.createdAt)],
);

export const PLATFORM_EMAIL_KINDS = ["sign_in_link", "invitation"] as const;

/**
 * Emails Plumbline sends for itself rather than for a firm (sign-in links and invitations), through the platform
 * mail provider. The rendered text is kept only for the local outbox, because it contains a one-time link.
 */
export const platformEmails = sqliteTable(
  "platform_emails",
  {
    id: text("id").primaryKey(),
    kind: text("kind", { enum: PLATFORM_EMAIL_KINDS }).notNull(),
    /** Normalised recipient address. */
    recipient: text("recipient").notNull(),
    status: text("status", { enum: ["sent", "failed", "skipped"] }).notNull(),
    statusReason: text("status_reason"),
    provider: text("provider"),
    providerMessageId: text("provider_message_id"),
    /** For the local outbox only: `{ rendered: { subject, to, from, text, html } }`; empty otherwise. */
    data: json<Record<string, unknown>>("data").notNull(),
    sentAt: integer("sent_at", { mode: "timestamp_ms" }),
    createdAt: createdAt(),
  },
  (table) => [index("platform_emails_recipient_idx").on(table.recipient, table.createdAt), index("platform_emails_provider_idx").on(table.provider, table.createdAt)],
);
