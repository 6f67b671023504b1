import { newId } from "@plumbline/core";
import { outboundMessages, rateLimitCounters } from "@plumbline/db";
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
  type MessageBatchMessage,
} from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EnvError, type FollowUpMessage } from "../../apps/api/src/env";
import worker from "../../apps/api/src/index";
import { errorOf, submitJson, testEnv } from "../support/api";
import { messagesOf } from "../support/rows";
import { seedTwoFirms, testDatabase, type SeededFirm } from "../support/seed";

const FOLLOW_UP_QUEUE = "plumbline-follow-up";
const DEAD_LETTER_QUEUE = "plumbline-follow-up-dlq";
const MINUTE_MS = 60 * 1000;

afterEach(() => {
  vi.restoreAllMocks();
});

/** Builds the test env without the named bindings, as when wrangler.toml or a secret lacks them. */
function envWithout(...names: string[]): Record<string, unknown> {
  const env = testEnv();
  for (const name of names) delete env[name];
  return env;
}

async function fetchWithEnv(path: string, env: Record<string, unknown>, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(new URL(path, "https://api.plumbline.test"), init), env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** Builds a D1 stand-in whose every query fails, as in a D1 outage. It has the methods parseEnv checks for. */
function failingDatabase(): D1Database {
  const fail = () => {
    throw new Error("D1 is unavailable");
  };
  return { prepare: fail, batch: fail, exec: fail } as unknown as D1Database;
}

function followUp(id: string, body: FollowUpMessage, attempts = 1): MessageBatchMessage<FollowUpMessage> {
  return { id, timestamp: new Date(), attempts, body };
}

async function runQueue(queue: string, messages: MessageBatchMessage<FollowUpMessage>[], env: Record<string, unknown> = testEnv()) {
  const batch = createMessageBatch<FollowUpMessage>(queue, messages);
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

async function runSweep(scheduledTime: Date, env: Record<string, unknown> = testEnv()): Promise<void> {
  const controller = createScheduledController({ scheduledTime, cron: "* * * * *" });
  const ctx = createExecutionContext();
  await worker.scheduled(controller, env, ctx);
  await waitOnExecutionContext(ctx);
}

/** Lines the Worker's logger wrote to one console method, parsed back from JSON. */
function loggedEvents(spy: { mock: { calls: unknown[][] } }): Array<Record<string, unknown>> {
  return spy.mock.calls.map((call) => JSON.parse(String(call[0])) as Record<string, unknown>);
}

/** Inserts an owed message straight into the outbox, as if the send after the enquiry had never happened. */
async function insertOutboundMessage(
  firm: SeededFirm,
  values: { createdAt: Date; queuedAt?: Date | null; status?: "pending" | "skipped" },
): Promise<string> {
  const id = newId("msg", values.createdAt.getTime());
  await testDatabase()
    .insert(outboundMessages)
    .values({
      id,
      firmId: firm.firmId,
      kind: "partner_alert",
      channel: "chat",
      status: values.status ?? "pending",
      data: {},
      queuedAt: values.queuedAt ?? null,
      createdAt: values.createdAt,
      updatedAt: values.createdAt,
    });
  return id;
}

async function queuedAtOf(id: string): Promise<Date | null | undefined> {
  const row = await testDatabase().select({ queuedAt: outboundMessages.queuedAt }).from(outboundMessages).where(eq(outboundMessages.id, id)).get();
  return row?.queuedAt;
}

describe("fetch with a bad env", () => {
  it("missing ENCRYPTION_KEY is misconfigured", async () => {
    const response = await fetchWithEnv("/health", envWithout("ENCRYPTION_KEY"));

    expect(response.status).toBe(500);
    expect((await errorOf(response)).code).toBe("misconfigured");
  });

  it("message names ENCRYPTION_KEY", async () => {
    const response = await fetchWithEnv("/health", envWithout("ENCRYPTION_KEY"));

    expect((await errorOf(response)).message).toContain("ENCRYPTION_KEY");
  });

  it("error envelope carries the request id", async () => {
    const response = await fetchWithEnv("/health", envWithout("ENCRYPTION_KEY"));
    const error = await errorOf(response);

    expect(error.requestId).toEqual(expect.any(String));
    expect(error.requestId).toBe(response.headers.get("x-request-id"));
  });

  it("wrong-size ENCRYPTION_KEY is misconfigured", async () => {
    const response = await fetchWithEnv("/health", testEnv({ ENCRYPTION_KEY: btoa("sixteen byte key") }));
    const error = await errorOf(response);

    expect(response.status).toBe(500);
    expect(error.code).toBe("misconfigured");
    expect(error.message).toContain("ENCRYPTION_KEY must be 32 bytes");
  });

  it("message never contains the secret", async () => {
    const wrongKey = btoa("a secret that is the wrong size");
    const response = await fetchWithEnv("/health", testEnv({ ENCRYPTION_KEY: wrongKey }));

    expect(await response.text()).not.toContain(wrongKey);
  });

  it("missing DB binding is misconfigured", async () => {
    const response = await fetchWithEnv("/health", envWithout("DB"));
    const error = await errorOf(response);

    expect(response.status).toBe(500);
    expect(error.code).toBe("misconfigured");
    expect(error.message).toContain("DB (D1) binding is missing");
  });

  it("DB without D1 methods is misconfigured", async () => {
    const response = await fetchWithEnv("/health", testEnv({ DB: { name: "not a database" } }));
    const error = await errorOf(response);

    expect(response.status).toBe(500);
    expect(error.message).toContain("DB (D1) binding is missing");
  });

  it("missing queue binding is misconfigured", async () => {
    const response = await fetchWithEnv("/health", envWithout("FOLLOW_UP_QUEUE"));
    const error = await errorOf(response);

    expect(response.status).toBe(500);
    expect(error.message).toContain("FOLLOW_UP_QUEUE");
  });

  it("every problem is named", async () => {
    const response = await fetchWithEnv("/health", envWithout("DB", "ENCRYPTION_KEY", "CLIENT_HASH_KEY"));
    const message = (await errorOf(response)).message;

    expect(message).toContain("DB");
    expect(message).toContain("ENCRYPTION_KEY");
    expect(message).toContain("CLIENT_HASH_KEY");
  });

  it("API routes are misconfigured too", async () => {
    const [firm] = await seedTwoFirms();
    const response = await fetchWithEnv("/v1/contacts", envWithout("ENCRYPTION_KEY"), { headers: { authorization: `Bearer ${firm.apiKey}` } });

    expect(response.status).toBe(500);
    expect((await errorOf(response)).code).toBe("misconfigured");
  });

  it("good env answers health", async () => {
    const response = await fetchWithEnv("/health", testEnv());

    expect(response.status).toBe(200);
  });
});

describe("queue and scheduled with a bad env", () => {
  it("queue rejects with EnvError", async () => {
    const batch = createMessageBatch<FollowUpMessage>(FOLLOW_UP_QUEUE, [followUp("m1", { kind: "outbound", outboundMessageId: "msg_x", firmId: "firm_x" })]);

    await expect(worker.queue(batch, envWithout("DB"), createExecutionContext())).rejects.toBeInstanceOf(EnvError);
  });

  it("queue error names the binding", async () => {
    const batch = createMessageBatch<FollowUpMessage>(FOLLOW_UP_QUEUE, [followUp("m1", { kind: "outbound", outboundMessageId: "msg_x", firmId: "firm_x" })]);

    await expect(worker.queue(batch, envWithout("DB"), createExecutionContext())).rejects.toThrow("DB (D1) binding is missing");
  });

  it("dead-letter queue rejects with EnvError", async () => {
    const batch = createMessageBatch<FollowUpMessage>(DEAD_LETTER_QUEUE, [followUp("m1", { kind: "outbound", outboundMessageId: "msg_x", firmId: "firm_x" })]);

    await expect(worker.queue(batch, envWithout("ENCRYPTION_KEY"), createExecutionContext())).rejects.toThrow(EnvError);
  });

  it("scheduled rejects with EnvError", async () => {
    await expect(
      worker.scheduled(createScheduledController({ scheduledTime: new Date() }), envWithout("FOLLOW_UP_QUEUE"), createExecutionContext()),
    ).rejects.toBeInstanceOf(EnvError);
  });

  it("scheduled error names the binding", async () => {
    await expect(
      worker.scheduled(createScheduledController({ scheduledTime: new Date() }), envWithout("FOLLOW_UP_QUEUE"), createExecutionContext()),
    ).rejects.toThrow("FOLLOW_UP_QUEUE (Queue producer) binding is missing");
  });
});

describe("owed messages after an enquiry", () => {
  it("email enquiry owes two messages", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Owed Two", email: "owed.two@example.com" } });

    const messages = await messagesOf(firm.firmId);

    expect(messages.map((message) => `${message.kind}/${message.channel}`).sort()).toEqual(["acknowledgement_email/email", "partner_alert/chat"]);
  });

  it("both messages are pending", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Owed Pending", email: "owed.pending@example.com" } });

    const messages = await messagesOf(firm.firmId);

    expect(messages.map((message) => message.status)).toEqual(["pending", "pending"]);
  });

  it("both messages are marked queued", async () => {
    const [firm] = await seedTwoFirms();
    const before = Date.now();
    await submitJson(firm.formKey, { fields: { name: "Owed Queued", email: "owed.queued@example.com" } });

    const messages = await messagesOf(firm.firmId);

    for (const message of messages) {
      expect(message.queuedAt).toBeInstanceOf(Date);
      expect(message.queuedAt!.getTime()).toBeGreaterThanOrEqual(before);
    }
  });

  it("acknowledgement goes to the normalised address", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Owed Address", email: "Owed.Address@BÜCHER.example" } });

    const acknowledgement = (await messagesOf(firm.firmId)).find((message) => message.kind === "acknowledgement_email");

    expect(acknowledgement?.recipient).toBe("owed.address@xn--bcher-kva.example");
  });

  it("phone-only acknowledgement is skipped", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Phone Only", phone: "07911 123123" } });

    const acknowledgement = (await messagesOf(firm.firmId)).find((message) => message.kind === "acknowledgement_email");

    expect(acknowledgement?.status).toBe("skipped");
    expect(acknowledgement?.statusReason).toBe("no address");
    expect(acknowledgement?.queuedAt).toBeNull();
  });

  it("phone-only alert is still queued", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Phone Alert", phone: "07911 123124" } });

    const alert = (await messagesOf(firm.firmId)).find((message) => message.kind === "partner_alert");

    expect(alert?.status).toBe("pending");
    expect(alert?.queuedAt).toBeInstanceOf(Date);
  });

  it("other firm owes nothing", async () => {
    const [firm, other] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Only Mine", email: "only.mine@example.com" } });

    expect(await messagesOf(other.firmId)).toEqual([]);
  });
});

