import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt, firmId, instant, json } from "./columns";
import { firms } from "./tenancy";

export const EMAIL_DIRECTIONS = ["inbound", "outbound"] as const;
export const EMAIL_CLASSIFICATIONS = ["human", "auto_reply", "out_of_office", "bounce"] as const;

/**
 * An email Plumbline captured about the firm's work: a prospect's reply, a partner's answer, a forwarded
 * enquiry. `opportunityId` is null while it is unmatched and waiting to be filed by a person.
 */
export const emailMessages = sqliteTable(
  "email_messages",
  {
    id: text("id").primaryKey(),
    firmId: firmId().references(() => firms.id),
    opportunityId: text("opportunity_id"),
    contactId: text("contact_id"),
    /** `inbound` from the prospect, `outbound` from the firm's people. */
    direction: text("direction", { enum: EMAIL_DIRECTIONS }).notNull(),
    classification: text("classification", { enum: EMAIL_CLASSIFICATIONS }).notNull(),
    /** Rule that tied it to its opportunity: `in_reply_to`, `references`, `reply_token`, `subject_reference`, `participant`, or null. */
    matchedBy: text("matched_by"),
    fromEmail: text("from_email").notNull(),
    fromName: text("from_name"),
    /** Recipients, as normalised addresses. */
    toEmails: json<string[]>("to_emails").notNull(),
    subject: text("subject"),
    /** The sender's RFC 5322 Message-ID, with angle brackets. */
    messageIdHeader: text("message_id_header"),
    inReplyTo: text("in_reply_to"),
    references: json<string[]>("references").notNull(),
    /** The new text of the message without quoted history, cut for the timeline with a marker. */
    replyText: text("reply_text"),
    /** The whole text body, cut at the storage cap with a marker. */
    bodyText: text("body_text"),
    bodyTruncated: integer("body_truncated", { mode: "boolean" }).notNull().default(false),
    attachments: json<Array<{ name: string; type: string; size: number }>>("attachments").notNull(),
    /** For a forwarded enquiry: the partner who forwarded it. */
    forwardedBy: text("forwarded_by"),
    /** Entry point: `postmark`, `sendgrid`, `mailgun` or `email-worker`. */
    source: text("source").notNull(),
    sentAt: instant("sent_at"),
    receivedAt: instant("received_at").notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    index("email_messages_firm_opportunity_idx").on(table.firmId, table.opportunityId, table.receivedAt),
    index("email_messages_firm_message_id_idx").on(table.firmId, table.messageIdHeader),
  ],
);
