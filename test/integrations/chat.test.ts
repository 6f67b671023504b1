import {
  ProviderError,
  SLACK_MAX_BLOCKS,
  TEAMS_PAYLOAD_BUDGET_BYTES,
  createChatAdapter,
  escapeTeamsMarkdown,
  validateSlackWebhookUrl,
  validateTeamsWebhookUrl,
  type ChatAdapter,
  type DigestAlert,
  type EnquiryAlert,
  type SlackMessage,
  type SlackText,
  type TeamsMessage,
} from "@plumbline/integrations";
import { describe, expect, it } from "vitest";
import { fakeBaseUrl, fakeRequests } from "../support/api";

const LINK = { url: "https://app.plumbline.test/opportunities/opp_1", label: "Open in Plumbline" };

const ENQUIRY: EnquiryAlert = {
  kind: "enquiry",
  title: "New enquiry: Probate",
  fields: [
    { label: "Name", value: "Jane Prospect" },
    { label: "Email", value: "jane@example.com" },
    { label: "Service", value: "Probate" },
  ],
  message: "My father died last month and I need help with the estate.",
  link: LINK,
};

const EMOJI = "😀";
const FAMILY = "👨‍👩‍👧";

/** Returns a webhook path on the local fakes. The last segment picks the fake's response and the id keeps tests apart. */
function webhookPath(provider: "slack" | "teams", behaviour: string): string {
  const id = crypto.randomUUID();
  return provider === "slack" ? `/slack/services/T0/${id}/${behaviour}` : `/teams/workflows/${id}/${behaviour}`;
}

function localAdapter(provider: "slack" | "teams", behaviour = "ok", options: { timeoutMs?: number } = {}) {
  const path = webhookPath(provider, behaviour);
  const adapter = createChatAdapter({
    provider,
    webhookUrl: `${fakeBaseUrl()}${path}`,
    allowedHosts: ["127.0.0.1"],
    allowInsecureHttp: true,
    ...options,
  });
  return { adapter, path };
}

async function recordedBody(path: string): Promise<string> {
  const requests = await fakeRequests(path);
  expect(requests).toHaveLength(1);
  return requests[0]!.body;
}

async function sendSlack(alert: EnquiryAlert | DigestAlert): Promise<SlackMessage> {
  const { adapter, path } = localAdapter("slack");
  await adapter.send(alert);
  return JSON.parse(await recordedBody(path)) as SlackMessage;
}

async function sendTeams(alert: EnquiryAlert | DigestAlert): Promise<{ message: TeamsMessage; bytes: number }> {
  const { adapter, path } = localAdapter("teams");
  await adapter.send(alert);
  const body = await recordedBody(path);
  return { message: JSON.parse(body) as TeamsMessage, bytes: new TextEncoder().encode(body).byteLength };
}

