import { opportunities, outboundMessages, webhookEvents } from "@plumbline/db";
import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { vi } from "vitest";
import type { FollowUpMessage } from "../../apps/api/src/env";
import worker from "../../apps/api/src/index";
import { callApi, getWithKey, testEnv } from "../support/api";
import type { SeededFirm } from "../support/seed";
import { testDatabase } from "../support/seed";
import {
  calcomBody,
  calendlyBooked,
  calendlyCancelled,
  calendlyInvitee,
  calendlyRescheduleHalves,
  sendCalcom,
  sendCalendly,
  type Attendee,
  type CalendlyInvitee,
} from "./booking-webhooks";
import { formatLondon } from "./clock";
import { INBOUND_TOKEN, postmarkInbound, rfc2822 } from "./inbound-mail";
import { momentOf, type BookingProvider, type Prospect, type ScheduledStep } from "./scenario";

/** Polls of the real queue's progress before giving up; at 50 ms each, ten seconds of real time. */
const QUEUE_POLLS = 200;
const POLL_INTERVAL_MS = 50;
/** The consumer's max_batch_size in wrangler.toml, so direct batches are no larger than real ones. */
const QUEUE_BATCH_SIZE = 10;
const FOLLOW_UP_QUEUE_NAME = "plumbline-follow-up";

/**
 * How queue work reaches the consumer. "real": through Miniflare's queue, which delivers a batch up to a second
 * after the first message (max_batch_timeout), so every step that queues work costs about a second of waiting.
 * "direct": the Worker's FOLLOW_UP_QUEUE binding is replaced by a recorder, and the recorded messages are handed
 * to the Worker's own queue handler in batches, the way Miniflare would, without the wait.
 */
export type QueueMode = "real" | "direct";

/** A stand-in for the FOLLOW_UP_QUEUE producer binding that keeps what the Worker sends. */
class RecordingQueue {
  readonly waiting: FollowUpMessage[] = [];

  async send(body: FollowUpMessage): Promise<void> {
    this.waiting.push(body);
  }

  async sendBatch(messages: Iterable<{ body: FollowUpMessage }>): Promise<void> {
    for (const message of messages) this.waiting.push(message.body);
  }
}

/** The simulation's record of one booked meeting: the provider's current identity for it, and its slot. */
interface MeetingHandle {
  provider: BookingProvider;
  startsAt: Date;
  /** Bumped on every reschedule, because both providers give the moved booking a new identity. */
  version: number;
  calendly?: CalendlyInvitee;
  calcomUid?: string;
}

export interface PageOf<T> {
  data: T[];
  nextCursor: string | null;
}

/** The firm's integrations the simulation sends webhooks to. */
export interface SimulatedIntegrations {
  calendly: string;
  calcom: string;
  /** The Postmark inbound mail integration, needed only by scripts with email steps. */
  inbound?: string;
}

/** The firm member who writes to prospects by email. */
export interface SimulatedPartner {
  userId: string;
  name: string;
  email: string;
}

/** One prospect's email thread: the reply address and the Message-IDs sent so far. */
interface Thread {
  replyTo: string;
  subject: string;
  messageIds: string[];
}

export interface ApiOpportunity {
  id: string;
  createdAt: string;
  firstResponseAt: string | null;
  contactId: string;
  stage: string;
  origin: string;
  channel: string;
  serviceLine: string | null;
  stalledAt: string | null;
  closeReason: string | null;
}

export interface ApiTimelineEntry {
  type: string;
  occurredAt: string;
  data: { from?: string; to?: string } | null;
}

/**
 * Plays the script against the real Worker: requests go through its fetch handler, booking webhooks and
 * follow-ups through its queue handler, and the stall sweep through its scheduled handler, each with the
 * simulated clock set to the step's time.
 */
export class SimulatedFirm {
  /** Requests or cron runs that did not succeed, for the final listing. */
  readonly problems: string[] = [];

