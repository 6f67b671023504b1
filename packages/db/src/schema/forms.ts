import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { FormField } from "@plumbline/core";
import { createdAt, firmId, json, updatedAt } from "./columns";
import { firms } from "./tenancy";

/** Mapping from a form's answers to the opportunity's service line. */
export interface ServiceLineMapping {
  /** The form field whose value selects the service line, such as `service`. */
  field: string | null;
  /** Field value to service line, such as `{"wills": "private-client"}`. */
  values: Record<string, string>;
  /** Service line when the field is absent or its value is not mapped. */
  fallback: string | null;
}

/** A website form. Its key is public: it sits in the firm's page source. */
export const forms = sqliteTable(
  "forms",
  {
    id: text("id").primaryKey(),
    firmId: firmId().references(() => firms.id),
    key: text("key").notNull(),
    name: text("name").notNull(),
    /**
     * Origins allowed to submit from a browser, such as `https://www.firm.example`. A `*` may stand for the port
     * (`http://localhost:*`) or for any subdomain (`https://*.firm.example`, not matching `https://firm.example` itself).
     */
    allowedOrigins: json<string[]>("allowed_origins").notNull(),
    fields: json<FormField[]>("fields").notNull(),
    serviceLines: json<ServiceLineMapping>("service_lines").notNull(),
    /** Page a browser goes to after a plain HTML (no JavaScript) submission, or a hosted page when null. */
    thankYouUrl: text("thank_you_url"),
    submitLabel: text("submit_label").notNull().default("Send enquiry"),
    successMessage: text("success_message").notNull(),
    /** Name of the hidden field that people never fill in and bots often do. */
    honeypotField: text("honeypot_field").notNull().default("website"),
    turnstileSiteKey: text("turnstile_site_key"),
    /** Turnstile secret, encrypted with the Worker's ENCRYPTION_KEY (AES-GCM); null turns Turnstile off. */
    turnstileSecretEncrypted: text("turnstile_secret_encrypted"),
    /** Submissions accepted per hour from one client address before the rest are quarantined. */
    clientRateLimitPerHour: integer("client_rate_limit_per_hour").notNull().default(10),
    /** Submissions accepted per hour for the whole form before the rest are quarantined. */
    formRateLimitPerHour: integer("form_rate_limit_per_hour").notNull().default(500),
    archivedAt: integer("archived_at", { mode: "timestamp_ms" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [uniqueIndex("forms_key_unique").on(table.key), index("forms_firm_idx").on(table.firmId)],
);

export const SUBMISSION_STATUSES = ["accepted", "quarantined", "released"] as const;
export type SubmissionStatus = (typeof SUBMISSION_STATUSES)[number];

export const QUARANTINE_REASONS = [
  "honeypot",
  "turnstile_failed",
  "turnstile_unavailable",
  "client_rate_limit",
  "form_rate_limit",
] as const;
export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

/**
 * Every submission as received, kept whatever became of it: accepted ones link to their contact and
 * opportunity, quarantined ones wait for review.
 */
export const submissions = sqliteTable(
  "submissions",
  {
    id: text("id").primaryKey(),
    firmId: firmId().references(() => firms.id),
    formId: text("form_id")
      .notNull()
      .references(() => forms.id),
    /** The reference the prospect is shown, such as `ENQ-7K2M-9QXD`. */
    reference: text("reference").notNull(),
    /** The client submission id, or `fp:` and a fingerprint hash with its time bucket when there is none. */
    dedupeKey: text("dedupe_key").notNull(),
    /** SHA-256 of the form key and the normalised answers, for repeats without a client id. */
    fingerprint: text("fingerprint").notNull(),
    status: text("status", { enum: SUBMISSION_STATUSES }).notNull(),
    quarantineReason: text("quarantine_reason", { enum: QUARANTINE_REASONS }),
    /** The cleaned submission (fields, attribution, page) as stored for the firm. */
    payload: text("payload", { mode: "json" }).notNull(),
    contactId: text("contact_id"),
    opportunityId: text("opportunity_id"),
    /** Origin header of the request, if any. */
    origin: text("origin"),
    userAgent: text("user_agent"),
    /** HMAC of the client IP address, so rate limits and review work without storing the address. */
    clientHash: text("client_hash"),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex("submissions_dedupe_unique").on(table.formId, table.dedupeKey),
    index("submissions_fingerprint_idx").on(table.formId, table.fingerprint, table.createdAt),
    index("submissions_firm_status_idx").on(table.firmId, table.status, table.createdAt),
    uniqueIndex("submissions_reference_unique").on(table.firmId, table.reference),
  ],
);

/** Fixed-window counters for the submission rate limits. Rows older than a day are deleted by the cron. */
export const rateLimitCounters = sqliteTable("rate_limit_counters", {
  /** Such as `form:<formId>:<windowStart>` or `client:<formId>:<clientHash>:<windowStart>`. */
  key: text("key").primaryKey(),
  count: integer("count").notNull(),
  windowStart: integer("window_start", { mode: "timestamp_ms" }).notNull(),
});