async function sendError(adapter: ChatAdapter, alert: EnquiryAlert | DigestAlert = ENQUIRY): Promise<ProviderError> {
  try {
    await adapter.send(alert);
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error("expected the send to fail");
}

/** Returns the text of a section block that has `text`, or of a context block. */
function blockText(message: SlackMessage, index: number): string {
  const block = message.blocks[index];
  if (!block) throw new Error(`no block ${index}`);
  if (block.type === "context") return block.elements[0]!.text;
  if ("fields" in block) throw new Error(`block ${index} has fields`);
  return block.text.text;
}

function fieldTexts(message: SlackMessage, index: number): string[] {
  const block = message.blocks[index];
  if (!block || block.type !== "section" || !("fields" in block)) throw new Error(`block ${index} has no fields`);
  return block.fields.map((field) => field.text);
}

function totalSlackText(message: SlackMessage): number {
  return message.blocks.reduce((sum, block) => {
    if (block.type === "context") return sum + block.elements.reduce((inner, element) => inner + element.text.length, 0);
    if ("fields" in block) return sum + block.fields.reduce((inner, field) => inner + field.text.length, 0);
    return sum + block.text.text.length;
  }, 0);
}

function cardBody(message: TeamsMessage) {
  return message.attachments[0]!.content.body;
}

function textBlockText(message: TeamsMessage, index: number): string {
  const block = cardBody(message)[index];
  if (!block || block.type !== "TextBlock") throw new Error(`body item ${index} is not a TextBlock`);
  return block.text;
}

function facts(message: TeamsMessage) {
  const block = cardBody(message).find((item) => item.type === "FactSet");
  if (!block || block.type !== "FactSet") throw new Error("no FactSet");
  return block.facts;
}

function digest(count: number): DigestAlert {
  return {
    kind: "digest",
    title: `${count} new enquiries`,
    items: Array.from({ length: count }, (_, index) => ({
      title: `New enquiry: Person ${index}`,
      summary: `Name: Person ${index} · Email: person${index}@example.com · Service: Probate`,
      link: { url: `https://app.plumbline.test/opportunities/opp_${index}`, label: "Open" },
    })),
  };
}

describe("slack message", () => {
  it("normal alert sends exact JSON", async () => {
    const { adapter, path } = localAdapter("slack");
    const result = await adapter.send(ENQUIRY);

    const expected = {
      text: "New enquiry: Probate",
      blocks: [
        { type: "section", text: { type: "mrkdwn", text: "*New enquiry: Probate*", verbatim: true } },
        {
          type: "section",
          fields: [
            { type: "mrkdwn", text: "*Name*\nJane Prospect", verbatim: true },
            { type: "mrkdwn", text: "*Email*\njane@example.com", verbatim: true },
            { type: "mrkdwn", text: "*Service*\nProbate", verbatim: true },
          ],
        },
        { type: "section", text: { type: "mrkdwn", text: "My father died last month and I need help with the estate.", verbatim: true } },
        { type: "section", text: { type: "mrkdwn", text: "<https://app.plumbline.test/opportunities/opp_1|Open in Plumbline>", verbatim: true } },
      ],
    };
    expect(result).toEqual({ provider: "slack" });
    expect(await recordedBody(path)).toBe(JSON.stringify(expected));
  });

  it("sends JSON content type", async () => {
    const { adapter, path } = localAdapter("slack");
    await adapter.send(ENQUIRY);
    const [request] = await fakeRequests(path);
    expect(request?.headers["content-type"]).toContain("application/json");
  });

  it("escapes mentions, links and ampersands", async () => {
    const message = await sendSlack({
      ...ENQUIRY,
      fields: [
        { label: "A", value: "<!channel>" },
        { label: "B", value: "<@U1>" },
        { label: "C", value: "<https://x.example|y>" },
        { label: "D", value: "Smith & Sons" },
      ],
      message: "<!here> please call",
    });
    const texts = fieldTexts(message, 1);

    expect(texts[0]).toBe("*A*\n&lt;!channel&gt;");
    expect(texts[1]).toBe("*B*\n&lt;@U1&gt;");
    expect(texts[2]).toBe("*C*\n&lt;https://x.example|y&gt;");
    expect(texts[3]).toBe("*D*\nSmith &amp; Sons");
    expect(blockText(message, 2)).toBe("&lt;!here&gt; please call");
  });

  it("escapes fallback text and title", async () => {
    const message = await sendSlack({ ...ENQUIRY, title: "New enquiry <!channel> & co" });
    expect(message.text).toBe("New enquiry &lt;!channel&gt; &amp; co");
    expect(blockText(message, 0)).toBe("*New enquiry &lt;!channel&gt; &amp; co*");
  });

  it("title cannot close our bold", async () => {
    const message = await sendSlack({ ...ENQUIRY, title: "Jane* `x`\nSmith" });
    expect(blockText(message, 0)).toBe("*Jane\u2217 \u02CBx\u02CB Smith*");
  });

  it("label cannot close our bold", async () => {
    const message = await sendSlack({ ...ENQUIRY, fields: [{ label: "Na*me", value: "*bold*" }] });
    expect(fieldTexts(message, 1)[0]).toBe("*Na\u2217me*\n*bold*");
  });

  it("marks every text object verbatim", async () => {
    const message = await sendSlack(ENQUIRY);
    for (const block of message.blocks) {
      let objects: SlackText[];
      if (block.type === "context") objects = block.elements;
      else if ("fields" in block) objects = block.fields;
      else objects = [block.text];
      for (const object of objects) expect(object.verbatim).toBe(true);
    }
  });

  it("removes bidi overrides", async () => {
    const message = await sendSlack({ ...ENQUIRY, message: "pay \u202Emoc.live\u202C now" });
    expect(blockText(message, 2)).toBe("pay moc.live now");
  });

  it("cuts 4,000 emoji on a code point boundary", async () => {
    const message = await sendSlack({ ...ENQUIRY, message: EMOJI.repeat(4000) });
    const text = blockText(message, 2);

    expect(text.length).toBe(2999);
    expect(text.endsWith("…")).toBe(true);
    expect(text.isWellFormed()).toBe(true);
    expect(Array.from(text.slice(0, -1)).every((character) => character === EMOJI)).toBe(true);
  });

  it("cuts joined emoji whole", async () => {
    const message = await sendSlack({ ...ENQUIRY, message: FAMILY.repeat(1000) });
    expect(blockText(message, 2)).toBe(`${FAMILY.repeat(374)}…`);
  });

  it("keeps skin tones with their emoji", async () => {
    const message = await sendSlack({ ...ENQUIRY, message: "👍🏽".repeat(1000) });
    expect(blockText(message, 2)).toBe(`${"👍🏽".repeat(749)}…`);
  });

  it("keeps accents with their letter", async () => {
    const message = await sendSlack({ ...ENQUIRY, message: "e\u0301".repeat(2000) });
    expect(blockText(message, 2)).toBe(`${"e\u0301".repeat(1499)}…`);
  });

  it("cuts a megabyte message quickly", async () => {
    const started = performance.now();
    const message = await sendSlack({ ...ENQUIRY, message: "a".repeat(1_000_000) });
    expect(blockText(message, 2)).toBe(`${"a".repeat(2999)}…`);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("replaces lone surrogates", async () => {
    const message = await sendSlack({ ...ENQUIRY, message: "broken \ud83d text" });
    expect(blockText(message, 2)).toBe("broken \ufffd text");
  });

  it("never splits an escaped ampersand", async () => {
    const message = await sendSlack({ ...ENQUIRY, message: "&".repeat(1000) });
    expect(blockText(message, 2)).toBe(`${"&amp;".repeat(599)}…`);
  });

  it("cuts a field to 2,000 characters", async () => {
    const message = await sendSlack({ ...ENQUIRY, fields: [{ label: "Notes", value: "a".repeat(2500) }] });
    const text = fieldTexts(message, 1)[0]!;
    expect(text.length).toBe(2000);
    expect(text.endsWith("a…")).toBe(true);
  });

  it("splits more than ten fields", async () => {
    const fields = Array.from({ length: 12 }, (_, index) => ({ label: `F${index}`, value: `v${index}` }));
    const message = await sendSlack({ ...ENQUIRY, fields });
    expect(fieldTexts(message, 1)).toHaveLength(10);
    expect(fieldTexts(message, 2)).toHaveLength(2);
  });

  it("keeps total text within budget", async () => {
    const fields = Array.from({ length: 10 }, (_, index) => ({ label: `F${index}`, value: "b".repeat(1900) }));
    const message = await sendSlack({ ...ENQUIRY, fields, message: "m".repeat(3000) });
    expect(totalSlackText(message)).toBeLessThanOrEqual(12_000);
    expect(blockText(message, 2).endsWith("…")).toBe(true);
  });

  it("folds fields beyond 50 blocks", async () => {
    const fields = Array.from({ length: 600 }, (_, index) => ({ label: `F${index}`, value: `v${index}` }));
    const message = await sendSlack({ ...ENQUIRY, fields });
    const lastFields = fieldTexts(message, message.blocks.length - 3);

    expect(message.blocks.length).toBeLessThanOrEqual(SLACK_MAX_BLOCKS);
    expect(lastFields[lastFields.length - 1]).toMatch(/^and \d+ more$/);
  });

  it("shows an empty value as a dash", async () => {
    const message = await sendSlack({ ...ENQUIRY, fields: [{ label: "Phone", value: "  " }] });
    expect(fieldTexts(message, 1)[0]).toBe("*Phone*\n—");
  });

  it("omits an empty message", async () => {
    const { message: _omitted, ...withoutMessage } = ENQUIRY;
    const message = await sendSlack(withoutMessage);
    expect(message.blocks).toHaveLength(3);
  });

  it("digest folds overflow into and N more", async () => {
    const message = await sendSlack(digest(120));
    expect(message.blocks).toHaveLength(SLACK_MAX_BLOCKS);
    expect(blockText(message, SLACK_MAX_BLOCKS - 1)).toBe("and 72 more");
  });

  it("digest lists items as links", async () => {
    const message = await sendSlack(digest(2));
    expect(blockText(message, 1)).toBe(
      "*<https://app.plumbline.test/opportunities/opp_0|New enquiry: Person 0>*\nName: Person 0 · Email: person0@example.com · Service: Probate",
    );
  });

  it("digest escapes item text", async () => {
    const alert = digest(1);
    alert.items[0] = { ...alert.items[0]!, title: "<!channel> *x*", summary: "a & <@U1>" };
    const message = await sendSlack(alert);
    expect(blockText(message, 1)).toBe("*<https://app.plumbline.test/opportunities/opp_0|&lt;!channel&gt; \u2217x\u2217>*\na &amp; &lt;@U1&gt;");
  });

  it("rejects a link that is not http", async () => {
    const { adapter } = localAdapter("slack");
    const error = await sendError(adapter, { ...ENQUIRY, link: { url: "javascript:alert(1)", label: "x" } });
    expect(error.options.providerCode).toBe("invalid_link");
    expect(error.retryable).toBe(false);
  });
});

describe("slack errors", () => {
  const cases = [
    { behaviour: "channel_not_found", status: 404, retryable: false, needsAttention: true, code: "channel_not_found" },
    { behaviour: "channel_is_archived", status: 410, retryable: false, needsAttention: true, code: "channel_is_archived" },
    { behaviour: "no_service", status: 404, retryable: false, needsAttention: true, code: "no_service" },
    { behaviour: "no_team", status: 404, retryable: false, needsAttention: true, code: "no_team" },
    { behaviour: "team_disabled", status: 403, retryable: false, needsAttention: true, code: "team_disabled" },
    { behaviour: "invalid_token", status: 403, retryable: false, needsAttention: true, code: "invalid_token" },
    { behaviour: "action_prohibited", status: 403, retryable: false, needsAttention: true, code: "action_prohibited" },
    { behaviour: "invalid_payload", status: 400, retryable: false, needsAttention: false, code: "invalid_payload" },
    { behaviour: "limited", status: 429, retryable: true, needsAttention: false, code: "rate_limited" },
    { behaviour: "down", status: 500, retryable: true, needsAttention: false, code: "rollup_error" },
  ];

  it.each(cases)("$behaviour maps to its flags", async ({ behaviour, status, retryable, needsAttention, code }) => {
    const error = await sendError(localAdapter("slack", behaviour).adapter);
    expect(error.retryable).toBe(retryable);
    expect(error.needsAttention).toBe(needsAttention);
    expect(error.options.status).toBe(status);
    expect(error.options.providerCode).toBe(code);
  });

  it("429 keeps Retry-After", async () => {
    const error = await sendError(localAdapter("slack", "limited").adapter);
    expect(error.options.retryAfterSeconds).toBe(3);
  });

  it("timeout is retryable", async () => {
    const error = await sendError(localAdapter("slack", "hang", { timeoutMs: 200 }).adapter);
    expect(error.retryable).toBe(true);
    expect(error.options.providerCode).toBe("timeout");
  });

  it("network failure is retryable", async () => {
    const failing: typeof fetch = async () => {
      throw new TypeError("connection refused");
    };
    const adapter = createChatAdapter({ provider: "slack", webhookUrl: "https://hooks.slack.com/services/T0/B0/x" }, failing);
    const error = await sendError(adapter);
    expect(error.retryable).toBe(true);
    expect(error.options.providerCode).toBe("network_error");
  });

  it("200 without ok is not success", async () => {
    const odd: typeof fetch = async () => new Response("<html>captive portal</html>", { status: 200 });
    const adapter = createChatAdapter({ provider: "slack", webhookUrl: "https://hooks.slack.com/services/T0/B0/x" }, odd);
    const error = await sendError(adapter);
    expect(error.retryable).toBe(false);
    expect(error.options.providerCode).toBe("http_200");
  });

  it("invalid shape is rejected by the fake", async () => {
    const response = await fetch(`${fakeBaseUrl()}${webhookPath("slack", "ok")}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ blocks: [{ type: "section", text: { type: "mrkdwn", text: "x".repeat(3001) } }] }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toBe("invalid_payload");
  });
});

describe("teams card", () => {
  it("normal alert sends exact JSON", async () => {
    const { adapter, path } = localAdapter("teams");
    const result = await adapter.send(ENQUIRY);

    const expected = {
      type: "message",
      attachments: [
        {
          contentType: "application/vnd.microsoft.card.adaptive",
          contentUrl: null,
          content: {
            type: "AdaptiveCard",
            $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
            version: "1.4",
            body: [
              { type: "TextBlock", text: "New enquiry: Probate", weight: "Bolder", size: "Medium", wrap: true },
              {
                type: "FactSet",
                facts: [
                  { title: "Name", value: "Jane Prospect" },
                  { title: "Email", value: "jane@example.com" },
                  { title: "Service", value: "Probate" },
                ],
              },
              { type: "TextBlock", text: "My father died last month and I need help with the estate.", wrap: true },
            ],
            actions: [{ type: "Action.OpenUrl", title: "Open in Plumbline", url: "https://app.plumbline.test/opportunities/opp_1" }],
          },
        },
      ],
    };
    expect(result).toEqual({ provider: "teams" });
    expect(await recordedBody(path)).toBe(JSON.stringify(expected));
  });

  it.each([
    ["[click](https://evil.example)", "\\[click\\](https://evil.example)"],
    ["**bold**", "\\*\\*bold\\*\\*"],
    ["jane_doe@example.com", "jane\\_doe@example.com"],
    ["~gone~ `code`", "\\~gone\\~ \\`code\\`"],
    ["<https://x.example>", "\\<https://x.example\\>"],
    ["- item", "\\- item"],
    ["  + item", "  \\+ item"],
    ["1. first", "1\\. first"],
    ["12) first", "12\\) first"],
    ["# heading", "\\# heading"],
    ["Flat 2-3, No. 4.5 - ok", "Flat 2-3, No. 4.5 - ok"],
    ["one\ntwo", "one\n\ntwo"],
    ["a\\b", "a\\\\b"],
    ["{{DATE(2030-01-01T00:00:00Z, SHORT)}}", "{\u2060{DATE(2030-01-01T00:00:00Z, SHORT)}}"],
  ])("markdown escape of %j", (input, expected) => {
    expect(escapeTeamsMarkdown(input)).toBe(expected);
  });

  it("escapes user text in the card", async () => {
    const { message } = await sendTeams({
      ...ENQUIRY,
      title: "New enquiry: **Jane**",
      fields: [{ label: "[Name](https://evil.example)", value: "[Jane](https://evil.example)" }],
      message: "See [here](https://evil.example)",
    });

    expect(textBlockText(message, 0)).toBe("New enquiry: \\*\\*Jane\\*\\*");
    expect(facts(message)[0]?.title).toBe("\\[Name\\](https://evil.example)");
    expect(facts(message)[0]?.value).toBe("\\[Jane\\](https://evil.example)");
    expect(textBlockText(message, 2)).toBe("See \\[here\\](https://evil.example)");
  });

  it("40 KB message fits the size cap", async () => {
    const text = "Ünïcödé 😀 text ".repeat(2200);
    expect(new TextEncoder().encode(text).byteLength).toBeGreaterThan(40_000);

    const { message, bytes } = await sendTeams({ ...ENQUIRY, message: text });
    const sent = textBlockText(message, 2);

    expect(bytes).toBeLessThanOrEqual(TEAMS_PAYLOAD_BUDGET_BYTES);
    expect(sent.endsWith("…")).toBe(true);
    expect(sent.isWellFormed()).toBe(true);
    expect(facts(message)).toEqual(ENQUIRY.fields.map((field) => ({ title: field.label, value: field.value })));
  });

  it("8,000 emoji stay whole when cut", async () => {
    const { message } = await sendTeams({ ...ENQUIRY, message: EMOJI.repeat(8000) });
    const sent = textBlockText(message, 2);
    expect(sent.isWellFormed()).toBe(true);
    expect(Array.from(sent.slice(0, -1)).every((character) => character === EMOJI)).toBe(true);
  });

  it("shrinks fields after the message", async () => {
    const fields = Array.from({ length: 30 }, (_, index) => ({ label: `F${index}`, value: "v".repeat(2000) }));
    const { message, bytes } = await sendTeams({ ...ENQUIRY, fields, message: "m".repeat(10_000) });
    expect(bytes).toBeLessThanOrEqual(TEAMS_PAYLOAD_BUDGET_BYTES);
    expect(facts(message)[0]?.value.endsWith("…")).toBe(true);
  });

  it("drops fields that cannot fit", async () => {
    const fields = Array.from({ length: 600 }, (_, index) => ({ label: `Field ${index}`, value: "x".repeat(50) }));
    const { message, bytes } = await sendTeams({ ...ENQUIRY, fields });
    const sentFacts = facts(message);

    expect(bytes).toBeLessThanOrEqual(TEAMS_PAYLOAD_BUDGET_BYTES);
    expect(sentFacts[sentFacts.length - 1]?.value).toBe(`and ${600 - (sentFacts.length - 1)} more`);
  });

  it("cuts a megabyte message quickly", async () => {
    const started = performance.now();
    const { message, bytes } = await sendTeams({ ...ENQUIRY, message: "a".repeat(1_000_000) });
    expect(bytes).toBeLessThanOrEqual(TEAMS_PAYLOAD_BUDGET_BYTES);
    expect(textBlockText(message, 2).endsWith("a…")).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("digest drops items into and N more", async () => {
    const { message, bytes } = await sendTeams(digest(500));
    const body = cardBody(message);
    const last = body[body.length - 1];
    const shownItems = (body.length - 2) / 2;

    expect(bytes).toBeLessThanOrEqual(TEAMS_PAYLOAD_BUDGET_BYTES);
    expect(last?.type === "TextBlock" ? last.text : "").toBe(`and ${500 - shownItems} more`);
  });

  it("digest links escape titles", async () => {
    const alert = digest(1);
    alert.items[0] = { ...alert.items[0]!, title: "[x](https://evil.example)" };
    const { message } = await sendTeams(alert);
    expect(textBlockText(message, 1)).toBe("[\\[x\\](https://evil.example)](https://app.plumbline.test/opportunities/opp_0)");
  });
});

describe("teams errors", () => {
  const cases = [
    { behaviour: "unauthorized", status: 401, retryable: false, needsAttention: true },
    { behaviour: "action_prohibited", status: 403, retryable: false, needsAttention: true },
    { behaviour: "channel_not_found", status: 404, retryable: false, needsAttention: true },
    { behaviour: "invalid_payload", status: 400, retryable: false, needsAttention: false },
    { behaviour: "too_large", status: 413, retryable: false, needsAttention: false },
    { behaviour: "limited", status: 429, retryable: true, needsAttention: false },
    { behaviour: "down", status: 500, retryable: true, needsAttention: false },
  ];

  it.each(cases)("$behaviour maps to its flags", async ({ behaviour, status, retryable, needsAttention }) => {
    const error = await sendError(localAdapter("teams", behaviour).adapter);
    expect(error.retryable).toBe(retryable);
    expect(error.needsAttention).toBe(needsAttention);
    expect(error.options.status).toBe(status);
  });

  it("keeps the Azure error code", async () => {
    const error = await sendError(localAdapter("teams", "channel_not_found").adapter);
    expect(error.options.providerCode).toBe("channel_not_found");
  });

  it("429 keeps Retry-After", async () => {
    const error = await sendError(localAdapter("teams", "limited").adapter);
    expect(error.options.retryAfterSeconds).toBe(3);
  });

  it("timeout is retryable", async () => {
    const error = await sendError(localAdapter("teams", "hang", { timeoutMs: 200 }).adapter);
    expect(error.retryable).toBe(true);
    expect(error.options.providerCode).toBe("timeout");
  });

  it("network failure is retryable", async () => {
    const failing: typeof fetch = async () => {
      throw new TypeError("connection reset");
    };
    const adapter = createChatAdapter(
      { provider: "teams", webhookUrl: "https://prod-01.uksouth.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=x" },
      failing,
    );
    const error = await sendError(adapter);
    expect(error.retryable).toBe(true);
    expect(error.options.providerCode).toBe("network_error");
  });

  it("oversized body gets 413 from the fake", async () => {
    const response = await fetch(`${fakeBaseUrl()}${webhookPath("teams", "ok")}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "message", attachments: [], padding: "x".repeat(28_001) }),
    });
    expect(response.status).toBe(413);
  });

  it("bare text body gets 400 from the fake", async () => {
    const response = await fetch(`${fakeBaseUrl()}${webhookPath("teams", "ok")}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "hello" }),
    });
    expect(response.status).toBe(400);
  });
});

describe("teams webhook URL", () => {
  const LOGIC_APPS = "https://prod-01.uksouth.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=x";
  const POWER_PLATFORM =
    "https://default0a1b.2c.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=x";

  it.each([
    ["https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456", "retired_connector"],
    ["https://outlook.office.com/webhook/abc@def/IncomingWebhook/123/456", "retired_connector"],
    ["https://outlook.office365.com/webhook/abc@def/IncomingWebhook/123/456", "retired_connector"],
    ["http://prod-01.uksouth.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=x", "not_https"],
    ["https://evil.example/workflows/abc", "host_not_allowed"],
    ["https://logic.azure.com.evil.example/workflows/abc", "host_not_allowed"],
    ["https://evillogic.azure.com/workflows/abc", "host_not_allowed"],
    ["https://user:secret@prod-01.uksouth.logic.azure.com/workflows/abc", "has_credentials"],
    ["not a url", "invalid_url"],
    ["http://127.0.0.1:8787/teams/workflows/abc/ok", "not_https"],
  ])("rejects %s", (url, reason) => {
    const result = validateTeamsWebhookUrl(url);
    expect(result.ok).toBe(false);
    expect(result.ok ? undefined : result.reason).toBe(reason);
  });

  it("connector message says to use Workflows", () => {
    const result = validateTeamsWebhookUrl("https://contoso.webhook.office.com/webhookb2/abc");
    expect(result.ok ? "" : result.message).toContain("Workflows");
  });

  it.each([LOGIC_APPS, POWER_PLATFORM])("accepts %s", (url) => {
    expect(validateTeamsWebhookUrl(url).ok).toBe(true);
  });

  it("allows local http only when asked", () => {
    const local = "http://127.0.0.1:8787/teams/workflows/abc/ok";
    expect(validateTeamsWebhookUrl(local, ["127.0.0.1"], { allowHttp: true }).ok).toBe(true);
    expect(validateTeamsWebhookUrl(local, ["127.0.0.1"]).ok).toBe(false);
  });

  it("factory rejects connector URL", () => {
    let thrown: unknown;
    try {
      createChatAdapter({ provider: "teams", webhookUrl: "https://contoso.webhook.office.com/webhookb2/abc" });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProviderError);
    expect((thrown as ProviderError).needsAttention).toBe(true);
    expect((thrown as ProviderError).options.providerCode).toBe("retired_connector");
  });

  it("extra hosts add to the defaults", () => {
    const create = () => createChatAdapter({ provider: "teams", webhookUrl: LOGIC_APPS, extraAllowedHosts: ["127.0.0.1"] });
    expect(create).not.toThrow();
  });
});

describe("slack webhook URL", () => {
  it.each([
    ["http://hooks.slack.com/services/T0/B0/x", "not_https"],
    ["https://hooks.slack.com/triggers/T0/1/x", "not_incoming_webhook"],
    ["https://hooks.slack.com.evil.example/services/T0/B0/x", "host_not_allowed"],
  ])("rejects %s", (url, reason) => {
    const result = validateSlackWebhookUrl(url);
    expect(result.ok ? undefined : result.reason).toBe(reason);
  });

  it("accepts an incoming webhook", () => {
    expect(validateSlackWebhookUrl("https://hooks.slack.com/services/T0/B0/x").ok).toBe(true);
  });
});
