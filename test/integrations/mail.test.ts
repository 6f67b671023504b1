import {
  createMailAdapter,
  formatMailbox,
  InvalidEmailError,
  MailConfigError,
  ProviderError,
  type MailAdapter,
  type MailProviderConfig,
  type OutgoingEmail,
} from "@plumbline/integrations";
import { describe, expect, it } from "vitest";
import { fakeBaseUrl, fakeRequests, type FakeRequest } from "../support/api";

type ProviderName = "postmark" | "resend" | "sendgrid" | "mailgun";

const MAILGUN_DOMAIN = "mg.hartleycole.example";

/** Where each provider's fake listens, and a config pointing the adapter at it with a given credential. */
const PROVIDERS: Record<ProviderName, { prefix: string; config: (credential: string, extra?: Record<string, unknown>) => MailProviderConfig }> = {
  postmark: {
    prefix: "/postmark/email",
    config: (credential, extra = {}) => ({ provider: "postmark", serverToken: credential, baseUrl: `${fakeBaseUrl()}/postmark`, ...extra }),
  },
  resend: {
    prefix: "/resend/emails",
    config: (credential, extra = {}) => ({ provider: "resend", apiKey: credential, baseUrl: `${fakeBaseUrl()}/resend`, ...extra }),
  },
  sendgrid: {
    prefix: "/sendgrid/v3/mail/send",
    config: (credential, extra = {}) => ({ provider: "sendgrid", apiKey: credential, baseUrl: `${fakeBaseUrl()}/sendgrid`, ...extra }),
  },
  mailgun: {
    prefix: "/mailgun/v3/",
    config: (credential, extra = {}) => ({ provider: "mailgun", apiKey: credential, domain: MAILGUN_DOMAIN, baseUrl: `${fakeBaseUrl()}/mailgun`, ...extra }),
  },
};

const PROVIDER_NAMES = Object.keys(PROVIDERS) as ProviderName[];

const TEXT_BODY = "Dear Jane, thank you for your enquiry about conveyancing.";
const HTML_BODY = "<p>Dear Jane, thank you for your enquiry about conveyancing.</p>";

/** Builds a fresh email whose Message-ID carries a unique marker, so a test finds its own request among the fake's records. */
function newEmail(overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  const marker = crypto.randomUUID();
  return {
    from: { email: "enquiries@mail.hartleycole.example", name: "Hartley & Cole" },
    to: { email: "jane@example.org", name: "Jane Prospect" },
    replyTo: "reply+t_42@inbound.hartleycole.example",
    subject: "We have your enquiry",
    text: TEXT_BODY,
    html: HTML_BODY,
    messageId: `<${marker}@mail.plumbline.example>`,
    headers: { "In-Reply-To": "<parent-1@mail.plumbline.example>" },
    idempotencyKey: `outbound-${marker}`,
    metadata: { tenant: "t_1", message: "msg_42" },
    ...overrides,
  };
}

/** Extracts the unique part of the email's Message-ID, which appears in every provider's request body. */
function markerOf(email: OutgoingEmail): string {
  return /^<([0-9a-f-]{36})@/.exec(email.messageId)?.[1] ?? email.messageId;
}

/** Returns the requests the fake recorded for this email. */
async function requestsFor(prefix: string, email: OutgoingEmail): Promise<FakeRequest[]> {
  return (await fakeRequests(prefix)).filter((request) => request.body.includes(markerOf(email)));
}

async function onlyRequestFor(prefix: string, email: OutgoingEmail): Promise<FakeRequest> {
  const requests = await requestsFor(prefix, email);
  expect(requests).toHaveLength(1);
  return requests[0]!;
}

