import { activities, emailSuppressions, opportunities, outboundMessages, webhookEvents } from "@plumbline/db";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { callApi, submitJson } from "../support/api";
import { seedIntegration, settledMessages } from "../support/follow-up";
import { seedTwoFirms, testDatabase, type SeededFirm } from "../support/seed";

const encoder = new TextEncoder();
type Provider = "postmark" | "resend" | "sendgrid" | "mailgun";
type Outcome = "delivered" | "bounced";

// ---------------------------------------------------------------------------------------------------------------
// Signing, done here over the exact bytes each request sends

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function toHex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function hmac(key: Uint8Array, message: string): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(message)));
}

/** Encodes one half of a raw ECDSA signature as a DER INTEGER: leading zeros dropped, a zero added before a high bit. */
function derInteger(half: Uint8Array): number[] {
  let start = 0;
  while (start < half.length - 1 && half[start] === 0) start++;
  const value = [...half.subarray(start)];
  if (value[0]! & 0x80) value.unshift(0);
  return [0x02, value.length, ...value];
}

/** WebCrypto signs in r||s form, but SendGrid sends DER, so the test converts the way SendGrid's signer writes it. */
function rawToDer(raw: Uint8Array): Uint8Array {
  const r = derInteger(raw.subarray(0, 32));
  const s = derInteger(raw.subarray(32));
  return new Uint8Array([0x30, r.length + s.length, ...r, ...s]);
}

interface Keys {
  /** What the integration stores as its secret. */
  stored: string;
  /** The key the test signs with: HMAC key bytes, or SendGrid's private key. */
  signing: Uint8Array | CryptoKey;
}