  private readonly opportunityIds = new Map<string, string>();
  private readonly meetings = new Map<string, MeetingHandle>();
  private readonly threads = new Map<string, Thread>();
  private emailsSent = 0;
  private readonly recorder = new RecordingQueue();
  /** Binding overrides for every call into the Worker. */
  private readonly env: Record<string, unknown>;
  private delivered = 0;

  constructor(
    readonly firm: SeededFirm,
    private readonly integrations: SimulatedIntegrations,
    private readonly queueMode: QueueMode,
    readonly partner: SimulatedPartner | null = null,
  ) {
    this.env = queueMode === "direct" ? { FOLLOW_UP_QUEUE: this.recorder } : {};
  }

  /** Sets the simulated clock that `new Date()` reads in the Worker code, the queue consumer included. */
  setClock(at: Date) {
    vi.setSystemTime(at);
  }

  /** Runs the scheduled handler (reminders, re-queueing, stall detection) as the cron would at `at`. */
  async runCron(at: Date) {
    this.setClock(at);
    const ctx = createExecutionContext();
    try {
      await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "* * * * *" }), testEnv(this.env), ctx);
      await waitOnExecutionContext(ctx);
    } catch (error) {
      this.problems.push(`cron at ${formatLondon(at)} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Performs one step; returns whether it handed work to the queue, which must finish before the clock moves. */
  async perform(prospect: Prospect, step: ScheduledStep): Promise<boolean> {
    const action = step.action;
    const attendee: Attendee = { name: prospect.name, email: prospect.email };
    const label = `${prospect.key} ${action.kind} on ${formatLondon(step.at)}`;

    switch (action.kind) {
      case "enquire":
        this.check(label, await this.submitEnquiry(prospect, step.at), 201);
        return true;

      case "book": {
        const handle: MeetingHandle = { provider: action.provider, startsAt: momentOf(prospect, action.startsAt), version: 1 };
        this.meetings.set(meetingKey(prospect, action.meeting), handle);
        await this.sendBooking(label, prospect, action.meeting, handle, attendee, step.at, "booked");
        return true;
      }

      case "reschedule": {
        const handle = this.meetingOf(prospect, action.meeting);
        const oldSlot = { startsAt: handle.startsAt, sentAt: step.at };
        const newSlot = { startsAt: momentOf(prospect, action.startsAt), sentAt: step.at };
        handle.version += 1;
        handle.startsAt = newSlot.startsAt;

        if (handle.provider === "calcom") {
          const oldUid = handle.calcomUid!;
          handle.calcomUid = calcomUid(prospect, action.meeting, handle.version);
          const body = calcomBody("BOOKING_RESCHEDULED", handle.calcomUid, attendee, newSlot, { uid: oldUid, startsAt: oldSlot.startsAt });
          this.check(label, await sendCalcom(this.integrations.calcom, body, this.env), 200);
          return true;
        }

        const from = handle.calendly!;
        handle.calendly = calendlyInvitee(`${prospect.key}-${action.meeting}-${handle.version}`);
        const halves = calendlyRescheduleHalves(from, handle.calendly, attendee, oldSlot, newSlot);
        const order = action.calendlyOrder === "create_first" ? [halves.createNew, halves.cancelOld] : [halves.cancelOld, halves.createNew];
        // Each half is processed before the next is sent, so the order the plot names is the order handled.
        this.check(`${label} (first half)`, await sendCalendly(this.integrations.calendly, order[0]!, this.env), 200);
        await this.waitForQueue(`${label} (first half)`);
        this.check(`${label} (second half)`, await sendCalendly(this.integrations.calendly, order[1]!, this.env), 200);
        return true;
      }

      case "cancel": {
        const handle = this.meetingOf(prospect, action.meeting);
        await this.sendBooking(label, prospect, action.meeting, handle, attendee, step.at, "cancelled");
        return true;
      }

      case "meetingEnded": {
        const handle = this.meetingOf(prospect, action.meeting);
        if (handle.provider !== "calcom") throw new Error(`${label}: only Cal.com sends a meeting-ended webhook`);
        const body = calcomBody("MEETING_ENDED", handle.calcomUid!, attendee, { startsAt: handle.startsAt, sentAt: step.at });
        this.check(label, await sendCalcom(this.integrations.calcom, body, this.env), 200);
        return true;
      }

      case "evidence": {
        const id = await this.opportunityIdOf(prospect);
        const body = { type: action.type, source: "practice-system", ...(action.valueMinor !== undefined ? { valueMinor: action.valueMinor } : {}) };
        this.check(label, await this.postWithKey(`/v1/opportunities/${id}/events`, body), 200);
        return false;
      }

      case "override": {
        const id = await this.opportunityIdOf(prospect);
        this.check(label, await this.postWithKey(`/v1/opportunities/${id}/stage`, { stage: action.stage, reason: action.reason }), 200);
        return false;
      }

      case "revive": {
        const id = await this.opportunityIdOf(prospect);
        this.check(label, await this.postWithKey(`/v1/opportunities/${id}/revive`), 200);
        return false;
      }

      case "email":
        await this.sendEmail(label, prospect, action.from, action.outOfOffice ?? false, step.at);
        return true;
    }
  }

  /**
   * Delivers one email of the prospect's thread through the Postmark inbound webhook, as the mail provider
   * would: a partner's email is copied to the opportunity's reply address (the way a firm's mailbox rule or
   * BCC brings it in), and a prospect's email goes to the acknowledgement's Reply-To. Both name the thread's
   * latest Message-ID in In-Reply-To.
   */
  private async sendEmail(label: string, prospect: Prospect, from: "partner" | "prospect", outOfOffice: boolean, at: Date) {
    if (!this.integrations.inbound || !this.partner) throw new Error(`${label}: the simulation has no inbound mail integration or partner`);
    const thread = await this.threadOf(prospect);
    const messageId = `<sim-${prospect.key}-${++this.emailsSent}@${from === "partner" ? "firm" : "prospect"}.example>`;
    const sender = from === "partner" ? { name: this.partner.name, email: this.partner.email } : { name: prospect.name, email: prospect.email };
    const to = from === "partner" ? [{ name: prospect.name, email: prospect.email }] : [{ name: "", email: thread.replyTo }];
    const cc = from === "partner" ? [{ name: "", email: thread.replyTo }] : [];
    const subject = outOfOffice ? `Out of office: Re: ${thread.subject}` : `Re: ${thread.subject}`;
    const text = outOfOffice
      ? "I am out of the office and will reply when I return."
      : from === "partner"
        ? `Dear ${prospect.name}, thank you for getting in touch. I would be glad to help.`
        : "Thank you. Could we speak later this week?";

    const body = postmarkInbound({
      from: sender,
      to,
      cc,
      subject,
      text,
      date: rfc2822(at),
      headers: [
        ["Message-ID", messageId],
        ["In-Reply-To", thread.messageIds.at(-1)!],
        ["References", thread.messageIds.join(" ")],
        ...(outOfOffice ? ([["Auto-Submitted", "auto-replied"]] as Array<[string, string]>) : []),
      ],
    });
    const response = await callApi(
      `/v1/inbound/postmark/${this.integrations.inbound}?token=${INBOUND_TOKEN}`,
      { method: "POST", headers: { "content-type": "application/json" }, body },
      this.env,
    );
    this.check(label, response, 200);
    // People do not reply to an automatic reply, so it does not become the thread's latest message.
    if (!outOfOffice) thread.messageIds.push(messageId);
  }

  /** Starts the prospect's thread from their acknowledgement: its Message-ID and the opportunity's reply address. */
  private async threadOf(prospect: Prospect): Promise<Thread> {
    const known = this.threads.get(prospect.key);
    if (known) return known;
    const id = await this.opportunityIdOf(prospect);
    const db = testDatabase();
    const opportunity = await db.select().from(opportunities).where(and(eq(opportunities.firmId, this.firm.firmId), eq(opportunities.id, id))).get();
    const sent = await db.select().from(outboundMessages).where(and(eq(outboundMessages.firmId, this.firm.firmId), eq(outboundMessages.opportunityId, id)));
    const acknowledgement = sent.find((row) => row.kind === "acknowledgement_email" && row.messageIdHeader);
    if (!opportunity?.replyToken || !acknowledgement) throw new Error(`${prospect.key}: no acknowledgement to reply to`);
    const thread: Thread = {
      replyTo: `reply+${opportunity.replyToken}@${testEnv().INBOUND_EMAIL_DOMAIN as string}`,
      subject: `Your enquiry ${opportunity.reference}`,
      messageIds: [acknowledgement.messageIdHeader!],
    };
    this.threads.set(prospect.key, thread);
    return thread;
  }

  /**
   * Lets the queue consumer finish every follow-up and booking webhook handed to it so far, at the current
   * simulated time, and records a problem if any is left unfinished.
   */
  async waitForQueue(label: string) {
    if (this.queueMode === "direct") await this.deliverRecorded(label);

    // The vitest helper settledMessages measures its timeout with Date.now(), which the simulated clock freezes,
    // so this counts polls instead. In direct mode the first poll finds everything finished.
    for (let poll = 0; poll < QUEUE_POLLS; poll++) {
      const unfinished = await this.unfinishedQueueWork();
      if (unfinished === 0) return;
      if (this.queueMode === "direct") break;
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
    this.problems.push(`${label}: the queue consumer left ${await this.unfinishedQueueWork()} follow-ups or webhooks unfinished`);
  }

  /** Hands recorded messages to the Worker's queue handler until none are left; a retry is a problem. */
  private async deliverRecorded(label: string) {
    while (this.recorder.waiting.length > 0) {
      const bodies = this.recorder.waiting.splice(0, QUEUE_BATCH_SIZE);
      const batch = createMessageBatch<FollowUpMessage>(
        FOLLOW_UP_QUEUE_NAME,
        bodies.map((body) => ({ id: `sim-msg-${++this.delivered}`, timestamp: new Date(), attempts: 1, body })),
      );
      const ctx = createExecutionContext();
      await worker.queue(batch, testEnv(this.env), ctx);
      const result = await getQueueResult(batch, ctx);
      if (result.retryMessages.length > 0) {
        this.problems.push(`${label}: the queue consumer asked to retry ${result.retryMessages.map((retry) => retry.msgId).join(", ")}`);
      }
    }
  }

  private async unfinishedQueueWork(): Promise<number> {
    const db = testDatabase();
    const messages = await db.select({ status: outboundMessages.status }).from(outboundMessages).where(eq(outboundMessages.firmId, this.firm.firmId));
    const webhooks = await db.select({ status: webhookEvents.status }).from(webhookEvents).where(eq(webhookEvents.firmId, this.firm.firmId));
    const sending = messages.filter((row) => row.status === "pending" || row.status === "sending").length;
    return sending + webhooks.filter((row) => row.status === "received").length;
  }

  /** Reads every opportunity of the firm through the list API. */
  async listOpportunities(apiKey = this.firm.apiKey): Promise<ApiOpportunity[]> {
    return this.listAll<ApiOpportunity>("/v1/opportunities", apiKey);
  }

  async listContacts(apiKey = this.firm.apiKey): Promise<Array<{ id: string; email: string | null }>> {
    return this.listAll("/v1/contacts", apiKey);
  }

  async timelineOf(opportunityId: string): Promise<ApiTimelineEntry[]> {
    const response = await getWithKey(`/v1/opportunities/${opportunityId}`, this.firm.apiKey);
    const body = (await response.json()) as { timeline: ApiTimelineEntry[]; timelineTruncated: boolean };
    if (body.timelineTruncated) this.problems.push(`timeline of ${opportunityId} is truncated`);
    return body.timeline;
  }

  /** Finds the prospect's newest opportunity through the contacts and opportunities APIs. */
  async opportunityIdOf(prospect: Prospect): Promise<string> {
    const known = this.opportunityIds.get(prospect.key);
    if (known) return known;

    const contact = (await this.listContacts()).find((entry) => entry.email?.toLowerCase() === prospect.email);
    if (!contact) throw new Error(`${prospect.key}: no contact for ${prospect.email}`);
    const page = await getWithKey(`/v1/opportunities?contactId=${contact.id}&limit=100`, this.firm.apiKey);
    const [newest] = ((await page.json()) as PageOf<ApiOpportunity>).data;
    if (!newest) throw new Error(`${prospect.key}: contact ${contact.id} has no opportunity`);
    this.opportunityIds.set(prospect.key, newest.id);
    return newest.id;
  }

  private async listAll<T>(path: string, apiKey: string): Promise<T[]> {
    const rows: T[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const response = await getWithKey(`${path}${query}`, apiKey);
      const page = (await response.json()) as PageOf<T>;
      rows.push(...page.data);
      cursor = page.nextCursor;
    } while (cursor);
    return rows;
  }

  private async sendBooking(
    label: string,
    prospect: Prospect,
    meeting: string,
    handle: MeetingHandle,
    attendee: Attendee,
    at: Date,
    what: "booked" | "cancelled",
  ) {
    const slot = { startsAt: handle.startsAt, sentAt: at };
    if (handle.provider === "calcom") {
      handle.calcomUid ??= calcomUid(prospect, meeting, handle.version);
      const body = calcomBody(what === "booked" ? "BOOKING_CREATED" : "BOOKING_CANCELLED", handle.calcomUid, attendee, slot);
      this.check(label, await sendCalcom(this.integrations.calcom, body, this.env), 200);
      return;
    }
    handle.calendly ??= calendlyInvitee(`${prospect.key}-${meeting}-${handle.version}`);
    const body = what === "booked" ? calendlyBooked(handle.calendly, attendee, slot) : calendlyCancelled(handle.calendly, attendee, slot);
    this.check(label, await sendCalendly(this.integrations.calendly, body, this.env), 200);
  }

  private meetingOf(prospect: Prospect, meeting: string): MeetingHandle {
    const handle = this.meetings.get(meetingKey(prospect, meeting));
    if (!handle) throw new Error(`${prospect.key}: the plot uses meeting "${meeting}" before booking it`);
    return handle;
  }

  /** Posts the enquiry as the snippet's fetch does (like submitJson), with this simulation's bindings. */
  private submitEnquiry(prospect: Prospect, at: Date): Promise<Response> {
    return callApi(
      `/v1/forms/${this.firm.formKey}/submissions`,
      {
        method: "POST",
        headers: { "content-type": "application/json", origin: "https://www.firm.example" },
        body: JSON.stringify(enquiryBody(prospect, at)),
      },
      this.env,
    );
  }

  private postWithKey(path: string, body?: unknown): Promise<Response> {
    return callApi(path, {
      method: "POST",
      headers: { authorization: `Bearer ${this.firm.apiKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }, this.env);
  }

  private check(label: string, response: Response, expectedStatus: number) {
    if (response.status === expectedStatus) return;
    this.problems.push(`${label}: expected HTTP ${expectedStatus}, got ${response.status}`);
  }
}

function meetingKey(prospect: Prospect, meeting: string): string {
  return `${prospect.key}:${meeting}`;
}

function calcomUid(prospect: Prospect, meeting: string, version: number): string {
  return `sim-${prospect.key}-${meeting}-${version}`;
}

/** Builds the snippet's JSON body for the prospect's enquiry, with their first touch when they brought one. */
function enquiryBody(prospect: Prospect, at: Date) {
  const touch = prospect.source.firstTouch ? { ...prospect.source.firstTouch, landingPage: "https://www.firm.example/contact", at: at.toISOString() } : null;
  return {
    submissionId: `sim-${prospect.key}-enquiry`,
    fields: {
      name: prospect.name,
      email: prospect.email,
      ...(prospect.service.formValue ? { service: prospect.service.formValue } : {}),
      message: "Hello, I would like to talk to someone about my situation.",
    },
    ...(touch ? { attribution: { firstTouch: touch, lastTouch: touch } } : {}),
    pageUrl: "https://www.firm.example/contact",
  };
}