/** Sends and returns the ProviderError the send threw, failing the test if it succeeded or threw anything else. */
async function sendError(adapter: MailAdapter, email: OutgoingEmail): Promise<ProviderError> {
  try {
    await adapter.send(email);
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error("send succeeded, but a ProviderError was expected");
}

/** Builds a fetch stand-in that returns one canned response to every request and records the URLs, for mapping tests. */
function cannedFetch(status: number, body: string | null, headers: Record<string, string> = {}) {
  const urls: string[] = [];
  const fetcher = (async (input: RequestInfo | URL) => {
    urls.push(String(input instanceof Request ? input.url : input));
    return new Response(body, { status, headers });
  }) as typeof fetch;
  return { fetcher, urls };
}

/** Decodes RFC 2047 B-encoded UTF-8 words, failing on any word that is not whole UTF-8 on its own. */
function decodeWords(encoded: string): string {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  return encoded
    .split(" ")
    .map((word) => {
      const match = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=$/.exec(word);
      if (!match) throw new Error(`not an encoded-word: ${word}`);
      const bytes = Uint8Array.from(atob(match[1]!), (character) => character.charCodeAt(0));
      return decoder.decode(bytes);
    })
    .join("");
}

function jsonBody(request: FakeRequest): Record<string, any> {
  return JSON.parse(request.body) as Record<string, any>;
}

async function formFields(request: FakeRequest): Promise<FormData> {
  return new Response(request.body, { headers: { "content-type": request.headers["content-type"] ?? "" } }).formData();
}

describe("postmark send", () => {
  it("postmark success returns MessageID", async () => {
    const email = newEmail();
    const result = await createMailAdapter(PROVIDERS.postmark.config("postmark-ok")).send(email);
    expect(result.provider).toBe("postmark");
    expect(result.providerMessageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("postmark request matches the contract", async () => {
    const email = newEmail();
    await createMailAdapter(PROVIDERS.postmark.config("postmark-ok")).send(email);
    const request = await onlyRequestFor(PROVIDERS.postmark.prefix, email);
    const body = jsonBody(request);

    expect(request.method).toBe("POST");
    expect(request.headers["x-postmark-server-token"]).toBe("postmark-ok");
    expect(request.headers.accept).toBe("application/json");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(body.From).toBe('"Hartley & Cole" <enquiries@mail.hartleycole.example>');
    expect(body.To).toBe('"Jane Prospect" <jane@example.org>');
    expect(body.ReplyTo).toBe("reply+t_42@inbound.hartleycole.example");
    expect(body.Subject).toBe("We have your enquiry");
    expect(body.TextBody).toBe(TEXT_BODY);
    expect(body.HtmlBody).toBe(HTML_BODY);
    expect(body.Headers).toContainEqual({ Name: "Message-ID", Value: email.messageId });
    expect(body.Headers).toContainEqual({ Name: "In-Reply-To", Value: "<parent-1@mail.plumbline.example>" });
    expect(body.Metadata).toEqual({ tenant: "t_1", message: "msg_42" });
    expect(body.MessageStream).toBe("outbound");
    expect(body.TrackOpens).toBe(false);
    expect(body.TrackLinks).toBe("None");
  });

  it("postmark stream and tracking come from config", async () => {
    const email = newEmail();
    const config = PROVIDERS.postmark.config("postmark-ok", { messageStream: "acknowledgements", trackOpens: true, trackLinks: "HtmlOnly" });
    await createMailAdapter(config).send(email);
    const body = jsonBody(await onlyRequestFor(PROVIDERS.postmark.prefix, email));
    expect(body.MessageStream).toBe("acknowledgements");
    expect(body.TrackOpens).toBe(true);
    expect(body.TrackLinks).toBe("HtmlOnly");
  });

  it("postmark leaves out an empty html body", async () => {
    const email = newEmail({ html: "" });
    await createMailAdapter(PROVIDERS.postmark.config("postmark-ok")).send(email);
    const body = jsonBody(await onlyRequestFor(PROVIDERS.postmark.prefix, email));
    expect(body).not.toHaveProperty("HtmlBody");
    expect(body.TextBody).toBe(TEXT_BODY);
  });

  // Postmark returns these ErrorCodes with HTTP 422, or 401 for a bad token (postmarkapp.com/developer/api/overview).
  const errorCodes = [
    { name: "bad token", status: 401, code: 10, retryable: false, needsAttention: true },
    { name: "maintenance", status: 422, code: 100, retryable: true, needsAttention: false },
    { name: "invalid request", status: 422, code: 300, retryable: false, needsAttention: false },
    { name: "sender signature not found", status: 422, code: 400, retryable: false, needsAttention: true },
    { name: "signature not confirmed", status: 422, code: 401, retryable: false, needsAttention: true },
    { name: "not allowed to send", status: 422, code: 405, retryable: false, needsAttention: true },
    { name: "inactive recipient", status: 422, code: 406, retryable: false, needsAttention: false },
    { name: "account pending", status: 422, code: 412, retryable: false, needsAttention: true },
    { name: "account may not send", status: 422, code: 413, retryable: false, needsAttention: true },
    { name: "rate limit code", status: 422, code: 429, retryable: true, needsAttention: false },
    { name: "unlisted code", status: 422, code: 999, retryable: false, needsAttention: false },
  ];

  it.each(errorCodes)("postmark ErrorCode $code ($name) flags", async ({ status, code, retryable, needsAttention }) => {
    const { fetcher } = cannedFetch(status, JSON.stringify({ ErrorCode: code, Message: "details that may name jane@example.org" }));
    const error = await sendError(createMailAdapter({ provider: "postmark", serverToken: "postmark-ok" }, fetcher), newEmail());
    expect(error.retryable).toBe(retryable);
    expect(error.needsAttention).toBe(needsAttention);
    expect(error.options.providerCode).toBe(String(code));
    expect(error.options.status).toBe(status);
    expect(error.message).not.toContain("jane@example.org");
  });

  it("postmark 200 with a non-zero ErrorCode fails", async () => {
    const { fetcher } = cannedFetch(200, JSON.stringify({ ErrorCode: 406, Message: "inactive", MessageID: "" }));
    const error = await sendError(createMailAdapter({ provider: "postmark", serverToken: "postmark-ok" }, fetcher), newEmail());
    expect(error.options.providerCode).toBe("406");
  });
});

describe("resend send", () => {
  it("resend success returns id", async () => {
    const result = await createMailAdapter(PROVIDERS.resend.config("resend-ok")).send(newEmail());
    expect(result.provider).toBe("resend");
    expect(result.providerMessageId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("resend request matches the contract", async () => {
    const email = newEmail();
    await createMailAdapter(PROVIDERS.resend.config("resend-ok")).send(email);
    const request = await onlyRequestFor(PROVIDERS.resend.prefix, email);
    const body = jsonBody(request);

    expect(request.headers.authorization).toBe("Bearer resend-ok");
    expect(request.headers["idempotency-key"]).toBe(email.idempotencyKey);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(body.from).toBe('"Hartley & Cole" <enquiries@mail.hartleycole.example>');
    expect(body.to).toEqual(['"Jane Prospect" <jane@example.org>']);
    expect(body.reply_to).toBe("reply+t_42@inbound.hartleycole.example");
    expect(body.subject).toBe("We have your enquiry");
    expect(body.text).toBe(TEXT_BODY);
    expect(body.html).toBe(HTML_BODY);
    expect(body.headers["Message-ID"]).toBe(email.messageId);
    expect(body.headers["In-Reply-To"]).toBe("<parent-1@mail.plumbline.example>");
    expect(body.tags).toEqual([
      { name: "tenant", value: "t_1" },
      { name: "message", value: "msg_42" },
    ]);
  });

  it("resend tags are sanitised", async () => {
    const email = newEmail({ metadata: { source: "web form/contact@firm.example", empty: "" } });
    await createMailAdapter(PROVIDERS.resend.config("resend-ok")).send(email);
    const body = jsonBody(await onlyRequestFor(PROVIDERS.resend.prefix, email));
    expect(body.tags).toEqual([{ name: "source", value: "web_form_contact_firm_example" }]);
  });

  it("resend idempotency key over 256 rejected", async () => {
    const email = newEmail();
    const tooLong = { ...email, idempotencyKey: `${email.idempotencyKey}-${"k".repeat(256)}` };
    const error = await sendError(createMailAdapter(PROVIDERS.resend.config("resend-ok")), tooLong);
    expect(error).toBeInstanceOf(InvalidEmailError);
    expect(error.retryable).toBe(false);
    expect(await requestsFor(PROVIDERS.resend.prefix, email)).toHaveLength(0);
  });

  it("resend idempotency key of 256 accepted", async () => {
    const email = newEmail();
    const longest = { ...email, idempotencyKey: email.idempotencyKey.padEnd(256, "k") };
    await createMailAdapter(PROVIDERS.resend.config("resend-ok")).send(longest);
    const request = await onlyRequestFor(PROVIDERS.resend.prefix, email);
    expect(request.headers["idempotency-key"]).toHaveLength(256);
  });

  const errorNames = [
    { name: "restricted_api_key", status: 401, retryable: false, needsAttention: true },
    { name: "missing_api_key", status: 401, retryable: false, needsAttention: true },
    { name: "validation_error", status: 403, retryable: false, needsAttention: true },
    { name: "validation_error", status: 400, retryable: false, needsAttention: false },
    { name: "invalid_from_address", status: 422, retryable: false, needsAttention: false },
    { name: "invalid_idempotent_request", status: 409, retryable: false, needsAttention: false },
    { name: "concurrent_idempotent_requests", status: 409, retryable: true, needsAttention: false },
    { name: "daily_quota_exceeded", status: 429, retryable: true, needsAttention: false },
    { name: "internal_server_error", status: 500, retryable: true, needsAttention: false },
  ];

  it.each(errorNames)("resend $status $name flags", async ({ name, status, retryable, needsAttention }) => {
    const { fetcher } = cannedFetch(status, JSON.stringify({ statusCode: status, name, message: "details" }));
    const error = await sendError(createMailAdapter({ provider: "resend", apiKey: "re_ok" }, fetcher), newEmail());
    expect(error.retryable).toBe(retryable);
    expect(error.needsAttention).toBe(needsAttention);
    expect(error.options.providerCode).toBe(name);
  });

  it("resend 429 falls back to ratelimit-reset", async () => {
    const { fetcher } = cannedFetch(429, JSON.stringify({ statusCode: 429, name: "rate_limit_exceeded", message: "slow down" }), { "ratelimit-reset": "3" });
    const error = await sendError(createMailAdapter({ provider: "resend", apiKey: "re_ok" }, fetcher), newEmail());
    expect(error.options.retryAfterSeconds).toBe(3);
  });

  it("resend retry-after wins over ratelimit-reset", async () => {
    const { fetcher } = cannedFetch(429, JSON.stringify({ statusCode: 429, name: "rate_limit_exceeded", message: "slow down" }), {
      "retry-after": "5",
      "ratelimit-reset": "3",
    });
    const error = await sendError(createMailAdapter({ provider: "resend", apiKey: "re_ok" }, fetcher), newEmail());
    expect(error.options.retryAfterSeconds).toBe(5);
  });
});

describe("sendgrid send", () => {
  it("sendgrid success returns X-Message-Id", async () => {
    const result = await createMailAdapter(PROVIDERS.sendgrid.config("sendgrid-ok")).send(newEmail());
    expect(result.provider).toBe("sendgrid");
    expect(result.providerMessageId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it("sendgrid request matches the contract", async () => {
    const email = newEmail();
    await createMailAdapter(PROVIDERS.sendgrid.config("sendgrid-ok")).send(email);
    const request = await onlyRequestFor(PROVIDERS.sendgrid.prefix, email);
    const body = jsonBody(request);

    expect(request.headers.authorization).toBe("Bearer sendgrid-ok");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(body.personalizations).toHaveLength(1);
    expect(body.personalizations[0].to).toEqual([{ email: "jane@example.org", name: "Jane Prospect" }]);
    expect(body.personalizations[0].custom_args).toEqual({ tenant: "t_1", message: "msg_42" });
    expect(body.from).toEqual({ email: "enquiries@mail.hartleycole.example", name: "Hartley & Cole" });
    expect(body.reply_to).toEqual({ email: "reply+t_42@inbound.hartleycole.example" });
    expect(body.subject).toBe("We have your enquiry");
    expect(body.content).toEqual([
      { type: "text/plain", value: TEXT_BODY },
      { type: "text/html", value: HTML_BODY },
    ]);
    expect(body.headers["Message-ID"]).toBe(email.messageId);
    expect(body.headers["In-Reply-To"]).toBe("<parent-1@mail.plumbline.example>");
  });

  it("sendgrid quotes a recipient name with a comma", async () => {
    const email = newEmail({ to: { email: "jane@example.org", name: "Prospect, Jane" } });
    await createMailAdapter(PROVIDERS.sendgrid.config("sendgrid-ok")).send(email);
    const body = jsonBody(await onlyRequestFor(PROVIDERS.sendgrid.prefix, email));
    expect(body.personalizations[0].to[0].name).toBe('"Prospect, Jane"');
  });

  it("sendgrid escapes quotes inside a quoted name", async () => {
    const email = newEmail({ to: { email: "jane@example.org", name: 'Jane "JJ" Prospect, Esq.' } });
    await createMailAdapter(PROVIDERS.sendgrid.config("sendgrid-ok")).send(email);
    const body = jsonBody(await onlyRequestFor(PROVIDERS.sendgrid.prefix, email));
    expect(body.personalizations[0].to[0].name).toBe('"Jane \\"JJ\\" Prospect, Esq."');
  });

  it.each(["X-SG-ID", "received", "DKIM-Signature"])("sendgrid reserved header %s rejected", async (name) => {
    const email = newEmail({ headers: { [name]: "value" } });
    const error = await sendError(createMailAdapter(PROVIDERS.sendgrid.config("sendgrid-ok")), email);
    expect(error).toBeInstanceOf(InvalidEmailError);
    expect(await requestsFor(PROVIDERS.sendgrid.prefix, email)).toHaveLength(0);
  });

  it("sendgrid 2xx without X-Message-Id returns null", async () => {
    const { fetcher } = cannedFetch(202, null);
    const result = await createMailAdapter({ provider: "sendgrid", apiKey: "SG.ok" }, fetcher).send(newEmail());
    expect(result.providerMessageId).toBeNull();
  });

  it("sendgrid 403 needs attention", async () => {
    const { fetcher } = cannedFetch(403, JSON.stringify({ errors: [{ message: "The from address does not match a verified Sender Identity.", field: "from" }] }));
    const error = await sendError(createMailAdapter({ provider: "sendgrid", apiKey: "SG.ok" }, fetcher), newEmail());
    expect(error.needsAttention).toBe(true);
    expect(error.retryable).toBe(false);
  });

  it("sendgrid 413 is not retryable", async () => {
    const { fetcher } = cannedFetch(413, JSON.stringify({ errors: [{ message: "too large", field: null }] }));
    const error = await sendError(createMailAdapter({ provider: "sendgrid", apiKey: "SG.ok" }, fetcher), newEmail());
    expect(error.retryable).toBe(false);
    expect(error.needsAttention).toBe(false);
  });
});

describe("mailgun send", () => {
  it("mailgun success returns id without brackets", async () => {
    const result = await createMailAdapter(PROVIDERS.mailgun.config("mailgun-ok")).send(newEmail());
    expect(result.provider).toBe("mailgun");
    expect(result.providerMessageId).toMatch(/^\d{14}\.[0-9a-f]{12}@mg\.hartleycole\.example$/);
  });

  it("mailgun request matches the contract", async () => {
    const email = newEmail();
    await createMailAdapter(PROVIDERS.mailgun.config("mailgun-ok")).send(email);
    const request = await onlyRequestFor(PROVIDERS.mailgun.prefix, email);
    const form = await formFields(request);

    expect(request.path).toBe(`/mailgun/v3/${MAILGUN_DOMAIN}/messages`);
    expect(request.headers.authorization).toBe(`Basic ${btoa("api:mailgun-ok")}`);
    expect(request.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    expect(form.get("from")).toBe('"Hartley & Cole" <enquiries@mail.hartleycole.example>');
    expect(form.get("to")).toBe('"Jane Prospect" <jane@example.org>');
    expect(form.get("subject")).toBe("We have your enquiry");
    expect(form.get("text")).toBe(TEXT_BODY);
    expect(form.get("html")).toBe(HTML_BODY);
    expect(form.get("h:Reply-To")).toBe("reply+t_42@inbound.hartleycole.example");
    expect(form.get("h:Message-Id")).toBe(email.messageId);
    expect(form.get("h:In-Reply-To")).toBe("<parent-1@mail.plumbline.example>");
    expect(form.get("v:tenant")).toBe("t_1");
    expect(form.get("v:message")).toBe("msg_42");
  });

  it("mailgun unknown domain needs attention", async () => {
    const config = PROVIDERS.mailgun.config("mailgun-ok", { domain: "missing.hartleycole.example" });
    const error = await sendError(createMailAdapter(config), newEmail());
    expect(error.options.status).toBe(404);
    expect(error.needsAttention).toBe(true);
    expect(error.retryable).toBe(false);
  });

  it("mailgun options over 16 KB rejected", async () => {
    const email = newEmail({ headers: { "X-Long": "x".repeat(16 * 1024) } });
    const error = await sendError(createMailAdapter(PROVIDERS.mailgun.config("mailgun-ok")), email);
    expect(error).toBeInstanceOf(InvalidEmailError);
    expect(await requestsFor(PROVIDERS.mailgun.prefix, email)).toHaveLength(0);
  });
});

describe("mail failures through the fakes", () => {
  // What each provider's fake answers for each credential, and the error the adapter must turn it into.
  const failures: Array<{
    provider: ProviderName;
    credential: string;
    status: number;
    retryable: boolean;
    needsAttention: boolean;
    retryAfterSeconds?: number;
    providerCode: string | undefined;
  }> = [
    { provider: "postmark", credential: "postmark-bad", status: 401, retryable: false, needsAttention: true, providerCode: "10" },
    { provider: "postmark", credential: "postmark-unknown", status: 401, retryable: false, needsAttention: true, providerCode: "10" },
    { provider: "postmark", credential: "postmark-down", status: 503, retryable: true, needsAttention: false, providerCode: undefined },
    { provider: "postmark", credential: "postmark-limited", status: 429, retryable: true, needsAttention: false, retryAfterSeconds: 7, providerCode: "429" },
    { provider: "postmark", credential: "postmark-suppressed", status: 422, retryable: false, needsAttention: false, providerCode: "406" },
    { provider: "resend", credential: "resend-bad", status: 403, retryable: false, needsAttention: true, providerCode: "invalid_api_key" },
    { provider: "resend", credential: "resend-down", status: 503, retryable: true, needsAttention: false, providerCode: "internal_server_error" },
    { provider: "resend", credential: "resend-limited", status: 429, retryable: true, needsAttention: false, retryAfterSeconds: 7, providerCode: "rate_limit_exceeded" },
    { provider: "resend", credential: "resend-suppressed", status: 422, retryable: false, needsAttention: false, providerCode: "validation_error" },
    { provider: "sendgrid", credential: "sendgrid-bad", status: 401, retryable: false, needsAttention: true, providerCode: "The API key is not valid or has been revoked." },
    { provider: "sendgrid", credential: "sendgrid-down", status: 503, retryable: true, needsAttention: false, providerCode: undefined },
    { provider: "sendgrid", credential: "sendgrid-limited", status: 429, retryable: true, needsAttention: false, retryAfterSeconds: 7, providerCode: "too many requests" },
    { provider: "sendgrid", credential: "sendgrid-suppressed", status: 400, retryable: false, needsAttention: false, providerCode: "The address is not valid." },
    { provider: "mailgun", credential: "mailgun-bad", status: 401, retryable: false, needsAttention: true, providerCode: "Forbidden" },
    { provider: "mailgun", credential: "mailgun-down", status: 503, retryable: true, needsAttention: false, providerCode: "Service Unavailable" },
    { provider: "mailgun", credential: "mailgun-limited", status: 429, retryable: true, needsAttention: false, retryAfterSeconds: 7, providerCode: "Too many requests" },
    { provider: "mailgun", credential: "mailgun-suppressed", status: 400, retryable: false, needsAttention: false, providerCode: "'to' is not a recipient address Mailgun will take" },
  ];

  describe.each(failures)("$provider $credential", ({ provider, credential, status, retryable, needsAttention, retryAfterSeconds, providerCode }) => {
    const failed = async () => {
      const email = newEmail();
      const error = await sendError(createMailAdapter(PROVIDERS[provider].config(credential)), email);
      return { email, error };
    };

    it("status", async () => {
      expect((await failed()).error.options.status).toBe(status);
    });

    it("retryable", async () => {
      expect((await failed()).error.retryable).toBe(retryable);
    });

    it("needs attention", async () => {
      expect((await failed()).error.needsAttention).toBe(needsAttention);
    });

    it("retry after", async () => {
      expect((await failed()).error.options.retryAfterSeconds).toBe(retryAfterSeconds);
    });

    it("provider code", async () => {
      expect((await failed()).error.options.providerCode).toBe(providerCode);
    });

    it("provider name", async () => {
      expect((await failed()).error.provider).toBe(provider);
    });

    it("message hides credential and body", async () => {
      const { error } = await failed();
      expect(error.message).not.toContain(credential);
      expect(error.message).not.toContain("thank you for your enquiry");
      expect(String(error.options.providerCode ?? "")).not.toContain(credential);
    });

    it("request reached the fake", async () => {
      const { email } = await failed();
      expect(await requestsFor(PROVIDERS[provider].prefix, email)).toHaveLength(1);
    });
  });

  it.each(PROVIDER_NAMES)("%s suppressed message hides the address", async (provider) => {
    const error = await sendError(createMailAdapter(PROVIDERS[provider].config(`${provider}-suppressed`)), newEmail());
    expect(error.message).not.toContain("jane@example.org");
  });
});

describe("mail timeouts and network errors", () => {
  it.each(PROVIDER_NAMES)("%s hang times out as retryable", async (provider) => {
    const started = Date.now();
    const error = await sendError(createMailAdapter(PROVIDERS[provider].config(`${provider}-hang`, { timeoutMs: 300 })), newEmail());
    expect(error.retryable).toBe(true);
    expect(error.options.providerCode).toBe("timeout");
    expect(error.needsAttention).toBe(false);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it.each(PROVIDER_NAMES)("%s network error is retryable", async (provider) => {
    const fetcher = (async () => {
      throw new TypeError("Network connection lost.");
    }) as typeof fetch;
    const error = await sendError(createMailAdapter(PROVIDERS[provider].config(`${provider}-ok`), fetcher), newEmail());
    expect(error.retryable).toBe(true);
    expect(error.options.providerCode).toBe("network_error");
  });

  it.each(PROVIDER_NAMES)("%s 2xx with unreadable body returns null id", async (provider) => {
    const { fetcher } = cannedFetch(200, "<html>ok</html>", { "content-type": "text/html" });
    const result = await createMailAdapter(PROVIDERS[provider].config(`${provider}-ok`), fetcher).send(newEmail());
    expect(result.providerMessageId).toBeNull();
  });
});

describe("mail header injection", () => {
  const INJECTION = "\r\nBcc: x@evil.example";

  const injections: Array<{ name: string; change: (email: OutgoingEmail) => OutgoingEmail; field: string }> = [
    { name: "from name", change: (email) => ({ ...email, from: { ...email.from, name: `Hartley${INJECTION}` } }), field: "from.name" },
    { name: "to name", change: (email) => ({ ...email, to: { ...email.to, name: `Jane${INJECTION}` } }), field: "to.name" },
    { name: "subject", change: (email) => ({ ...email, subject: `Hello${INJECTION}` }), field: "subject" },
    { name: "header value", change: (email) => ({ ...email, headers: { References: `<a@b.example>${INJECTION}` } }), field: "headers.References" },
    { name: "reply-to", change: (email) => ({ ...email, replyTo: `reply@inbound.example${INJECTION}` }), field: "replyTo" },
    { name: "to address", change: (email) => ({ ...email, to: { email: `jane@example.org${INJECTION}` } }), field: "to.email" },
    { name: "message id", change: (email) => ({ ...email, messageId: email.messageId.replace(">", `>${INJECTION}`) }), field: "messageId" },
    { name: "metadata value", change: (email) => ({ ...email, metadata: { tenant: `t_1${INJECTION}` } }), field: "metadata.tenant" },
  ];

  const cases = PROVIDER_NAMES.flatMap((provider) => injections.map((injection) => ({ provider, ...injection })));

  it.each(cases)("$provider $name rejected before sending", async ({ provider, change, field }) => {
    const email = change(newEmail());
    const error = await sendError(createMailAdapter(PROVIDERS[provider].config(`${provider}-ok`)), email);
    expect(error).toBeInstanceOf(InvalidEmailError);
    expect((error as InvalidEmailError).field).toBe(field);
    expect(error.retryable).toBe(false);
    expect(error.needsAttention).toBe(false);
    expect(await requestsFor(PROVIDERS[provider].prefix, email)).toHaveLength(0);
  });

  it.each([
    ["line feed", "\n"],
    ["carriage return", "\r"],
    ["NUL", "\u0000"],
    ["tab", "\t"],
    ["DEL", "\u007F"],
    ["next line", "\u0085"],
    ["line separator", "\u2028"],
    ["paragraph separator", "\u2029"],
  ])("subject with %s rejected", async (_name, character) => {
    const { fetcher, urls } = cannedFetch(200, JSON.stringify({ MessageID: "x", ErrorCode: 0 }));
    const error = await sendError(createMailAdapter({ provider: "postmark", serverToken: "postmark-ok" }, fetcher), newEmail({ subject: `Hello${character}there` }));
    expect(error).toBeInstanceOf(InvalidEmailError);
    expect(urls).toHaveLength(0);
  });

  it.each([
    ["colon in name", { "X-Bad:Name": "v" }],
    ["space in name", { "X Bad": "v" }],
    ["Bcc header", { Bcc: "x@evil.example" }],
    ["From header", { from: "x@evil.example" }],
    ["second Message-ID", { "Message-Id": "<other@evil.example>" }],
    ["case duplicate", { "In-Reply-To": "<a@b.example>", "in-reply-to": "<c@d.example>" }],
  ])("extra headers with %s rejected", async (_name, headers) => {
    const { fetcher, urls } = cannedFetch(200, JSON.stringify({ id: "x" }));
    const error = await sendError(createMailAdapter({ provider: "resend", apiKey: "re_ok" }, fetcher), newEmail({ headers }));
    expect(error).toBeInstanceOf(InvalidEmailError);
    expect(urls).toHaveLength(0);
  });

  it.each([
    ["two addresses", "jane@example.org, x@evil.example"],
    ["angle brackets", "<jane@example.org>"],
    ["no at sign", "jane.example.org"],
    ["space", "jane prospect@example.org"],
  ])("to address with %s rejected", async (_name, address) => {
    const { fetcher, urls } = cannedFetch(200, JSON.stringify({ id: "x" }));
    const error = await sendError(createMailAdapter({ provider: "resend", apiKey: "re_ok" }, fetcher), newEmail({ to: { email: address } }));
    expect(error).toBeInstanceOf(InvalidEmailError);
    expect(urls).toHaveLength(0);
  });

  it("empty text and html rejected", async () => {
    const { fetcher, urls } = cannedFetch(200, JSON.stringify({ id: "x" }));
    const error = await sendError(createMailAdapter({ provider: "resend", apiKey: "re_ok" }, fetcher), newEmail({ text: "", html: "" }));
    expect(error).toBeInstanceOf(InvalidEmailError);
    expect(urls).toHaveLength(0);
  });

  it("metadata key outside the tag characters rejected", async () => {
    const { fetcher, urls } = cannedFetch(200, JSON.stringify({ id: "x" }));
    const error = await sendError(createMailAdapter({ provider: "resend", apiKey: "re_ok" }, fetcher), newEmail({ metadata: { "tenant id": "t_1" } }));
    expect(error).toBeInstanceOf(InvalidEmailError);
    expect(urls).toHaveLength(0);
  });
});

describe("formatMailbox", () => {
  it("ASCII name is quoted", () => {
    expect(formatMailbox({ email: "a@firm.example", name: "Hartley & Cole" })).toBe('"Hartley & Cole" <a@firm.example>');
  });

  it("comma stays inside the quotes", () => {
    expect(formatMailbox({ email: "a@firm.example", name: "Cole, Hartley" })).toBe('"Cole, Hartley" <a@firm.example>');
  });

  it("quote and backslash are escaped", () => {
    expect(formatMailbox({ email: "a@firm.example", name: 'Jo "JJ" O\\Neill' })).toBe('"Jo \\"JJ\\" O\\\\Neill" <a@firm.example>');
  });

  it("missing name gives the bare address", () => {
    expect(formatMailbox({ email: "a@firm.example" })).toBe("a@firm.example");
  });

  it("blank name gives the bare address", () => {
    expect(formatMailbox({ email: "a@firm.example", name: "   " })).toBe("a@firm.example");
  });

  it("non-ASCII name becomes an encoded-word", () => {
    expect(formatMailbox({ email: "zoe@example.org", name: "Zoë Brontë" })).toBe("=?UTF-8?B?Wm/DqyBCcm9udMOr?= <zoe@example.org>");
  });

  it("non-ASCII name with a comma is encoded, not quoted", () => {
    expect(formatMailbox({ email: "a@firm.example", name: "Åsa Öberg, Solicitors" })).toBe("=?UTF-8?B?w4VzYSDDlmJlcmcsIFNvbGljaXRvcnM=?= <a@firm.example>");
  });

  describe("long non-ASCII name", () => {
    const name = "Llŷr Ó Súilleabháin-Węgrzyn 山田太郎 👩‍⚖️ Solicitors & Notaries of Cardiff, Cork and Kraków";
    const displayName = formatMailbox({ email: "a@firm.example", name }).replace(/ <a@firm\.example>$/, "");

    it("splits into several words", () => {
      expect(displayName.split(" ").length).toBeGreaterThan(1);
    });

    it("keeps every word within 75 characters", () => {
      const longest = Math.max(...displayName.split(" ").map((word) => word.length));
      expect(longest).toBeLessThanOrEqual(75);
    });

    it("decodes word by word to the name", () => {
      expect(decodeWords(displayName)).toBe(name);
    });
  });
});

describe("non-ASCII names through each provider", () => {
  const from = { email: "enquiries@mail.hartleycole.example", name: "Siân Llewellyn-Jones" };
  const to = { email: "zoe@example.org", name: "Zoë Brontë" };
  const encodedFrom = "=?UTF-8?B?U2nDom4gTGxld2VsbHluLUpvbmVz?= <enquiries@mail.hartleycole.example>";
  const encodedTo = "=?UTF-8?B?Wm/DqyBCcm9udMOr?= <zoe@example.org>";

  it("postmark gets encoded-words", async () => {
    const email = newEmail({ from, to });
    await createMailAdapter(PROVIDERS.postmark.config("postmark-ok")).send(email);
    const body = jsonBody(await onlyRequestFor(PROVIDERS.postmark.prefix, email));
    expect(body.From).toBe(encodedFrom);
    expect(body.To).toBe(encodedTo);
  });

  it("resend gets encoded-words", async () => {
    const email = newEmail({ from, to });
    await createMailAdapter(PROVIDERS.resend.config("resend-ok")).send(email);
    const body = jsonBody(await onlyRequestFor(PROVIDERS.resend.prefix, email));
    expect(body.from).toBe(encodedFrom);
    expect(body.to).toEqual([encodedTo]);
  });

  it("mailgun gets encoded-words", async () => {
    const email = newEmail({ from, to });
    await createMailAdapter(PROVIDERS.mailgun.config("mailgun-ok")).send(email);
    const form = await formFields(await onlyRequestFor(PROVIDERS.mailgun.prefix, email));
    expect(form.get("from")).toBe(encodedFrom);
    expect(form.get("to")).toBe(encodedTo);
  });

  it("sendgrid gets plain UTF-8 names", async () => {
    const email = newEmail({ from, to });
    await createMailAdapter(PROVIDERS.sendgrid.config("sendgrid-ok")).send(email);
    const body = jsonBody(await onlyRequestFor(PROVIDERS.sendgrid.prefix, email));
    expect(body.from.name).toBe("Siân Llewellyn-Jones");
    expect(body.personalizations[0].to[0].name).toBe("Zoë Brontë");
  });
});

describe("createMailAdapter config", () => {
  const hosts: Array<{ name: string; config: MailProviderConfig; url: string }> = [
    { name: "postmark", config: { provider: "postmark", serverToken: "t" }, url: "https://api.postmarkapp.com/email" },
    { name: "resend", config: { provider: "resend", apiKey: "re_x" }, url: "https://api.resend.com/emails" },
    { name: "sendgrid global", config: { provider: "sendgrid", apiKey: "SG.x" }, url: "https://api.sendgrid.com/v3/mail/send" },
    { name: "sendgrid eu", config: { provider: "sendgrid", apiKey: "SG.x", region: "eu" }, url: "https://api.eu.sendgrid.com/v3/mail/send" },
    { name: "mailgun us", config: { provider: "mailgun", apiKey: "k", domain: "mg.firm.example" }, url: "https://api.mailgun.net/v3/mg.firm.example/messages" },
    { name: "mailgun eu", config: { provider: "mailgun", apiKey: "k", domain: "mg.firm.example", region: "eu" }, url: "https://api.eu.mailgun.net/v3/mg.firm.example/messages" },
    {
      name: "baseUrl over region",
      config: { provider: "mailgun", apiKey: "k", domain: "mg.firm.example", region: "eu", baseUrl: "https://mailgun.proxy.example/" },
      url: "https://mailgun.proxy.example/v3/mg.firm.example/messages",
    },
  ];

  // A canned fetch stands in for the network, so these tests check the URL without contacting any real host.
  it.each(hosts)("$name default URL", async ({ config, url }) => {
    const { fetcher, urls } = cannedFetch(500, "");
    await sendError(createMailAdapter(config, fetcher), newEmail());
    expect(urls).toEqual([url]);
  });

  const invalid: Array<{ name: string; config: MailProviderConfig }> = [
    { name: "empty postmark token", config: { provider: "postmark", serverToken: "" } },
    { name: "blank resend key", config: { provider: "resend", apiKey: "  " } },
    { name: "empty mailgun domain", config: { provider: "mailgun", apiKey: "k", domain: "" } },
    { name: "mailgun domain with a path", config: { provider: "mailgun", apiKey: "k", domain: "mg.firm.example/../x" } },
    { name: "plain http to a remote host", config: { provider: "sendgrid", apiKey: "SG.x", baseUrl: "http://sendgrid.proxy.example" } },
    { name: "baseUrl that is not a URL", config: { provider: "resend", apiKey: "re_x", baseUrl: "api.resend.com" } },
    { name: "baseUrl with credentials", config: { provider: "resend", apiKey: "re_x", baseUrl: "https://user:pw@api.resend.com" } },
    { name: "zero timeout", config: { provider: "postmark", serverToken: "t", timeoutMs: 0 } },
    { name: "unknown provider", config: { provider: "sparkpost", apiKey: "k" } as unknown as MailProviderConfig },
  ];

  it.each(invalid)("$name throws MailConfigError", ({ config }) => {
    expect(() => createMailAdapter(config)).toThrow(MailConfigError);
  });

  it("config error needs attention", () => {
    let caught: unknown;
    try {
      createMailAdapter({ provider: "postmark", serverToken: "" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MailConfigError);
    expect((caught as MailConfigError).needsAttention).toBe(true);
    expect((caught as MailConfigError).retryable).toBe(false);
  });

  it("config error hides the key", () => {
    let caught: unknown;
    try {
      createMailAdapter({ provider: "resend", apiKey: "re_secret_value", baseUrl: "http://remote.example" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MailConfigError);
    expect((caught as MailConfigError).message).not.toContain("re_secret_value");
  });
});

describe("mail fakes reject malformed requests", () => {
  // These guard the fakes themselves: an adapter that built a broken request must get the provider's error back.
  const post = (path: string, headers: Record<string, string>, body: string) =>
    fetch(`${fakeBaseUrl()}${path}`, { method: "POST", headers, body });

  it("postmark without a body part answers ErrorCode 300", async () => {
    const response = await post(
      "/postmark/email",
      { "x-postmark-server-token": "postmark-ok", accept: "application/json", "content-type": "application/json" },
      JSON.stringify({ From: "a@firm.example", To: "b@example.org", Subject: "s" }),
    );
    expect(response.status).toBe(422);
    expect(((await response.json()) as { ErrorCode: number }).ErrorCode).toBe(300);
  });

  it("postmark without Accept answers ErrorCode 409", async () => {
    const response = await post(
      "/postmark/email",
      { "x-postmark-server-token": "postmark-ok", "content-type": "application/json" },
      JSON.stringify({ From: "a@firm.example", To: "b@example.org", TextBody: "t" }),
    );
    expect(((await response.json()) as { ErrorCode: number }).ErrorCode).toBe(409);
  });

  it("resend tag with a space answers 422", async () => {
    const response = await post(
      "/resend/emails",
      { authorization: "Bearer resend-ok", "content-type": "application/json" },
      JSON.stringify({ from: "a@firm.example", to: ["b@example.org"], subject: "s", text: "t", tags: [{ name: "bad name", value: "v" }] }),
    );
    expect(response.status).toBe(422);
  });

  it("resend without a key answers missing_api_key", async () => {
    const response = await post("/resend/emails", { "content-type": "application/json" }, "{}");
    expect(((await response.json()) as { name: string }).name).toBe("missing_api_key");
  });

  it("sendgrid html before text answers 400", async () => {
    const body = {
      personalizations: [{ to: [{ email: "b@example.org" }] }],
      from: { email: "a@firm.example" },
      subject: "s",
      content: [
        { type: "text/html", value: "<p>h</p>" },
        { type: "text/plain", value: "t" },
      ],
    };
    const response = await post("/sendgrid/v3/mail/send", { authorization: "Bearer sendgrid-ok", "content-type": "application/json" }, JSON.stringify(body));
    expect(response.status).toBe(400);
  });

  it("sendgrid reserved header answers 400", async () => {
    const body = {
      personalizations: [{ to: [{ email: "b@example.org" }] }],
      from: { email: "a@firm.example" },
      subject: "s",
      content: [{ type: "text/plain", value: "t" }],
      headers: { "X-SG-EID": "x" },
    };
    const response = await post("/sendgrid/v3/mail/send", { authorization: "Bearer sendgrid-ok", "content-type": "application/json" }, JSON.stringify(body));
    expect(response.status).toBe(400);
  });

  it("mailgun without text or html answers 400", async () => {
    const form = new URLSearchParams({ from: "a@firm.example", to: "b@example.org", subject: "s" });
    const response = await post(
      `/mailgun/v3/${MAILGUN_DOMAIN}/messages`,
      { authorization: `Basic ${btoa("api:mailgun-ok")}`, "content-type": "application/x-www-form-urlencoded" },
      form.toString(),
    );
    expect(response.status).toBe(400);
  });

  it("mailgun with a wrong user answers 401", async () => {
    const form = new URLSearchParams({ from: "a@firm.example", to: "b@example.org", subject: "s", text: "t" });
    const response = await post(
      `/mailgun/v3/${MAILGUN_DOMAIN}/messages`,
      { authorization: `Basic ${btoa("user:mailgun-ok")}`, "content-type": "application/x-www-form-urlencoded" },
      form.toString(),
    );
    expect(response.status).toBe(401);
  });
});