describe("follow-up queue consumer", () => {
  it("existing row is acked", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Consumer Row", email: "consumer.row@example.com" } });
    const [row] = await messagesOf(firm.firmId);

    const result = await runQueue(FOLLOW_UP_QUEUE, [followUp("delivery-1", { kind: "outbound", outboundMessageId: row!.id, firmId: firm.firmId })]);

    expect(result.explicitAcks).toEqual(["delivery-1"]);
    expect(result.retryMessages).toEqual([]);
    expect(result.retryBatch.retry).toBe(false);
  });

  it("existing row ends up sent", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Consumer Log", email: "consumer.log@example.com" } });
    const [row] = await messagesOf(firm.firmId);

    // The test runtime's own consumer may get there first; either way the row is sent exactly once.
    await runQueue(FOLLOW_UP_QUEUE, [followUp("delivery-2", { kind: "outbound", outboundMessageId: row!.id, firmId: firm.firmId })]);

    const after = (await messagesOf(firm.firmId)).find((message) => message.id === row!.id);
    expect(after?.status).toBe("sent");
    expect(after?.provider).toBe("local");
    expect(after?.attempts).toBe(1);
  });

  it("missing row is acked", async () => {
    const [firm] = await seedTwoFirms();

    const result = await runQueue(FOLLOW_UP_QUEUE, [followUp("delivery-3", { kind: "outbound", outboundMessageId: "msg_doesnotexist", firmId: firm.firmId })]);

    expect(result.explicitAcks).toEqual(["delivery-3"]);
    expect(result.retryMessages).toEqual([]);
  });

  it("missing row is logged as missing", async () => {
    const [firm] = await seedTwoFirms();
    const warn = vi.spyOn(console, "warn");
    const info = vi.spyOn(console, "log");

    await runQueue(FOLLOW_UP_QUEUE, [followUp("delivery-4", { kind: "outbound", outboundMessageId: "msg_doesnotexist", firmId: firm.firmId })]);

    expect(loggedEvents(warn).length + loggedEvents(info).length).toBeGreaterThan(0);
    expect(loggedEvents(info)).toContainEqual(expect.objectContaining({ event: "follow_up.nothing_to_claim", outboundMessageId: "msg_doesnotexist" }));
  });

  it("other firm's row counts as missing", async () => {
    const [firm, other] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Cross Queue", email: "cross.queue@example.com" } });
    const [row] = await messagesOf(firm.firmId);
    const info = vi.spyOn(console, "log");

    const result = await runQueue(FOLLOW_UP_QUEUE, [followUp("delivery-5", { kind: "outbound", outboundMessageId: row!.id, firmId: other.firmId })]);

    expect(result.explicitAcks).toEqual(["delivery-5"]);
    expect(loggedEvents(info)).toContainEqual(
      expect.objectContaining({ event: "follow_up.nothing_to_claim", outboundMessageId: row!.id, firmId: other.firmId }),
    );
  });

  it("every message in a batch is acked", async () => {
    const [firm] = await seedTwoFirms();
    await submitJson(firm.formKey, { fields: { name: "Batch Acks", email: "batch.acks@example.com" } });
    const rows = await messagesOf(firm.firmId);
    const messages = [
      ...rows.map((row, i) => followUp(`batch-${i}`, { kind: "outbound", outboundMessageId: row.id, firmId: firm.firmId })),
      followUp("batch-missing", { kind: "outbound", outboundMessageId: "msg_gone", firmId: firm.firmId }),
    ];

    const result = await runQueue(FOLLOW_UP_QUEUE, messages);

    expect([...result.explicitAcks].sort()).toEqual(["batch-0", "batch-1", "batch-missing"]);
  });

  it("failed lookup is retried, not acked", async () => {
    const [firm] = await seedTwoFirms();
    vi.spyOn(console, "error").mockImplementation(() => {});

    const result = await runQueue(
      FOLLOW_UP_QUEUE,
      [followUp("delivery-6", { kind: "outbound", outboundMessageId: "msg_any", firmId: firm.firmId }, 1)],
      testEnv({ DB: failingDatabase() }),
    );

    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((retry) => retry.msgId)).toEqual(["delivery-6"]);
  });

  it.each([
    { attempts: 1, delaySeconds: 20 },
    { attempts: 3, delaySeconds: 80 },
    { attempts: 8, delaySeconds: 2560 },
    { attempts: 9, delaySeconds: 3600 },
    { attempts: 12, delaySeconds: 3600 },
  ])("attempt $attempts retries after $delaySeconds s", async ({ attempts, delaySeconds }) => {
    const [firm] = await seedTwoFirms();
    vi.spyOn(console, "error").mockImplementation(() => {});
    const batch = createMessageBatch<FollowUpMessage>(FOLLOW_UP_QUEUE, [
      followUp("delivery-7", { kind: "outbound", outboundMessageId: "msg_any", firmId: firm.firmId }, attempts),
    ]);
    // getQueueResult reports which messages were retried but not their delay, so the call itself is watched.
    const retry = vi.spyOn(batch.messages[0]!, "retry");

    await worker.queue(batch, testEnv({ DB: failingDatabase() }), createExecutionContext());

    expect(retry).toHaveBeenCalledWith({ delaySeconds });
  });

  it("failed lookup is logged", async () => {
    const [firm] = await seedTwoFirms();
    const error = vi.spyOn(console, "error").mockImplementation(() => {});

    await runQueue(
      FOLLOW_UP_QUEUE,
      [followUp("delivery-9", { kind: "outbound", outboundMessageId: "msg_logged", firmId: firm.firmId })],
      testEnv({ DB: failingDatabase() }),
    );

    expect(loggedEvents(error)).toContainEqual(
      expect.objectContaining({ event: "follow_up.failed", outboundMessageId: "msg_logged", errorMessage: "D1 is unavailable" }),
    );
  });
});

