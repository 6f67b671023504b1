import { and, desc, eq, gte, isNull, notExists, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "../client";
import { afterCursor, toPage, type Page } from "./pagination";
import { insertTouchesStatement, type NewTouch } from "./touches";
import {
  activities,
  contacts,
  opportunities,
  outboundMessages,
  submissions,
  tasks,
  type QuarantineReason,
  type StoredAttribution,
} from "../schema";

export interface SubmissionRecord {
  id: string;
  formId: string;
  reference: string;
  dedupeKey: string;
  fingerprint: string;
  payload: unknown;
  origin: string | null;
  userAgent: string | null;
  clientHash: string | null;
}

export interface EnquiryContact {
  name: string | null;
  email: string | null;
  emailNormalised: string | null;
  phone: string | null;
  phoneE164: string | null;
  company: string | null;
}

export interface EnquiryOpportunity {
  id: string;
  stage: string;
  ownerUserId: string | null;
  replyToken: string;
  serviceLine: string | null;
  currency: string;
  channel: string;
  lastTouchChannel: string;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  referrer: string | null;
  landingPage: string | null;
  attribution: StoredAttribution;
  /** Local date of the enquiry in the firm's time zone, "YYYY-MM-DD". */
  enquiryDate: string;
}

export interface OwedMessage {
  id: string;
  kind: string;
  channel: string;
  integrationId: string | null;
  status: "pending" | "skipped";
  statusReason: string | null;
  recipient: string | null;
  data: Record<string, unknown>;
}

export interface NewEnquiry {
  firmId: string;
  /** Id for a new contact; unused when the email or phone matches an existing one. */
  newContactId: string;
  contact: EnquiryContact;
  opportunity: EnquiryOpportunity;
  submission: SubmissionRecord;
  activity: { id: string; data: Record<string, unknown> };
  /** The opportunity's marketing touches, oldest first, for the attribution reports. */
  touches: NewTouch[];
  messages: OwedMessage[];
  /** The "respond to enquiry" task for the owner, due by the firm's response target. */
  task: { id: string; title: string; assigneeUserId: string | null; dueAt: Date };
  now: Date;
  /**
   * Set when a person releases a quarantined submission: its row is updated instead of inserted. A second release
   * fails on the opportunity's unique reference, so it cannot create a second opportunity.
   */
  releasedSubmissionId?: string;
}

export interface RecordedEnquiry {
  contactId: string;
  opportunityId: string;
  reference: string;
}

/** A submission seen before, found by its dedupe key or fingerprint. */
export interface EarlierSubmission {
  reference: string;
  status: string;
  opportunityId: string | null;
}

/** Tells whether an error is SQLite's unique-constraint failure on the submissions dedupe key. */
export function isDuplicateSubmissionError(error: unknown): boolean {
  const text = errorText(error);
  return text.includes("UNIQUE constraint failed") && text.includes("submissions.form_id") && text.includes("submissions.dedupe_key");
}

/** Tells whether an error is the unique-constraint failure on an opportunity's reference. */
export function isDuplicateReferenceError(error: unknown): boolean {
  const text = errorText(error);
  return text.includes("UNIQUE constraint failed") && text.includes("opportunities.reference");
}

function errorText(error: unknown): string {
  let text = "";
  for (let current: unknown = error; current instanceof Error; current = current.cause) text += ` ${current.message}`;
  return text;
}

export async function findSubmissionByDedupeKey(db: Database, firmId: string, formId: string, dedupeKey: string): Promise<EarlierSubmission | null> {
  const row = await db
    .select({ reference: submissions.reference, status: submissions.status, opportunityId: submissions.opportunityId })
    .from(submissions)
    .where(and(eq(submissions.firmId, firmId), eq(submissions.formId, formId), eq(submissions.dedupeKey, dedupeKey)))
    .get();
  return row ?? null;
}

export async function findRecentSubmissionByFingerprint(
  db: Database,
  firmId: string,
  formId: string,
  fingerprint: string,
  since: Date,
): Promise<EarlierSubmission | null> {
  const row = await db
    .select({ reference: submissions.reference, status: submissions.status, opportunityId: submissions.opportunityId })
    .from(submissions)
    .where(
      and(
        eq(submissions.firmId, firmId),
        eq(submissions.formId, formId),
        eq(submissions.fingerprint, fingerprint),
        gte(submissions.createdAt, since),
      ),
    )
    .orderBy(desc(submissions.createdAt))
    .get();
  return row ?? null;
}

async function findPhoneOnlyContactId(db: Database, firmId: string, phoneE164: string): Promise<string | null> {
  const row = await db
    .select({ id: contacts.id })
    .from(contacts)
    .where(and(eq(contacts.firmId, firmId), eq(contacts.phoneE164, phoneE164), isNull(contacts.emailNormalised)))
    .orderBy(contacts.createdAt)
    .get();
  return row?.id ?? null;
}

async function findContactIdByPhone(db: Database, firmId: string, phoneE164: string): Promise<string | null> {
  const row = await db
    .select({ id: contacts.id })
    .from(contacts)
    .where(and(eq(contacts.firmId, firmId), eq(contacts.phoneE164, phoneE164)))
    .orderBy(contacts.createdAt)
    .get();
  return row?.id ?? null;
}

/**
 * Writes an accepted enquiry in one D1 batch, which is one transaction: the contact (created, or matched by
 * normalised email and its blanks filled), the opportunity, the timeline entry, the owed messages and the
 * submission. A repeat of the same dedupe key fails the whole batch with a unique-constraint error, so nothing is
 * half-written; callers catch it with isDuplicateSubmissionError.
 *
 * Concurrent enquiries for one new email end in one contact, because the upsert cannot fail on the unique index
 * and every later statement reads the contact id back by email inside the same transaction (tested with 8 at once).
 */
export async function recordEnquiry(db: Database, enquiry: NewEnquiry): Promise<RecordedEnquiry> {
  const { firmId, contact, opportunity, now } = enquiry;

  let contactIdSql: ReturnType<typeof sql<string>>;
  let resolvedContactId: string | null = null;
  const statements: BatchItem<"sqlite">[] = [];

  if (contact.emailNormalised) {
    if (contact.phoneE164) {
      // A person who first rang or sent a phone-only enquiry and now writes with an email is the same person: give
      // that phone-only contact the email, unless a contact with this email already exists.
      const phoneOnly = await findPhoneOnlyContactId(db, firmId, contact.phoneE164);
      if (phoneOnly) {
        const existing = alias(contacts, "existing");
        statements.push(
          db
            .update(contacts)
            .set({ email: contact.email, emailNormalised: contact.emailNormalised, updatedAt: now })
            .where(
              and(
                eq(contacts.firmId, firmId),
                eq(contacts.id, phoneOnly),
                isNull(contacts.emailNormalised),
                notExists(
                  db
                    .select({ id: existing.id })
                    .from(existing)
                    .where(and(eq(existing.firmId, firmId), eq(existing.emailNormalised, contact.emailNormalised))),
                ),
              ),
            ),
        );
      }
    }
    statements.push(
      db
        .insert(contacts)
        .values({ id: enquiry.newContactId, firmId, ...contact, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({
          target: [contacts.firmId, contacts.emailNormalised],
          set: {
            name: sql`coalesce(${contacts.name}, excluded.name)`,
            phone: sql`coalesce(${contacts.phone}, excluded.phone)`,
            phoneE164: sql`coalesce(${contacts.phoneE164}, excluded.phone_e164)`,
            company: sql`coalesce(${contacts.company}, excluded.company)`,
            updatedAt: now,
          },
        }),
    );
    contactIdSql = sql<string>`(select ${contacts.id} from ${contacts} where ${contacts.firmId} = ${firmId} and ${contacts.emailNormalised} = ${contact.emailNormalised})`;
  } else {
    // Phone is not unique (a switchboard number is shared), so a phone-only enquiry joins the oldest contact
    // with that number. NOTE: two racing phone-only enquiries from a new number may make two contacts.
    resolvedContactId = contact.phoneE164 ? await findContactIdByPhone(db, firmId, contact.phoneE164) : null;
    if (!resolvedContactId) {
      resolvedContactId = enquiry.newContactId;
      statements.push(db.insert(contacts).values({ id: resolvedContactId, firmId, ...contact, createdAt: now, updatedAt: now }));
    }
    contactIdSql = sql<string>`${resolvedContactId}`;
  }

  statements.push(
    db.insert(opportunities).values({
      ...opportunity,
      firmId,
      contactId: contactIdSql,
      reference: enquiry.submission.reference,
      origin: "web_form",
      createdAt: now,
      updatedAt: now,
      lastActivityAt: now,
      stageEnteredAt: now,
      lastProspectActivityAt: now,
      // The sweep works out the real due time on its first look, with the firm's own stall settings.
      nextStallCheckAt: new Date(now.getTime() + 60 * 60 * 1000),
    }),
    db.insert(activities).values({
      id: enquiry.activity.id,
      firmId,
      opportunityId: opportunity.id,
      contactId: contactIdSql,
      type: "enquiry.received",
      cause: "web_form",
      origin: "plumbline",
      occurredAt: now,
      data: enquiry.activity.data,
      createdAt: now,
    }),
  );
  if (enquiry.touches.length > 0) statements.push(insertTouchesStatement(db, firmId, opportunity.id, enquiry.touches, now));

  statements.push(
    db.insert(tasks).values({
      ...enquiry.task,
      firmId,
      opportunityId: opportunity.id,
      kind: "respond_to_enquiry",
      status: "open",
      nextReminderAt: enquiry.task.dueAt,
      createdAt: now,
      updatedAt: now,
    }),
  );

  for (const message of enquiry.messages) {
    statements.push(
      db.insert(outboundMessages).values({
        ...message,
        firmId,
        opportunityId: opportunity.id,
        createdAt: now,
        updatedAt: now,
      }),
    );
  }

  if (enquiry.releasedSubmissionId) {
    statements.push(
      db
        .update(submissions)
        .set({ status: "released", contactId: contactIdSql, opportunityId: opportunity.id })
        .where(and(eq(submissions.firmId, firmId), eq(submissions.id, enquiry.releasedSubmissionId))),
    );
  } else {
    statements.push(
      db.insert(submissions).values({
        ...enquiry.submission,
        firmId,
        status: "accepted",
        contactId: contactIdSql,
        opportunityId: opportunity.id,
        createdAt: now,
      }),
    );
  }

  const [first, ...rest] = statements;
  await db.batch([first!, ...rest]);

  const contactId =
    resolvedContactId ??
    (await db
      .select({ id: contacts.id })
      .from(contacts)
      .where(and(eq(contacts.firmId, firmId), eq(contacts.emailNormalised, contact.emailNormalised!)))
      .get())!.id;

  return { contactId, opportunityId: opportunity.id, reference: enquiry.submission.reference };
}

/** Stores a submission held back as likely spam. It creates no contact, opportunity or message. */
export async function recordQuarantinedSubmission(
  db: Database,
  firmId: string,
  submission: SubmissionRecord,
  reason: QuarantineReason,
  now: Date,
): Promise<void> {
  await db.insert(submissions).values({ ...submission, firmId, status: "quarantined", quarantineReason: reason, createdAt: now });
}

/** Marks owed messages as put on the queue, so the cron does not queue them again. */
export async function markMessagesQueued(db: Database, firmId: string, ids: string[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(outboundMessages)
    .set({ queuedAt: at, updatedAt: at })
    .where(and(eq(outboundMessages.firmId, firmId), sql`${outboundMessages.id} in (select value from json_each(${JSON.stringify(ids)}))`));
}

export type Submission = typeof submissions.$inferSelect;

export async function findSubmission(db: Database, firmId: string, id: string): Promise<Submission | null> {
  return (await db.select().from(submissions).where(and(eq(submissions.firmId, firmId), eq(submissions.id, id))).get()) ?? null;
}

/** Lists a firm's submissions with one status, newest first. */
export async function listSubmissions(
  db: Database,
  firmId: string,
  options: { status: Submission["status"]; limit: number; cursor?: string | undefined },
): Promise<Page<Submission>> {
  const rows = await db
    .select()
    .from(submissions)
    .where(
      and(
        eq(submissions.firmId, firmId),
        eq(submissions.status, options.status),
        afterCursor(submissions.createdAt, submissions.id, options.cursor),
      ),
    )
    .orderBy(desc(submissions.createdAt), desc(submissions.id))
    .limit(options.limit + 1);
  return toPage(rows, options.limit);
}
