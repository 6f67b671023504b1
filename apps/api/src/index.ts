import { createApp } from "./app";
import { runSweep } from "./cron/sweep";
import { parseEnv, type FollowUpMessage } from "./env";
import { createLogger } from "./logger";
import { handleIncomingEmail } from "./mail-capture/email-worker";
import { consumeDeadLetters, consumeFollowUps } from "./queue/follow-up";

const app = createApp();
const DEAD_LETTER_QUEUE = "plumbline-follow-up-dlq";

export default {
  fetch: app.fetch,

  async queue(batch, env, ctx) {
    void ctx;
    const logger = createLogger({ queue: batch.queue });
    const appEnv = parseEnv(env);
    if (batch.queue === DEAD_LETTER_QUEUE) await consumeDeadLetters(batch, appEnv, logger);
    else await consumeFollowUps(batch, appEnv, logger);
  },

  async email(message, env, ctx) {
    void ctx;
    const logger = createLogger({ handler: "email" });
    await handleIncomingEmail(message, parseEnv(env), logger);
  },

  async scheduled(controller, env, ctx) {
    const logger = createLogger({ cron: controller.cron });
    const appEnv = parseEnv(env);
    void ctx;
    await runSweep(appEnv, logger, new Date(controller.scheduledTime));
  },
} satisfies ExportedHandler<Record<string, unknown>, FollowUpMessage>;