describe("dead-letter queue consumer", () => {
  it("every message is acked", async () => {
    const [firm] = await seedTwoFirms();
    vi.spyOn(console, "error").mockImplementation(() => {});

    const result = await runQueue(DEAD_LETTER_QUEUE, [
      followUp("dead-1", { kind: "outbound", outboundMessageId: "msg_dead_1", firmId: firm.firmId }, 9),
      followUp("dead-2", { kind: "outbound", outboundMessageId: "msg_dead_2", firmId: firm.firmId }, 9),
    ]);

    expect([...result.explicitAcks].sort()).toEqual(["dead-1", "dead-2"]);
    expect(result.retryMessages).toEqual([]);
  });

  it("each dead letter is logged", async () => {
    const [firm] = await seedTwoFirms();
    const error = vi.spyOn(console, "error").mockImplementation(() => {});

    await runQueue(DEAD_LETTER_QUEUE, [followUp("dead-3", { kind: "outbound", outboundMessageId: "msg_dead_3", firmId: firm.firmId }, 9)]);

    expect(loggedEvents(error)).toContainEqual(
      expect.objectContaining({ event: "follow_up.dead_letter", outboundMessageId: "msg_dead_3", firmId: firm.firmId }),
    );
  });

  it("retries when D1 cannot record it", async () => {
    const [firm] = await seedTwoFirms();
    vi.spyOn(console, "error").mockImplementation(() => {});

    const result = await runQueue(
      DEAD_LETTER_QUEUE,
      [followUp("dead-4", { kind: "outbound", outboundMessageId: "msg_dead_4", firmId: firm.firmId }, 9)],
      testEnv({ DB: failingDatabase() }),
    );

    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((retry) => retry.msgId)).toEqual(["dead-4"]);
  });

  it("marks the row failed", async () => {
    const [firm] = await seedTwoFirms();
    vi.spyOn(console, "error").mockImplementation(() => {});
    const id = await insertOutboundMessage(firm, { createdAt: new Date(), queuedAt: new Date() });

    await runQueue(DEAD_LETTER_QUEUE, [followUp("dead-5", { kind: "outbound", outboundMessageId: id, firmId: firm.firmId }, 9)]);

    const row = (await messagesOf(firm.firmId)).find((message) => message.id === id);
    expect(row?.status).toBe("failed");
    expect(row?.statusReason).toBe("retries exhausted");
  });
});

