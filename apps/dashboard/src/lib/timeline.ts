import type { Activity } from "./api-types";
import { formatDateTime, stageLabel } from "./format";
import { providerName } from "./providers";

/** One timeline entry as the opportunity page shows it. */
export interface TimelineEntry {
  id: string;
  at: string;
  title: string;
  /** Lines of detail under the title, such as the stage receipt or an email's first lines. */
  details: string[];
  tone: "normal" | "success" | "danger" | "warning";
}

const MESSAGE_KINDS: Record<string, string> = {
  acknowledgement_email: "Acknowledgement email",
  partner_alert: "Partner alert",
  task_reminder: "Task reminder",
  task_escalation: "Task escalation",
  meeting_notice: "Meeting notice",
};

const FIXED_TITLES: Record<string, string> = {
  "enquiry.received": "Enquiry received",
  "stage.changed": "Stage changed",
  "stage.override": "Stage confirmed by hand",
  "task.completed": "Task completed",
  "task.reassigned": "Task reassigned",
  "owner.changed": "Owner changed",
  "opportunity.stalled": "Flagged as stalled",
  "email.received": "Email from the prospect",
  "email.replied": "Reply sent to the prospect",
  "email.forwarded_enquiry": "Enquiry forwarded by email",
  "email.filed": "Email filed by hand",
  "email.delivered": "Email delivered",
  "email.bounced": "Email bounced",
  "email.deferred": "Email delivery deferred",
  "email.opened": "Email opened",
  "email.clicked": "Link in email clicked",
  "email.unsubscribed": "Prospect unsubscribed",
  "email.complained": "Prospect marked the email as spam",
  "meeting.booked": "Meeting booked",
  "meeting.rescheduled": "Meeting rescheduled",
  "meeting.cancelled": "Meeting cancelled",
  "meeting.held": "Meeting held",
};

const DANGER_TYPES = new Set(["email.bounced", "email.complained"]);

function text(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

/** Words a delivery outcome such as `acknowledgement_email.failed`, with the provider's reason when it failed. */
function describeDelivery(activity: Activity, kind: string, outcome: string): Pick<TimelineEntry, "title" | "tone" | "details"> {
  const what = MESSAGE_KINDS[kind] ?? kind.replace(/_/g, " ");
  const via = providerName(text(activity.data.provider) ?? activity.origin, text(activity.data.channel));
  const reason = text(activity.data.reason);
  if (outcome === "sent") return { title: `${what} sent`, tone: "success", details: [`Sent through ${via}.`] };
  if (outcome === "failed") return { title: `${what} failed`, tone: "danger", details: [reason ? `Reason: ${reason}.` : "The provider gave no reason.", `Attempts: ${String(activity.data.attempts ?? "")}.`] };
  return { title: `${what} not sent`, tone: "warning", details: reason ? [`Reason: ${reason}.`] : [] };
}

/** Words who took over from whom, and why, for an owner change or a reassigned task. */
function describeHandover(data: Record<string, unknown>): string {
  const from = text(data.fromName) ?? "a former member";
  const to = text(data.toName);
  const why = data.reason === "member_removed" ? `, because ${from} was removed from the firm` : "";
  return to ? `${to} takes over from ${from}${why}.` : `Unassigned from ${from}${why}.`;
}

function describeDetails(activity: Activity, timeZone: string): string[] {
  const data = activity.data;
  switch (activity.type) {
    case "enquiry.received":
      return [text(data.formName) ? `Through ${String(data.formName)}.` : null, text(data.message)].filter((line): line is string => line !== null);
    case "stage.changed": {
      const lines = [`${stageLabel(String(data.from ?? ""))} → ${stageLabel(String(data.to ?? ""))}`];
      const receipt = [text(data.event) ? `Evidence: ${String(data.event).replace(/_/g, " ")}` : null, text(data.source) ? `source: ${String(data.source)}` : null].filter(Boolean).join(", ");
      if (receipt) lines.push(`${receipt}.`);
      if (text(data.reason)) lines.push(`Reason: ${String(data.reason)}`);
      return lines;
    }
    case "stage.override":
      return [`Kept at ${stageLabel(String(data.stage ?? ""))}.`, text(data.reason) ? `Reason: ${String(data.reason)}` : null].filter((line): line is string => line !== null);
    case "task.completed":
      return [text(data.title)].filter((line): line is string => line !== null);
    case "task.reassigned":
    case "owner.changed":
      return [text(data.title), describeHandover(data)].filter((line): line is string => line !== null);
    case "opportunity.stalled":
      return [text(data.reason) ? `Reason: ${String(data.reason).replace(/_/g, " ")}.` : null].filter((line): line is string => line !== null);
    default:
      break;
  }
  if (activity.type.startsWith("email.")) {
    return [text(data.subject) ? `Subject: ${String(data.subject)}` : null, text(data.replyText)].filter((line): line is string => line !== null);
  }
  if (activity.type.startsWith("meeting.")) {
    return [
      text(data.title),
      text(data.startsAt) ? `Starts ${formatDateTime(String(data.startsAt), timeZone)}.` : null,
      text(data.previousStartsAt) ? `Was ${formatDateTime(String(data.previousStartsAt), timeZone)}.` : null,
      text(data.cancellationReason) ? `Reason: ${String(data.cancellationReason)}` : null,
    ].filter((line): line is string => line !== null);
  }
  return [];
}

/** Turns the API's timeline into entries to show, newest first. */
export function describeTimeline(activities: Activity[], timeZone: string): TimelineEntry[] {
  return activities
    .map((activity) => {
      const delivery = /^([a-z_]+)\.(sent|failed|skipped)$/.exec(activity.type);
      if (delivery && !activity.type.startsWith("email.")) {
        return { id: activity.id, at: activity.occurredAt, ...describeDelivery(activity, delivery[1]!, delivery[2]!) };
      }
      const title = FIXED_TITLES[activity.type] ?? activity.type.replace(/[._]/g, " ");
      let tone: TimelineEntry["tone"] = "normal";
      if (DANGER_TYPES.has(activity.type)) tone = "danger";
      else if (activity.type === "opportunity.stalled") tone = "warning";
      return { id: activity.id, at: activity.occurredAt, title, tone, details: describeDetails(activity, timeZone) };
    })
    .reverse();
}
