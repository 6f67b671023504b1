import { escapeHtml, formatForFirm } from "@plumbline/core";
import { findDefaultIntegration, findFirmById, findUser, type OutboundMessage } from "@plumbline/db";
import { z } from "zod";
import { opportunityUrl } from "../lib/dashboard-links";
import type { DeliveryContext } from "./deliver";
import { sendEmail } from "./mail";
import type { DeliveryResult } from "./outcome";

/** Data the cron writes on a reminder or escalation message: its recipient and its task, or several for a digest. */
export const taskNoticeDataSchema = z.object({
  recipientUserId: z.string(),
  tasks: z.array(z.object({ taskId: z.string(), title: z.string(), dueAt: z.string(), opportunityId: z.string().nullable() })).min(1),
});

/** Emails a reminder to a task's assignee, or an escalation to the firm's escalation contact. */
export async function deliverTaskNotice(context: DeliveryContext, row: OutboundMessage): Promise<DeliveryResult> {
  const parsed = taskNoticeDataSchema.safeParse(row.data);
  if (!parsed.success) return { kind: "failed", reason: "task notice has no recipient or tasks" };
  const { recipientUserId, tasks } = parsed.data;

  const [recipient, firm] = await Promise.all([findUser(context.db, recipientUserId), findFirmById(context.db, row.firmId)]);
  if (!recipient || !firm) return { kind: "failed", reason: "recipient or firm not found" };

  const escalation = row.kind === "task_escalation";
  const zone = safeZone(firm.timeZone);
  const lines = tasks.map((task) => {
    const link = task.opportunityId ? ` ${opportunityUrl(context.env.DASHBOARD_URL, row.firmId, task.opportunityId)}` : "";
    return `- ${task.title}, due ${formatForFirm(new Date(task.dueAt), zone)}${link}`;
  });
  const subject = escalation
    ? `Escalation: ${tasks.length === 1 ? tasks[0]!.title : `${tasks.length} overdue tasks`}`
    : `Reminder: ${tasks.length === 1 ? tasks[0]!.title : `${tasks.length} tasks are overdue`}`;
  const intro = escalation
    ? "These tasks are still open after their reminders, so they are escalated to you:"
    : "These tasks are due and still open:";
  const text = `${intro}\n\n${lines.join("\n")}\n`;
  const html = `<p>${escapeHtml(intro)}</p><ul>${lines.map((line) => `<li>${escapeHtml(line.slice(2))}</li>`).join("")}</ul>`;

  const integration = await findDefaultIntegration(context.db, row.firmId, "mail");
  return sendEmail(context, row, integration, {
    from: { email: firm.senderEmail ?? `no-reply@${context.env.MESSAGE_ID_DOMAIN}`, name: "Plumbline" },
    to: { email: recipient.email, name: recipient.name },
    subject,
    text,
    html,
    messageId: `<${row.id}@${context.env.MESSAGE_ID_DOMAIN}>`,
    idempotencyKey: row.id,
    metadata: { outboundMessageId: row.id, firmId: row.firmId },
  });
}

/** Returns the firm's time zone, or London when the stored one is not valid, so a notice still goes out. */
function safeZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat("en-GB", { timeZone });
    return timeZone;
  } catch {
    return "Europe/London";
  }
}