describe("cron sweep", () => {
  it("old unqueued row is queued", async () => {
    const [firm] = await seedTwoFirms();
    const now = new Date();
    const id = await insertOutboundMessage(firm, { createdAt: new Date(now.getTime() - 5 * MINUTE_MS) });

    await runSweep(now);

    expect(await queuedAtOf(id)).toEqual(now);
  });

  it("sweep sends the row's id and firm", async () => {
    const [firm] = await seedTwoFirms();
    const now = new Date();
    const id = await insertOutboundMessage(firm, { createdAt: new Date(now.getTime() - 5 * MINUTE_MS) });
    const sent: Array<{ body: FollowUpMessage }> = [];
    const queue = {
      send: async (body: FollowUpMessage) => void sent.push({ body }),
      sendBatch: async (messages: Array<{ body: FollowUpMessage }>) => void sent.push(...messages),
    };

    await runSweep(now, testEnv({ FOLLOW_UP_QUEUE: queue }));

    expect(sent.map((message) => message.body)).toContainEqual({ kind: "outbound", outboundMessageId: id, firmId: firm.firmId });
  });

  it("already queued row is left alone", async () => {
    const [firm] = await seedTwoFirms();
    const now = new Date();
    const queuedAt = new Date(now.getTime() - 9 * MINUTE_MS);
    const id = await insertOutboundMessage(firm, { createdAt: new Date(now.getTime() - 10 * MINUTE_MS), queuedAt });

    await runSweep(now);

    expect(await queuedAtOf(id)).toEqual(queuedAt);
  });

  it("already queued row is not sent", async () => {
    const [firm] = await seedTwoFirms();
    const now = new Date();
    const id = await insertOutboundMessage(firm, {
      createdAt: new Date(now.getTime() - 10 * MINUTE_MS),
      queuedAt: new Date(now.getTime() - 9 * MINUTE_MS),
    });
    const sent: Array<{ body: FollowUpMessage }> = [];
    const queue = {
      send: async (body: FollowUpMessage) => void sent.push({ body }),
      sendBatch: async (messages: Array<{ body: FollowUpMessage }>) => void sent.push(...messages),
    };

    await runSweep(now, testEnv({ FOLLOW_UP_QUEUE: queue }));

    expect(sent.map((message) => ("outboundMessageId" in message.body ? message.body.outboundMessageId : null))).not.toContain(id);
  });

  it("row under two minutes old waits", async () => {
    const [firm] = await seedTwoFirms();
    const now = new Date();
    const id = await insertOutboundMessage(firm, { createdAt: new Date(now.getTime() - 1 * MINUTE_MS) });

    await runSweep(now);

    expect(await queuedAtOf(id)).toBeNull();
  });

  it("skipped row is never queued", async () => {
    const [firm] = await seedTwoFirms();
    const now = new Date();
    const id = await insertOutboundMessage(firm, { createdAt: new Date(now.getTime() - 5 * MINUTE_MS), status: "skipped" });

    await runSweep(now);

    expect(await queuedAtOf(id)).toBeNull();
  });

  it("rows of both firms are queued", async () => {
    const [firm, other] = await seedTwoFirms();
    const now = new Date();
    const firmRow = await insertOutboundMessage(firm, { createdAt: new Date(now.getTime() - 5 * MINUTE_MS) });
    const otherRow = await insertOutboundMessage(other, { createdAt: new Date(now.getTime() - 4 * MINUTE_MS) });

    await runSweep(now);

    expect(await queuedAtOf(firmRow)).toEqual(now);
    expect(await queuedAtOf(otherRow)).toEqual(now);
  });

  it("day-old rate-limit windows are deleted", async () => {
    await seedTwoFirms();
    const now = new Date();
    const oldKey = `test-sweep-old-${crypto.randomUUID()}`;
    const recentKey = `test-sweep-recent-${crypto.randomUUID()}`;
    await testDatabase()
      .insert(rateLimitCounters)
      .values([
        { key: oldKey, count: 3, windowStart: new Date(now.getTime() - 25 * 60 * MINUTE_MS) },
        { key: recentKey, count: 3, windowStart: new Date(now.getTime() - 60 * MINUTE_MS) },
      ]);

    await runSweep(now);
    const remaining = await testDatabase().select({ key: rateLimitCounters.key }).from(rateLimitCounters);
    const keys = remaining.map((row) => row.key);

    expect(keys).not.toContain(oldKey);
    expect(keys).toContain(recentKey);
  });
});
