import {
  createDatabase,
  deleteCountersBefore,
  findUnqueuedMessages,
  findWaitingWebhookEvents,
  markMessagesQueued,
  type Database,
} from "@plumbline/db";
import type { AppEnv } from "../env";
import { runReminderSweep } from "./reminders";
import { runStallSweep } from "./stalls";
import type { Logger } from "../logger";

/** Owed messages written at least this long ago without reaching the queue are queued again by the cron. */
const REQUEUE_AFTER_MS = 2 * 60 * 1000;
/** Queues' sendBatch takes at most 100 messages. */
const REQUEUE_BATCH = 100;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The once-a-minute sweep: re-queues follow-ups that never reached the queue or got stuck, sends task reminders
 * and escalations, and drops old rate-limit windows.
 */
export async function runSweep(env: AppEnv, logger: Logger, now: Date): Promise<void> {
  const db = createDatabase(env.DB);
  // Each step logs its own failure and the next still runs, so one broken step cannot stall the others.
  const steps: Array<[string, () => Promise<void>]> = [
    ["requeue_unqueued", () => requeueUnqueued(env, db, logger, now)],
    ["task_reminders", () => runReminderSweep(env, db, logger, now)],
    ["stall_detection", () => runStallSweep(db, logger, now)],
    ["requeue_webhooks", () => requeueWaitingWebhooks(env, db, logger, now)],
    ["delete_rate_limit_windows", () => deleteCountersBefore(db, new Date(now.getTime() - DAY_MS))],
  ];

  let failures = 0;
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (error) {
      failures++;
      logger.error("sweep.step_failed", error, { step: name });
    }
  }
  if (failures > 0) throw new Error(`${failures} sweep step(s) failed; see the sweep.step_failed log lines`);
}

async function requeueUnqueued(env: AppEnv, db: Database, logger: Logger, now: Date): Promise<void> {
  const unqueued = await findUnqueuedMessages(db, new Date(now.getTime() - REQUEUE_AFTER_MS), REQUEUE_BATCH);
  if (unqueued.length === 0) return;

  await env.FOLLOW_UP_QUEUE.sendBatch(
    unqueued.map((row) => ({ body: { kind: "outbound" as const, outboundMessageId: row.id, firmId: row.firmId } })),
  );
  const byFirm = Map.groupBy(unqueued, (row) => row.firmId);
  for (const [firmId, rows] of byFirm) {
    await markMessagesQueued(db, firmId, rows.map((row) => row.id), now);
  }
  logger.info("sweep.requeued", { count: unqueued.length });
}

/** Queues stored webhooks that have waited two minutes or more, because their queue message was never sent or was lost. */
async function requeueWaitingWebhooks(env: AppEnv, db: Database, logger: Logger, now: Date): Promise<void> {
  const waiting = await findWaitingWebhookEvents(db, new Date(now.getTime() - REQUEUE_AFTER_MS), REQUEUE_BATCH);
  const withFirm = waiting.filter((row): row is { id: string; firmId: string } => row.firmId !== null);
  if (withFirm.length === 0) return;
  await env.FOLLOW_UP_QUEUE.sendBatch(withFirm.map((row) => ({ body: { kind: "webhook" as const, webhookEventId: row.id, firmId: row.firmId } })));
  logger.info("sweep.webhooks_requeued", { count: withFirm.length });
}