async function makeKeys(provider: Provider): Promise<Keys> {
  const random = crypto.getRandomValues(new Uint8Array(24));
  switch (provider) {
    case "postmark":
      return { stored: `pm-hook-${toHex(random)}`, signing: random };
    case "resend":
      return { stored: `whsec_${toBase64(random)}`, signing: random };
    case "mailgun":
      return { stored: `mg-signing-${toHex(random)}`, signing: encoder.encode(`mg-signing-${toHex(random)}`) };
    case "sendgrid": {
      const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
      const spki = new Uint8Array((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
      return { stored: toBase64(spki), signing: pair.privateKey };
    }
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

interface SendOptions {
  /** Signing time in Unix seconds. Defaults to now. */
  at?: number;
  /** Keys to sign with instead of the integration's own. */
  signWith?: Keys;
  /** Mailgun's signature token. Defaults to a new random one. */
  token?: string;
}

/** Posts one event (or SendGrid batch) to the route, signed as the provider signs it. */
async function post(provider: Provider, integrationId: string, keys: Keys, event: unknown, options: SendOptions = {}): Promise<Response> {
  const signer = options.signWith ?? keys;
  const at = options.at ?? nowSeconds();
  const path = `/v1/webhooks/${provider}-events/${integrationId}`;
  const json = { "content-type": "application/json" };

  switch (provider) {
    case "postmark": {
      const body = JSON.stringify(event);
      return callApi(`${path}?token=${encodeURIComponent(signer.stored)}`, { method: "POST", headers: json, body });
    }
    case "resend": {
      const body = JSON.stringify(event);
      const id = `msg_${crypto.randomUUID()}`;
      const signature = toBase64(await hmac(signer.signing as Uint8Array, `${id}.${at}.${body}`));
      return callApi(path, { method: "POST", headers: { ...json, "svix-id": id, "svix-timestamp": String(at), "svix-signature": `v1,${signature}` }, body });
    }
    case "sendgrid": {
      const body = JSON.stringify(Array.isArray(event) ? event : [event]);
      const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, signer.signing as CryptoKey, encoder.encode(`${at}${body}`)));
      const headers = { ...json, "x-twilio-email-event-webhook-signature": toBase64(rawToDer(raw)), "x-twilio-email-event-webhook-timestamp": String(at) };
      return callApi(path, { method: "POST", headers, body });
    }
    case "mailgun": {
      const token = options.token ?? toHex(crypto.getRandomValues(new Uint8Array(25)));
      const signature = toHex(await hmac(signer.signing as Uint8Array, `${at}${token}`));
      const body = JSON.stringify({ signature: { timestamp: String(at), token, signature }, "event-data": event });
      return callApi(path, { method: "POST", headers: json, body });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Provider events, in each provider's documented shape

function providerEvent(provider: Provider, outcome: Outcome, messageId: string, recipient: string, at: Date, eventId = crypto.randomUUID()): unknown {
  const iso = at.toISOString();
  const seconds = at.getTime() / 1000;
  switch (provider) {
    case "postmark":
      return outcome === "delivered"
        ? { RecordType: "Delivery", MessageID: messageId, Recipient: recipient, DeliveredAt: iso, Details: "250 OK", MessageStream: "outbound", Metadata: {} }
        : {
            RecordType: "Bounce",
            ID: 4_323_372_036,
            Type: "HardBounce",
            TypeCode: 1,
            MessageID: messageId,
            Email: recipient,
            BouncedAt: iso,
            Inactive: true,
            Description: "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
            MessageStream: "outbound",
            Metadata: {},
          };
    case "resend":
      return {
        type: outcome === "delivered" ? "email.delivered" : "email.bounced",
        created_at: iso,
        data: {
          created_at: iso,
          email_id: messageId,
          from: "enquiries@firm.example",
          to: [recipient],
          subject: "Your enquiry",
          ...(outcome === "bounced" ? { bounce: { type: "Permanent", subType: "General", message: "The recipient's mail server rejected the address." } } : {}),
        },
      };
    case "sendgrid":
      return {
        email: recipient,
        timestamp: Math.floor(seconds),
        "smtp-id": `<${messageId}@ismtpd0001p1lon1.sendgrid.net>`,
        event: outcome === "delivered" ? "delivered" : "bounce",
        sg_event_id: eventId,
        sg_message_id: `${messageId}.filterdrecv-5645d9c87f-abcde-1-5F1A2B3C-4.0`,
        ...(outcome === "bounced" ? { type: "bounce", reason: "550 5.1.1 The email account does not exist.", status: "5.1.1" } : { response: "250 OK" }),
      };
    case "mailgun":
      return {
        event: outcome === "delivered" ? "delivered" : "failed",
        id: eventId,
        timestamp: seconds,
        recipient,
        message: { headers: { "message-id": messageId } },
        ...(outcome === "bounced"
          ? { severity: "permanent", reason: "bounce", "delivery-status": { code: 550, message: "5.1.1 User unknown", description: "" } }
          : { "delivery-status": { code: 250, message: "OK" } }),
      };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Setup and reads

const db = () => testDatabase();

interface Scene {
  firm: SeededFirm;
  other: SeededFirm;
  integrationId: string;
  keys: Keys;
  messageId: string;
  outboundId: string;
  recipient: string;
}

/** Seeds two firms, sends an enquiry's acknowledgement through the provider's fake, and connects its events. */
async function scene(provider: Provider, tag: string): Promise<Scene> {
  const [firm, other] = await seedTwoFirms();
  const settings: Record<string, string> = provider === "mailgun" ? { domain: "mg.firm.example" } : {};
  await seedIntegration(firm.firmId, "mail", provider, `${provider}-ok-${firm.firmId}`, settings);
  const keys = await makeKeys(provider);
  const integrationId = await seedIntegration(firm.firmId, "mail_events", provider, keys.stored);

  const recipient = `${tag}.${crypto.randomUUID().slice(0, 8)}@example.com`;
  await submitJson(firm.formKey, { fields: { name: "Bea Bounce", email: recipient } });
  const acknowledgement = (await settledMessages(firm.firmId)).find((row) => row.kind === "acknowledgement_email");
  return { firm, other, integrationId, keys, messageId: acknowledgement!.providerMessageId!, outboundId: acknowledgement!.id, recipient };
}

/** Waits for the queue consumer to process every stored webhook event of the firm. */
async function processed(firmId: string, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await db().select().from(webhookEvents).where(eq(webhookEvents.firmId, firmId));
    if (rows.every((row) => row.status !== "received") || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const outboundRow = async (s: Scene) => db().select().from(outboundMessages).where(eq(outboundMessages.id, s.outboundId)).get();
const opportunityOf = async (firmId: string) => db().select().from(opportunities).where(eq(opportunities.firmId, firmId)).get();
const timeline = async (firmId: string) => (await db().select().from(activities).where(eq(activities.firmId, firmId))).map((entry) => entry.type);
const suppressed = async (firmId: string, email: string) =>
  db().select().from(emailSuppressions).where(and(eq(emailSuppressions.firmId, firmId), eq(emailSuppressions.emailNormalised, email))).get();
const storedEvents = async (firmId: string) => db().select().from(webhookEvents).where(eq(webhookEvents.firmId, firmId));
const masked = (address: string) => `${address[0]}***${address.slice(address.indexOf("@"))}`;
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

// ---------------------------------------------------------------------------------------------------------------

const PROVIDERS: Provider[] = ["postmark", "resend", "sendgrid", "mailgun"];

for (const provider of PROVIDERS) {
  describe(`${provider} delivery events`, () => {
    it("delivered sets the status", async () => {
      const s = await scene(provider, `${provider}-dlv`);
      const response = await post(provider, s.integrationId, s.keys, providerEvent(provider, "delivered", s.messageId, s.recipient, minutesAgo(1)));
      expect(response.status).toBe(200);
      await processed(s.firm.firmId);

      expect((await outboundRow(s))?.deliveryStatus).toBe("delivered");
      expect(await timeline(s.firm.firmId)).toContain("email.delivered");
      expect(await suppressed(s.firm.firmId, s.recipient)).toBeUndefined();
      expect((await opportunityOf(s.firm.firmId))?.attentionReason).toBeNull();
    });

    it("hard bounce suppresses and flags", async () => {
      const s = await scene(provider, `${provider}-hb`);
      const response = await post(provider, s.integrationId, s.keys, providerEvent(provider, "bounced", s.messageId, s.recipient, minutesAgo(1)));
      expect(response.status).toBe(200);
      await processed(s.firm.firmId);

      expect((await outboundRow(s))?.deliveryStatus).toBe("bounced_hard");
      expect((await suppressed(s.firm.firmId, s.recipient))?.reason).toBe("bounced_hard");
      const opportunity = await opportunityOf(s.firm.firmId);
      expect(opportunity?.attentionReason).toBe(`The acknowledgement to ${masked(s.recipient)} bounced: address undeliverable`);
      expect(opportunity?.attentionAt).toBeInstanceOf(Date);
      expect(await timeline(s.firm.firmId)).toContain("email.bounced");
      expect((await storedEvents(s.firm.firmId)).find((row) => row.provider === `${provider}-events`)?.status).toBe("processed");
    });

    it("duplicate is 200 with one activity", async () => {
      const s = await scene(provider, `${provider}-dup`);
      const event = providerEvent(provider, "delivered", s.messageId, s.recipient, minutesAgo(1));
      // Resend re-signs each retry under the same svix-id, so its duplicate is sent with the first id.
      const first = await post(provider, s.integrationId, s.keys, event);
      expect(first.status).toBe(200);
      const again = provider === "resend" ? await resendAgain(s, first, event) : await post(provider, s.integrationId, s.keys, event);
      expect(again.status).toBe(200);
      await processed(s.firm.firmId);

      const delivered = (await timeline(s.firm.firmId)).filter((type) => type === "email.delivered");
      expect(delivered).toHaveLength(1);
    });

    it("late delivered keeps bounced", async () => {
      const s = await scene(provider, `${provider}-ooo`);
      await post(provider, s.integrationId, s.keys, providerEvent(provider, "bounced", s.messageId, s.recipient, minutesAgo(1)));
      await processed(s.firm.firmId);
      await post(provider, s.integrationId, s.keys, providerEvent(provider, "delivered", s.messageId, s.recipient, minutesAgo(2)));
      await processed(s.firm.firmId);

      expect((await outboundRow(s))?.deliveryStatus).toBe("bounced_hard");
    });

    it("bad signatures are 401 and store nothing", async () => {
      const s = await scene(provider, `${provider}-sig`);
      const event = providerEvent(provider, "bounced", s.messageId, s.recipient, minutesAgo(1));
      for (const response of await badlySigned(provider, s, event)) {
        expect(response.status).toBe(401);
      }
      expect(await storedEvents(s.firm.firmId)).toHaveLength(0);
    });

    it("another firm's integration cannot touch this message", async () => {
      const s = await scene(provider, `${provider}-iso`);
      const otherKeys = await makeKeys(provider);
      const otherIntegration = await seedIntegration(s.other.firmId, "mail_events", provider, otherKeys.stored);
      const event = providerEvent(provider, "bounced", s.messageId, s.recipient, minutesAgo(1));

      const withThisSecret = await post(provider, otherIntegration, s.keys, event);
      expect(withThisSecret.status).toBe(401);
      const withOwnSecret = await post(provider, otherIntegration, otherKeys, event);
      expect(withOwnSecret.status).toBe(200);
      const stored = (await processed(s.other.firmId)).find((row) => row.provider === `${provider}-events`);
      expect(stored?.status).toBe("ignored");
      expect((await outboundRow(s))?.deliveryStatus).toBeNull();
      expect(await suppressed(s.other.firmId, s.recipient)).toBeUndefined();
      expect(await suppressed(s.firm.firmId, s.recipient)).toBeUndefined();
    });
  });
}

/** Sends a Resend event again with the first delivery's svix-id and a fresh signature, as Svix does on a retry. */
async function resendAgain(s: Scene, first: Response, event: unknown): Promise<Response> {
  const [stored] = await storedEvents(s.firm.firmId).then((rows) => rows.filter((row) => row.provider === "resend-events"));
  expect(first.status).toBe(200);
  const id = stored!.providerEventId;
  const at = nowSeconds();
  const body = JSON.stringify(event);
  const signature = toBase64(await hmac(s.keys.signing as Uint8Array, `${id}.${at}.${body}`));
  return callApi(`/v1/webhooks/resend-events/${s.integrationId}`, {
    method: "POST",
    headers: { "content-type": "application/json", "svix-id": id, "svix-timestamp": String(at), "svix-signature": `v1,${signature}` },
    body,
  });
}

/** Requests with missing, malformed or wrong credentials, for each provider's scheme. */
async function badlySigned(provider: Provider, s: Scene, event: unknown): Promise<Response[]> {
  const path = `/v1/webhooks/${provider}-events/${s.integrationId}`;
  const json = { "content-type": "application/json" };
  const wrongKeys = await makeKeys(provider);
  const responses = [await post(provider, s.integrationId, s.keys, event, { signWith: wrongKeys })];

  switch (provider) {
    case "postmark": {
      const body = JSON.stringify(event);
      responses.push(await callApi(path, { method: "POST", headers: json, body }));
      responses.push(await callApi(path, { method: "POST", headers: { ...json, authorization: "Basic !!!" }, body }));
      responses.push(await callApi(path, { method: "POST", headers: { ...json, authorization: `Basic ${btoa("postmark:wrong")}` }, body }));
      break;
    }
    case "resend": {
      const body = JSON.stringify(event);
      const at = nowSeconds();
      responses.push(await callApi(path, { method: "POST", headers: json, body }));
      responses.push(await callApi(path, { method: "POST", headers: { ...json, "svix-id": "msg_x", "svix-timestamp": String(at), "svix-signature": "v1,@@@" }, body }));
      responses.push(await callApi(path, { method: "POST", headers: { ...json, "svix-id": "msg_x", "svix-timestamp": "soon", "svix-signature": "v1,AAAA" }, body }));
      responses.push(await post(provider, s.integrationId, s.keys, event, { at: at - 600 }));
      responses.push(await post(provider, s.integrationId, s.keys, event, { at: at + 600 }));
      break;
    }
    case "sendgrid": {
      const body = JSON.stringify([event]);
      const at = nowSeconds();
      const headers = (signature: string) => ({ ...json, "x-twilio-email-event-webhook-signature": signature, "x-twilio-email-event-webhook-timestamp": String(at) });
      responses.push(await callApi(path, { method: "POST", headers: json, body }));
      responses.push(await callApi(path, { method: "POST", headers: headers("not-der"), body }));
      responses.push(await callApi(path, { method: "POST", headers: headers(toBase64(new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]))), body }));
      responses.push(await post(provider, s.integrationId, s.keys, event, { at: at - 2 * 86_400 }));
      responses.push(await post(provider, s.integrationId, s.keys, event, { at: at + 2 * 86_400 }));
      break;
    }
    case "mailgun": {
      const at = nowSeconds();
      responses.push(await callApi(path, { method: "POST", headers: json, body: JSON.stringify({ "event-data": event }) }));
      responses.push(await callApi(path, { method: "POST", headers: json, body: "not json" }));
      const malformed = { signature: { timestamp: String(at), token: "t".repeat(50), signature: "zz" }, "event-data": event };
      responses.push(await callApi(path, { method: "POST", headers: json, body: JSON.stringify(malformed) }));
      const nonNumeric = { signature: { timestamp: "later", token: "t".repeat(50), signature: "0".repeat(64) }, "event-data": event };
      responses.push(await callApi(path, { method: "POST", headers: json, body: JSON.stringify(nonNumeric) }));
      responses.push(await post(provider, s.integrationId, s.keys, event, { at: at - 20 * 60 }));
      responses.push(await post(provider, s.integrationId, s.keys, event, { at: at + 20 * 60 }));
      break;
    }
  }
  return responses;
}

describe("mail events route", () => {
  it("postmark accepts Basic auth", async () => {
    const s = await scene("postmark", "pm-basic");
    const response = await callApi(`/v1/webhooks/postmark-events/${s.integrationId}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Basic ${btoa(`postmark:${s.keys.stored}`)}` },
      body: JSON.stringify(providerEvent("postmark", "delivered", s.messageId, s.recipient, minutesAgo(1))),
    });
    expect(response.status).toBe(200);
  });

  it("mailgun replayed token is 401", async () => {
    const s = await scene("mailgun", "mg-replay");
    const token = toHex(crypto.getRandomValues(new Uint8Array(25)));
    const first = await post("mailgun", s.integrationId, s.keys, providerEvent("mailgun", "delivered", s.messageId, s.recipient, minutesAgo(1)), { token });
    expect(first.status).toBe(200);
    const replay = await post("mailgun", s.integrationId, s.keys, providerEvent("mailgun", "bounced", s.messageId, s.recipient, minutesAgo(1)), { token });
    expect(replay.status).toBe(401);
    await processed(s.firm.firmId);
    expect((await outboundRow(s))?.deliveryStatus).toBe("delivered");
  });

  it("sendgrid batch keeps valid events", async () => {
    const s = await scene("sendgrid", "sg-batch");
    const good = providerEvent("sendgrid", "bounced", s.messageId, s.recipient, minutesAgo(1));
    const malformed = { event: "delivered", email: s.recipient, timestamp: "yesterday" };
    const response = await post("sendgrid", s.integrationId, s.keys, [malformed, good]);
    expect(response.status).toBe(200);
    const rows = await processed(s.firm.firmId);

    expect(rows).toHaveLength(2);
    expect(rows.filter((row) => row.status === "failed")).toHaveLength(1);
    expect((await outboundRow(s))?.deliveryStatus).toBe("bounced_hard");
  });

  it("postmark complaint suppresses and flags", async () => {
    const s = await scene("postmark", "pm-spam");
    const complaint = { RecordType: "SpamComplaint", ID: 42, Type: "SpamComplaint", TypeCode: 512, MessageID: s.messageId, Email: s.recipient, BouncedAt: minutesAgo(1).toISOString() };
    await post("postmark", s.integrationId, s.keys, complaint);
    await processed(s.firm.firmId);

    expect((await suppressed(s.firm.firmId, s.recipient))?.reason).toBe("complained");
    expect((await opportunityOf(s.firm.firmId))?.attentionReason).toBe(`The acknowledgement to ${masked(s.recipient)} was reported as spam`);
    expect(await timeline(s.firm.firmId)).toContain("email.complained");
  });

  it("resend event matches by echoed metadata", async () => {
    const s = await scene("resend", "rs-meta");
    const event = providerEvent("resend", "delivered", "unknown-email-id", s.recipient, minutesAgo(1)) as { data: Record<string, unknown> };
    event.data.tags = { outboundMessageId: s.outboundId };
    await post("resend", s.integrationId, s.keys, event);
    await processed(s.firm.firmId);

    expect((await outboundRow(s))?.deliveryStatus).toBe("delivered");
  });

  it("another firm's message id in metadata is ignored", async () => {
    const s = await scene("resend", "rs-meta-iso");
    const otherKeys = await makeKeys("resend");
    const otherIntegration = await seedIntegration(s.other.firmId, "mail_events", "resend", otherKeys.stored);
    const event = providerEvent("resend", "bounced", "unknown-email-id", s.recipient, minutesAgo(1)) as { data: Record<string, unknown> };
    event.data.tags = { outboundMessageId: s.outboundId };
    await post("resend", otherIntegration, otherKeys, event);
    await processed(s.other.firmId);

    expect((await outboundRow(s))?.deliveryStatus).toBeNull();
  });

  it("unknown integration is 404", async () => {
    const keys = await makeKeys("postmark");
    const response = await post("postmark", "int_missing", keys, providerEvent("postmark", "delivered", "x", "x@example.com", new Date()));
    expect(response.status).toBe(404);
  });

  it("body over 1 MB is 413", async () => {
    const s = await scene("postmark", "pm-big");
    const response = await callApi(`/v1/webhooks/postmark-events/${s.integrationId}?token=${encodeURIComponent(s.keys.stored)}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ padding: "x".repeat(1024 * 1024) }),
    });
    expect(response.status).toBe(413);
  });

  it("bounce skips the next acknowledgement", async () => {
    const s = await scene("postmark", "pm-next");
    await post("postmark", s.integrationId, s.keys, providerEvent("postmark", "bounced", s.messageId, s.recipient, minutesAgo(1)));
    await processed(s.firm.firmId);
    // A different message, because a repeat of the same one within the window is the same enquiry.
    await submitJson(s.firm.formKey, { fields: { name: "Bea Bounce", email: s.recipient, message: "Writing again." } });
    const rows = (await settledMessages(s.firm.firmId)).filter((row) => row.kind === "acknowledgement_email");
    const latest = rows.find((row) => row.id !== s.outboundId);
    expect(latest?.status).toBe("skipped");
  });
});
