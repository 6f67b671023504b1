import {
  classifyInbound,
  decodeBytes,
  decodeEncodedWords,
  detectForward,
  InvalidInboundError,
  MultipartError,
  normaliseMailgunInbound,
  normalisePostalMimeEmail,
  normalisePostmarkInbound,
  parseAddressList,
  parseHeaderBlock,
  parseMailDate,
  parseMultipartFormData,
  parseSendGridInbound,
  readMessageId,
  readMessageIds,
  splitReply,
  TRUNCATION_MARKER,
  truncateForTimeline,
  type AutoSubmittedSignals,
  type InboundMessage,
  type PostalMimeEmail,
} from "@plumbline/integrations";
import { describe, expect, it } from "vitest";
import appleForward from "../fixtures/mail/apple-mail-forward.txt?raw";
import appleReply from "../fixtures/mail/apple-mail-reply.txt?raw";
import cloudflareOutOfOfficeFr from "../fixtures/mail/cloudflare-out-of-office-fr.json";
import frenchGmailReply from "../fixtures/mail/french-gmail-reply.txt?raw";
import frenchOutlookReply from "../fixtures/mail/french-outlook-reply.txt?raw";
import germanGmailReply from "../fixtures/mail/german-gmail-reply.txt?raw";
import germanOutlookReply from "../fixtures/mail/german-outlook-reply.txt?raw";
import gmailForward from "../fixtures/mail/gmail-forward.txt?raw";
import gmailReply from "../fixtures/mail/gmail-reply.txt?raw";
import mailgunOutOfOfficeDe from "../fixtures/mail/mailgun-out-of-office-de.json";
import outlookForward from "../fixtures/mail/outlook-forward.txt?raw";
import outlookOriginalMessage from "../fixtures/mail/outlook-original-message.txt?raw";
import outlookReply from "../fixtures/mail/outlook-reply.txt?raw";
import postmarkDsn from "../fixtures/mail/postmark-dsn.json";
import postmarkReply from "../fixtures/mail/postmark-inbound-reply.json";
import postmarkOutOfOffice from "../fixtures/mail/postmark-out-of-office.json";

const encoder = new TextEncoder();

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

function ascii(text: string): Uint8Array {
  return encoder.encode(text);
}

function join(...parts: Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

interface TestPart {
  name: string;
  value: Uint8Array | string;
  filename?: string;
  contentType?: string;
}

/** Builds a multipart/form-data body byte by byte, as SendGrid sends it, with CRLF line ends unless `lineEnd` is given. */
function buildMultipart(parts: TestPart[], boundary: string, lineEnd = "\r\n"): Uint8Array {
  const chunks: Uint8Array[] = [ascii(`preamble to ignore${lineEnd}`)];
  for (const part of parts) {
    const filename = part.filename === undefined ? "" : `; filename="${part.filename}"`;
    const type = part.contentType === undefined ? "" : `${lineEnd}Content-Type: ${part.contentType}`;
    chunks.push(ascii(`--${boundary}${lineEnd}Content-Disposition: form-data; name="${part.name}"${filename}${type}${lineEnd}${lineEnd}`));
    chunks.push(typeof part.value === "string" ? ascii(part.value) : part.value);
    chunks.push(ascii(lineEnd));
  }
  chunks.push(ascii(`--${boundary}--${lineEnd}`));
  return join(...chunks);
}

// "Renée" in iso-8859-1: é is 0xE9.
const RENEE_LATIN1 = join(ascii("Re: Ren"), bytes(0xe9), ascii("e's probate"));
// Curly quotes in windows-1252: 0x93 and 0x94 around "yes", and the euro sign 0x80.
const QUOTES_CP1252 = join(ascii("She said "), bytes(0x93), ascii("yes"), bytes(0x94), ascii(" to the "), bytes(0x80), ascii("500 fee."));
// "日本" in iso-2022-jp: ESC $ B, two JIS X 0208 characters, ESC ( B.
const NIHON_ISO2022 = join(ascii("<p>"), bytes(0x1b, 0x24, 0x42, 0x46, 0x7c, 0x4b, 0x5c, 0x1b, 0x28, 0x42), ascii("</p>"));
const PDF_BYTES = join(ascii("%PDF-1.4\n"), bytes(0x00, 0xff, 0x0d, 0x0a, 0x2d, 0x2d), ascii("\n%%EOF"));

const SENDGRID_HEADERS = [
  "Received: by mx0047p1mdw1.sendgrid.net with SMTP id 6WCVv7KAWn",
  "Received: from mail.example.org (mail.example.org [192.0.2.10])",
  "\tby mx0047p1mdw1.sendgrid.net (Postfix) with ESMTPS id 1A2B3C",
  "From: =?iso-8859-1?Q?Ren=E9e_Martin?= <renee@example.org>",
  "To: log@parse.hartleycole.example",
  "Subject: =?iso-8859-1?Q?Re:_Ren=E9e's_probate?=",
  "Message-ID: <r2@mail.example.org>",
  "In-Reply-To: <m1@mail.hartleycole.example>",
  "References: <m0@mail.hartleycole.example>",
  " <m1@mail.hartleycole.example>",
  "Date: Wed, 15 Jan 2025 18:03:00 +0100",
  "Content-Type: multipart/mixed; boundary=\"inner\"",
  "",
].join("\n");

const BOUNDARY = "xYzZY";
const SENDGRID_CONTENT_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

const CHARSETS = { to: "UTF-8", html: "iso-2022-jp", subject: "iso-8859-1", from: "iso-8859-1", text: "windows-1252", cc: "UTF-8" };

function charsetsPart(overrides: Record<string, string> = {}): TestPart {
  return { name: "charsets", value: JSON.stringify({ ...CHARSETS, ...overrides }) };
}

function sendGridParts(overrides: Partial<Record<string, TestPart>> = {}): TestPart[] {
  const parts: Record<string, TestPart> = {
    headers: { name: "headers", value: SENDGRID_HEADERS },
    dkim: { name: "dkim", value: "{@example.org : pass}" },
    "content-ids": { name: "content-ids", value: "{}" },
    to: { name: "to", value: "log@parse.hartleycole.example" },
    cc: { name: "cc", value: '"Cole, Sam" <sam@hartleycole.example>, tom@hartleycole.example' },
    html: { name: "html", value: NIHON_ISO2022 },
    from: { name: "from", value: join(ascii("Ren"), bytes(0xe9), ascii("e Martin <renee@example.org>")) },
    text: { name: "text", value: QUOTES_CP1252 },
    sender_ip: { name: "sender_ip", value: "192.0.2.10" },
    envelope: { name: "envelope", value: '{"to":["log@parse.hartleycole.example"],"from":"renee@example.org"}' },
    attachments: { name: "attachments", value: "1" },
    subject: { name: "subject", value: RENEE_LATIN1 },
    "attachment-info": { name: "attachment-info", value: '{"attachment1":{"filename":"will.pdf","name":"will.pdf","type":"application/pdf"}}' },
    charsets: charsetsPart(),
    SPF: { name: "SPF", value: "pass" },
    attachment1: { name: "attachment1", value: PDF_BYTES, filename: "will.pdf", contentType: "application/pdf" },
  };
  return Object.values({ ...parts, ...overrides }).filter((part): part is TestPart => part !== undefined);
}

function signals(overrides: Partial<AutoSubmittedSignals> = {}): AutoSubmittedSignals {
  return { autoSubmitted: null, autoResponseSuppress: null, precedence: null, autoReply: null, deliveryStatusReport: false, ...overrides };
}

function humanMessage(overrides: Partial<Pick<InboundMessage, "from" | "subject" | "text" | "autoSubmitted">> = {}) {
  return {
    from: { email: "jane@example.org", name: "Jane Prospect" },
    subject: "Re: We have your enquiry",
    text: "Thursday works for me.",
    autoSubmitted: signals(),
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------------------------

describe("TextDecoder in workerd", () => {
  const cases: Array<[string, Uint8Array, string]> = [
    ["iso-2022-jp", bytes(0x1b, 0x24, 0x42, 0x46, 0x7c, 0x4b, 0x5c, 0x1b, 0x28, 0x42), "日本"],
    ["windows-1252", bytes(0x93, 0x68, 0x94, 0x80), "\u201ch\u201d\u20ac"],
    ["iso-8859-1", bytes(0x52, 0x65, 0x6e, 0xe9, 0x65), "Renée"],
    ["shift_jis", bytes(0x93, 0xfa, 0x96, 0x7b), "日本"],
    ["gb18030", bytes(0xd6, 0xd0, 0xce, 0xc4), "中文"],
  ];
  for (const [label, input, expected] of cases) {
    it(`decodes ${label}`, () => {
      expect(new TextDecoder(label).decode(input)).toBe(expected);
    });
  }
});

describe("decodeBytes", () => {
  it("falls back to UTF-8 for an unknown label", () => {
    const decoded = decodeBytes(ascii("plain"), "x-mac-klingon");
    expect(decoded.text).toBe("plain");
    expect(decoded.supported).toBe(false);
    expect(decoded.encoding).toBe("utf-8");
  });

  it("reports replaced bytes", () => {
    const decoded = decodeBytes(bytes(0x52, 0xe9), "utf-8");
    expect(decoded.text).toBe("R\ufffd");
    expect(decoded.replaced).toBe(true);
  });

  it("accepts a quoted label", () => {
    expect(decodeBytes(bytes(0xe9), '"ISO-8859-1"').text).toBe("é");
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe("parseMultipartFormData", () => {
  it("keeps binary parts byte for byte", () => {
    const parts = parseMultipartFormData(buildMultipart(sendGridParts(), BOUNDARY), SENDGRID_CONTENT_TYPE);
    const file = parts.find((part) => part.name === "attachment1")!;
    expect([...file.body]).toEqual([...PDF_BYTES]);
  });

  it("reads a quoted boundary", () => {
    const body = buildMultipart([{ name: "a", value: "1" }], "b:1 2");
    expect(parseMultipartFormData(body, 'multipart/form-data; boundary="b:1 2"')).toHaveLength(1);
  });

  it("reads LF line ends", () => {
    const parts = parseMultipartFormData(buildMultipart([{ name: "a", value: "1" }, { name: "b", value: "two\nlines" }], BOUNDARY, "\n"), SENDGRID_CONTENT_TYPE);
    expect(new TextDecoder().decode(parts[1]!.body)).toBe("two\nlines");
  });

  it("ignores a boundary inside a line", () => {
    const parts = parseMultipartFormData(buildMultipart([{ name: "a", value: `see --${BOUNDARY} here` }], BOUNDARY), SENDGRID_CONTENT_TYPE);
    expect(new TextDecoder().decode(parts[0]!.body)).toBe(`see --${BOUNDARY} here`);
  });

  it("decodes an RFC 5987 filename", () => {
    const body = join(
      ascii(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="attachment1"; filename*=UTF-8''Ren%C3%A9e.pdf\r\n\r\n%PDF\r\n`),
      ascii(`--${BOUNDARY}--\r\n`),
    );
    expect(parseMultipartFormData(body, SENDGRID_CONTENT_TYPE)[0]!.filename).toBe("Renée.pdf");
  });

  it("rejects a content type without boundary", () => {
    expect(() => parseMultipartFormData(ascii(""), "multipart/form-data")).toThrow(MultipartError);
  });

  it("rejects another content type", () => {
    expect(() => parseMultipartFormData(ascii("{}"), "application/json")).toThrow(MultipartError);
  });

  it("rejects a body cut off before the end", () => {
    const body = buildMultipart(sendGridParts(), BOUNDARY);
    expect(() => parseMultipartFormData(body.subarray(0, body.length - 40), SENDGRID_CONTENT_TYPE)).toThrow(MultipartError);
  });
});

describe("parseSendGridInbound", () => {
  const message = parseSendGridInbound(buildMultipart(sendGridParts(), BOUNDARY), SENDGRID_CONTENT_TYPE);

  it("decodes an iso-8859-1 subject", () => {
    expect(message.subject).toBe("Re: Renée's probate");
  });

  it("decodes a windows-1252 body", () => {
    expect(message.text).toBe("She said \u201cyes\u201d to the \u20ac500 fee.");
  });

  it("decodes an iso-2022-jp field", () => {
    expect(message.html).toBe("<p>日本</p>");
  });

  it("decodes the sender's name", () => {
    expect(message.from).toEqual({ email: "renee@example.org", name: "Renée Martin" });
  });

  it("reads quoted names with commas", () => {
    expect(message.cc).toEqual([{ email: "sam@hartleycole.example", name: "Cole, Sam" }, { email: "tom@hartleycole.example" }]);
  });

  it("records the attachment without content", () => {
    expect(message.attachments).toEqual([{ name: "will.pdf", type: "application/pdf", size: PDF_BYTES.length }]);
  });

  it("reads threading headers", () => {
    expect(message.messageId).toBe("<r2@mail.example.org>");
    expect(message.inReplyTo).toBe("<m1@mail.hartleycole.example>");
    expect(message.references).toEqual(["<m0@mail.hartleycole.example>", "<m1@mail.hartleycole.example>"]);
  });

  it("keeps repeated headers in order", () => {
    expect(message.headers["received"]).toHaveLength(2);
    expect(message.headers["received"]![1]).toContain("\tby mx0047p1mdw1");
  });

  it("reads the date", () => {
    expect(message.date?.toISOString()).toBe("2025-01-15T17:03:00.000Z");
  });

  it("has no warnings", () => {
    expect(message.warnings).toEqual([]);
  });

  it("reads the envelope recipients", () => {
    expect(message.envelopeTo).toEqual(["log@parse.hartleycole.example"]);
  });

  it("reads a Bcc recipient from the envelope", () => {
    const envelope = { name: "envelope", value: '{"to":["partners@lists.example.org"," reply+abc123@inbound.example "],"from":"renee@example.org"}' };
    const parsed = parseSendGridInbound(buildMultipart(sendGridParts({ envelope }), BOUNDARY), SENDGRID_CONTENT_TYPE);
    expect(parsed.envelopeTo).toEqual(["partners@lists.example.org", "reply+abc123@inbound.example"]);
    expect(parsed.to).toEqual([{ email: "log@parse.hartleycole.example" }]);
  });

  it("reads an envelope with one address", () => {
    const envelope = { name: "envelope", value: '{"to":"reply+abc123@inbound.example"}' };
    const parsed = parseSendGridInbound(buildMultipart(sendGridParts({ envelope }), BOUNDARY), SENDGRID_CONTENT_TYPE);
    expect(parsed.envelopeTo).toEqual(["reply+abc123@inbound.example"]);
  });

  it("warns about an envelope that is not JSON", () => {
    const envelope = { name: "envelope", value: "to=reply+abc123@inbound.example" };
    const parsed = parseSendGridInbound(buildMultipart(sendGridParts({ envelope }), BOUNDARY), SENDGRID_CONTENT_TYPE);
    expect(parsed.envelopeTo).toEqual([]);
    expect(parsed.warnings).toContain("field envelope: not a JSON object, ignored");
  });

  it("reads a field the charsets map leaves out as UTF-8", () => {
    const parsed = parseSendGridInbound(buildMultipart(sendGridParts({ charsets: { name: "charsets", value: "{}" }, subject: { name: "subject", value: "Café ☕" } }), BOUNDARY), SENDGRID_CONTENT_TYPE);
    expect(parsed.subject).toBe("Café ☕");
  });

  it("warns about an unknown charset", () => {
    const charsets = charsetsPart({ text: "x-mac-klingon" });
    const parsed = parseSendGridInbound(buildMultipart(sendGridParts({ charsets, text: { name: "text", value: "plain words" } }), BOUNDARY), SENDGRID_CONTENT_TYPE);
    expect(parsed.text).toBe("plain words");
    expect(parsed.warnings).toEqual(['field text: charset "x-mac-klingon" is not supported, decoded as UTF-8']);
  });

  it("warns when bytes are invalid in the named charset", () => {
    const charsets = charsetsPart({ text: "utf-8" });
    const parsed = parseSendGridInbound(buildMultipart(sendGridParts({ charsets }), BOUNDARY), SENDGRID_CONTENT_TYPE);
    expect(parsed.text).toContain("\ufffd");
    expect(parsed.warnings).toEqual(["field text: bytes invalid in utf-8 were replaced with U+FFFD"]);
  });

  it("warns about a charsets field that is not JSON", () => {
    const parsed = parseSendGridInbound(buildMultipart(sendGridParts({ charsets: { name: "charsets", value: "{oops" } }), BOUNDARY), SENDGRID_CONTENT_TYPE);
    expect(parsed.warnings).toContain("field charsets: not a JSON object, ignored");
  });

  it("takes the attachment type from attachment-info", () => {
    const attachment1 = { name: "attachment1", value: PDF_BYTES, filename: "will.pdf" };
    const parsed = parseSendGridInbound(buildMultipart(sendGridParts({ attachment1 }), BOUNDARY), SENDGRID_CONTENT_TYPE);
    expect(parsed.attachments[0]!.type).toBe("application/pdf");
  });

  it("rejects raw mode", () => {
    const body = buildMultipart([{ name: "email", value: "From: a@example.org\r\n\r\nHi" }, { name: "to", value: "log@parse.hartleycole.example" }], BOUNDARY);
    expect(() => parseSendGridInbound(body, SENDGRID_CONTENT_TYPE)).toThrow(InvalidInboundError);
  });

  it("rejects a body that is not multipart", () => {
    expect(() => parseSendGridInbound(ascii("text=hi"), "application/x-www-form-urlencoded")).toThrow(InvalidInboundError);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe("normalisePostmarkInbound", () => {
  const message = normalisePostmarkInbound(postmarkReply);

  it("reads the sender", () => {
    expect(message.from).toEqual({ email: "jane@example.org", name: "Jane Prospect" });
  });

  it("reads recipients from the Full lists", () => {
    expect(message.to).toEqual([{ email: "reply+t_42@inbound.hartleycole.example" }]);
    expect(message.cc).toEqual([{ email: "sam@hartleycole.example", name: "Cole, Sam" }]);
  });

  it("takes the Message-ID from the headers, not Postmark's id", () => {
    expect(message.messageId).toBe("<r1@mail.example.org>");
  });

  it("reads references in order", () => {
    expect(message.references).toEqual(["<m0@mail.hartleycole.example>", "<m1@mail.hartleycole.example>"]);
  });

  it("reads a date with a zone comment", () => {
    expect(message.date?.toISOString()).toBe("2025-01-15T17:03:00.000Z");
  });

  it("computes the attachment size from base64", () => {
    expect(message.attachments).toEqual([{ name: "brief.pdf", type: "application/pdf", size: 9 }]);
  });

  it("keeps the bodies", () => {
    expect(message.text).toContain("Thursday works for me.");
    expect(message.html).toBe("<p>Thursday works for me.</p>");
  });

  it("treats a junk Message-ID as absent", () => {
    const junk = normalisePostmarkInbound({ ...postmarkReply, Headers: [{ Name: "Message-ID", Value: "not-an-id" }, { Name: "In-Reply-To", Value: "<>" }] });
    expect(junk.messageId).toBeNull();
    expect(junk.inReplyTo).toBeNull();
  });

  it("tolerates a minimal body", () => {
    const minimal = normalisePostmarkInbound({ From: "jane@example.org" });
    expect(minimal.from).toEqual({ email: "jane@example.org" });
    expect(minimal.subject).toBe("");
  });

  it("rejects a body that is not an object", () => {
    expect(() => normalisePostmarkInbound("hello")).toThrow(InvalidInboundError);
  });
});

describe("normaliseMailgunInbound", () => {
  const message = normaliseMailgunInbound(mailgunOutOfOfficeDe);

  it("decodes an encoded-word sender name", () => {
    expect(message.from).toEqual({ email: "juergen@example.de", name: "Jürgen Weber" });
  });

  it("reads recipients from message-headers", () => {
    expect(message.to).toEqual([{ email: "reply+t_7@inbound.hartleycole.example" }]);
  });

  it("reads threading ids from message-headers", () => {
    expect(message.messageId).toBe("<abw1@example.de>");
    expect(message.inReplyTo).toBe("<m7@mail.hartleycole.example>");
  });

  it("reads file attachments from FormData", () => {
    const form = new FormData();
    for (const [key, value] of Object.entries(mailgunOutOfOfficeDe)) form.set(key, value);
    form.set("attachment-1", new File([PDF_BYTES], "will.pdf", { type: "application/pdf" }));
    expect(normaliseMailgunInbound(form).attachments).toEqual([{ name: "will.pdf", type: "application/pdf", size: PDF_BYTES.length }]);
  });

  it("reads listed attachments of stored messages", () => {
    const attachments = JSON.stringify([{ name: "plan.docx", "content-type": "application/msword", size: 2048, url: "https://storage.example/1" }]);
    expect(normaliseMailgunInbound({ ...mailgunOutOfOfficeDe, attachments }).attachments).toEqual([{ name: "plan.docx", type: "application/msword", size: 2048 }]);
  });

  it("warns about message-headers that are not JSON", () => {
    const parsed = normaliseMailgunInbound({ ...mailgunOutOfOfficeDe, "message-headers": "[oops" });
    expect(parsed.warnings).toEqual(["field message-headers: not JSON, headers ignored"]);
  });
});

describe("normalisePostalMimeEmail", () => {
  const message = normalisePostalMimeEmail(cloudflareOutOfOfficeFr as PostalMimeEmail);

  it("reads the decoded subject", () => {
    expect(message.subject).toBe("Réponse automatique : Votre demande");
  });

  it("flattens address groups", () => {
    expect(message.cc).toEqual([{ email: "paul@example.fr", name: "Paul Durand" }]);
  });

  it("reads folded references", () => {
    expect(message.references).toEqual(["<m8@mail.hartleycole.example>", "<m9@mail.hartleycole.example>"]);
  });

  it("measures base64 attachment content", () => {
    expect(message.attachments).toEqual([{ name: "carte.vcf", type: "text/vcard", size: 11 }]);
  });

  it("measures ArrayBuffer attachment content", () => {
    const email: PostalMimeEmail = { headers: [], attachments: [{ filename: "a.bin", mimeType: "application/octet-stream", content: new ArrayBuffer(7) }] };
    expect(normalisePostalMimeEmail(email).attachments[0]!.size).toBe(7);
  });

  it("falls back to the From header", () => {
    const email: PostalMimeEmail = { headers: [{ key: "from", value: "=?iso-8859-1?Q?Ren=E9e_Martin?= <renee@example.fr>" }] };
    expect(normalisePostalMimeEmail(email).from).toEqual({ email: "renee@example.fr", name: "Renée Martin" });
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe("header readers", () => {
  it("unfolds continuation lines", () => {
    expect(parseHeaderBlock("Subject: a long\r\n subject line\r\nX-A: 1")).toEqual([
      ["Subject", "a long subject line"],
      ["X-A", "1"],
    ]);
  });

  it("skips lines without a colon", () => {
    expect(parseHeaderBlock("garbage\nX-A: 1")).toEqual([["X-A", "1"]]);
  });

  it("decodes B and Q encoded-words", () => {
    expect(decodeEncodedWords("=?UTF-8?B?UmVuw6ll?= and =?ISO-8859-1?Q?J=FCrgen_W?=")).toBe("Renée and Jürgen W");
  });

  it("joins adjacent encoded-words", () => {
    expect(decodeEncodedWords("=?UTF-8?Q?Ren?= =?UTF-8?Q?=C3=A9e?=")).toBe("Renée");
  });

  it("joins a character split across words", () => {
    expect(decodeEncodedWords("=?UTF-8?Q?Ren=C3?= =?UTF-8?Q?=A9e?=")).toBe("Renée");
  });

  it("decodes an iso-2022-jp encoded-word", () => {
    expect(decodeEncodedWords("=?ISO-2022-JP?B?GyRCRnxLXBsoQg==?=")).toBe("日本");
  });

  it("keeps an encoded-word in an unknown charset", () => {
    expect(decodeEncodedWords("=?x-klingon?Q?abc?=")).toBe("=?x-klingon?Q?abc?=");
  });

  it("keeps text between encoded-words", () => {
    expect(decodeEncodedWords("=?UTF-8?Q?a?= - =?UTF-8?Q?b?=")).toBe("a - b");
  });

  it("reads a bare address with a comment name", () => {
    expect(parseAddressList("jane@example.org (Jane Prospect)")).toEqual([{ email: "jane@example.org", name: "Jane Prospect" }]);
  });

  it("reads group members", () => {
    expect(parseAddressList("Partners: tom@hartleycole.example, sam@hartleycole.example;")).toEqual([
      { email: "tom@hartleycole.example" },
      { email: "sam@hartleycole.example" },
    ]);
  });

  it("skips an empty group", () => {
    expect(parseAddressList("undisclosed-recipients:;")).toEqual([]);
  });

  it("unescapes a quoted name", () => {
    expect(parseAddressList('"Jane \\"JP\\" Prospect" <jane@example.org>')).toEqual([{ email: "jane@example.org", name: 'Jane "JP" Prospect' }]);
  });

  it("skips an entry without an address", () => {
    expect(parseAddressList("Jane Prospect, tom@hartleycole.example")).toEqual([{ email: "tom@hartleycole.example" }]);
  });

  const junkIds = ["", "abc123", "abc@example.org", "<abc>", "<>", "< a@b >", "<a@b@c>"];
  for (const junk of junkIds) {
    it(`treats ${JSON.stringify(junk)} as no Message-ID`, () => {
      expect(readMessageId(junk)).toBeNull();
    });
  }

  it("reads the first id of an In-Reply-To with a comment", () => {
    expect(readMessageId("<m1@mail.hartleycole.example> (Tom's message of 15 January)")).toBe("<m1@mail.hartleycole.example>");
  });

  it("drops junk and repeats from References", () => {
    expect(readMessageIds("<m0@x.example> junk <m1@x.example> <m0@x.example> <bad>")).toEqual(["<m0@x.example>", "<m1@x.example>"]);
  });

  it("reads an RFC 5322 date", () => {
    expect(parseMailDate("Wed, 15 Jan 2025 18:03:00 +0100 (CET)")?.toISOString()).toBe("2025-01-15T17:03:00.000Z");
  });

  it("reads a date without a weekday", () => {
    expect(parseMailDate("15 Jan 2025 18:03 GMT")?.toISOString()).toBe("2025-01-15T18:03:00.000Z");
  });

  it("rejects a junk date", () => {
    expect(parseMailDate("sometime next week")).toBeNull();
    expect(parseMailDate("1")).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe("classifyInbound", () => {
  it("reads an English Outlook out-of-office", () => {
    const result = classifyInbound(normalisePostmarkInbound(postmarkOutOfOffice));
    expect(result.kind).toBe("out_of_office");
    expect(result.signal).toBe("auto-submitted: auto-generated");
  });

  it("reads a German out-of-office by its subject", () => {
    const result = classifyInbound(normaliseMailgunInbound(mailgunOutOfOfficeDe));
    expect(result.kind).toBe("out_of_office");
    expect(result.signal).toBe("subject: Abwesenheitsnotiz: Ihre Anfrage");
  });

  it("reads a French out-of-office by X-Autoreply and its text", () => {
    const result = classifyInbound(normalisePostalMimeEmail(cloudflareOutOfOfficeFr as PostalMimeEmail));
    expect(result.kind).toBe("out_of_office");
    expect(result.signal).toBe("x-autoreply: yes");
  });

  it("reads a delivery status report", () => {
    const message = normalisePostmarkInbound(postmarkDsn);
    expect(message.autoSubmitted.deliveryStatusReport).toBe(true);
    expect(classifyInbound(message).kind).toBe("bounce");
  });

  it("reads a report part among the attachments", () => {
    const message = normalisePostmarkInbound({ ...postmarkDsn, Headers: [] });
    expect(classifyInbound(message).kind).toBe("bounce");
  });

  it("reads a MAILER-DAEMON sender", () => {
    const result = classifyInbound(humanMessage({ from: { email: "MAILER-DAEMON@mx.example.org" }, subject: "Hello" }));
    expect(result.kind).toBe("bounce");
  });

  it("reads a bounce subject", () => {
    expect(classifyInbound(humanMessage({ subject: "Undeliverable: We have your enquiry" })).kind).toBe("bounce");
  });

  it("reads a generic autoresponder", () => {
    const message = humanMessage({ subject: "We received your message", text: "Thanks, a member of our team will reply within two working days.", autoSubmitted: signals({ autoSubmitted: "auto-replied" }) });
    expect(classifyInbound(message).kind).toBe("auto_reply");
  });

  it("reads Precedence bulk", () => {
    expect(classifyInbound(humanMessage({ autoSubmitted: signals({ precedence: "bulk" }) })).kind).toBe("auto_reply");
  });

  it("leaves Precedence list to people", () => {
    expect(classifyInbound(humanMessage({ autoSubmitted: signals({ precedence: "list" }) })).kind).toBe("human");
  });

  it("reads X-Auto-Response-Suppress", () => {
    expect(classifyInbound(humanMessage({ autoSubmitted: signals({ autoResponseSuppress: "All" }) })).kind).toBe("auto_reply");
  });

  it("lets Auto-Submitted: no win over the subject", () => {
    const message = humanMessage({ subject: "Out of Office: back on Monday", autoSubmitted: signals({ autoSubmitted: "no" }) });
    expect(classifyInbound(message).kind).toBe("human");
  });

  it("lets headers win over a human-looking subject", () => {
    const message = humanMessage({ subject: "Re: We have your enquiry", autoSubmitted: signals({ autoSubmitted: "auto-replied" }), text: "I am on annual leave until 3 February." });
    expect(classifyInbound(message).kind).toBe("out_of_office");
  });

  const subjects: Array<[string, string]> = [
    ["Automatic reply: We have your enquiry", "auto_reply"],
    ["Out of Office: We have your enquiry", "out_of_office"],
    ["Abwesenheitsnotiz: Ihre Anfrage", "out_of_office"],
    ["Automatische Antwort: Ihre Anfrage", "auto_reply"],
    ["Réponse automatique : Votre demande", "auto_reply"],
    ["Respuesta automática: Su consulta", "auto_reply"],
    ["Risposta automatica: La sua richiesta", "auto_reply"],
    ["Automatisch antwoord: Uw aanvraag", "auto_reply"],
    ["自動応答: お問い合わせ", "auto_reply"],
    ["Re: Automatic reply: We have your enquiry", "human"],
    ["Automatically generated invoices question", "human"],
  ];
  for (const [subject, kind] of subjects) {
    it(`reads the subject ${JSON.stringify(subject)} as ${kind}`, () => {
      expect(classifyInbound(humanMessage({ subject, text: "Thank you for your message." })).kind).toBe(kind);
    });
  }

  it("reads an away notice behind an automatic-reply subject", () => {
    const message = humanMessage({ subject: "Automatic reply: We have your enquiry", text: "I am out of the office until Monday." });
    expect(classifyInbound(message).kind).toBe("out_of_office");
  });

  it("reads a person's reply as human", () => {
    expect(classifyInbound(normalisePostmarkInbound(postmarkReply)).kind).toBe("human");
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe("splitReply", () => {
  it("splits a Gmail reply", () => {
    const split = splitReply(gmailReply);
    expect(split.reply).toBe("Hi Tom,\n\nThursday at 10 works for me. I'll bring the deeds.\n\nThanks,\nJane");
    expect(split.signature).toBe("Jane Prospect\n07700 900123");
    expect(split.quoted.startsWith("On Wed, 15 Jan 2025 at 17:01, Hartley & Cole <")).toBe(true);
    expect(split.quoted).toContain("> Tom Hartley");
  });

  it("splits an Outlook reply at its rule", () => {
    const split = splitReply(outlookReply);
    expect(split.reply).toBe("Hello Tom,\n\nYes, please send the engagement letter to my work address.\n\nKind regards\nJane Prospect\nFinance Director");
    expect(split.quoted.startsWith("________________________________\nFrom: Hartley & Cole")).toBe(true);
  });

  it("splits an Outlook reply at Original Message", () => {
    const split = splitReply(outlookOriginalMessage);
    expect(split.reply).toBe("Tom - the completion date is fine.\n\nJane");
    expect(split.quoted.startsWith("-----Original Message-----")).toBe(true);
  });

  it("splits an Apple Mail reply and its sign-off", () => {
    const split = splitReply(appleReply);
    expect(split.reply).toBe("That's perfect, see you then.");
    expect(split.signature).toBe("Sent from my iPhone");
    expect(split.quoted.startsWith("> On 15 Jan 2025, at 17:01")).toBe(true);
  });

  it("splits a French Gmail reply", () => {
    const split = splitReply(frenchGmailReply);
    expect(split.reply).toBe("Bonjour Maître,\n\nJe vous confirme le rendez-vous de jeudi.\n\nCordialement,\nRenée Martin");
    expect(split.quoted.startsWith("Le mer. 15 janv. 2025")).toBe(true);
  });

  it("splits a French Outlook reply", () => {
    const split = splitReply(frenchOutlookReply);
    expect(split.reply).toBe("Merci, je vous envoie les pièces demain.");
    expect(split.quoted.startsWith("De\u00a0: Hartley & Cole")).toBe(true);
  });

  it("splits a German Gmail reply wrapped over two lines", () => {
    const split = splitReply(germanGmailReply);
    expect(split.reply).toBe("Sehr geehrter Herr Hartley,\n\nDonnerstag passt mir gut.\n\nMit freundlichen Grüßen\nJürgen Weber");
    expect(split.quoted.startsWith("Am Mi., 15. Jan. 2025 um 17:01 Uhr schrieb")).toBe(true);
  });

  it("splits a German Outlook reply", () => {
    const split = splitReply(germanOutlookReply);
    expect(split.reply).toBe("Anbei die Unterlagen.\n\nGruß\nJ. Weber");
    expect(split.quoted.startsWith("Von: Hartley & Cole")).toBe(true);
  });

  const attributions: Array<[string, string]> = [
    ["Spanish", "El mié, 15 ene 2025 a las 17:01, Hartley & Cole (<enquiries@mail.hartleycole.example>) escribió:"],
    ["Dutch", "Op wo 15 jan. 2025 om 17:01 schreef Hartley & Cole <enquiries@mail.hartleycole.example>:"],
    ["Italian", "Il giorno mer 15 gen 2025 alle ore 17:01 Hartley & Cole <enquiries@mail.hartleycole.example> ha scritto:"],
    ["Thunderbird", "On 15/01/2025 17:01, Hartley & Cole wrote:"],
    ["German Thunderbird", "Am 15.01.25 um 17:01 schrieb Hartley & Cole:"],
    ["Japanese Gmail", "2025年1月15日(水) 17:01 Hartley & Cole <enquiries@mail.hartleycole.example>:"],
  ];
  for (const [client, attribution] of attributions) {
    it(`splits at a ${client} attribution`, () => {
      const split = splitReply(`Thanks, agreed.\n\n${attribution}\n> Original text`);
      expect(split.reply).toBe("Thanks, agreed.");
      expect(split.quoted).toBe(`${attribution}\n> Original text`);
    });
  }

  it("reads CRLF line ends", () => {
    expect(splitReply("Yes.\r\n\r\nOn Wed, 15 Jan 2025, Tom wrote:\r\n> Ok?").reply).toBe("Yes.");
  });

  it("keeps a text without history whole", () => {
    const split = splitReply("Hello,\n\nI would like a quote for a house purchase.\n");
    expect(split.reply).toBe("Hello,\n\nI would like a quote for a house purchase.");
    expect(split.quoted).toBe("");
    expect(split.signature).toBe("");
  });

  it("takes a bare -- as the signature delimiter", () => {
    expect(splitReply("Fine by me.\n--\nJane").signature).toBe("Jane");
  });

  it("keeps inline answers of an interleaved reply", () => {
    const split = splitReply("> Can you do Thursday?\nYes, at 10.\n> And bring the deeds?\nWill do.\n\n> Tom");
    expect(split.reply).toBe("> Can you do Thursday?\nYes, at 10.\n> And bring the deeds?\nWill do.");
    expect(split.quoted).toBe("> Tom");
  });

  it("reads a bottom-posted reply", () => {
    const split = splitReply("On Wed, 15 Jan 2025, Tom wrote:\n> Can you do Thursday?\n\nYes, Thursday is fine.");
    expect(split.reply).toBe("Yes, Thursday is fine.");
    expect(split.quoted).toBe("On Wed, 15 Jan 2025, Tom wrote:\n> Can you do Thursday?");
  });

  it("does not split at a From: line in prose", () => {
    const text = "From: my side, all good.\nWe can proceed.";
    expect(splitReply(text).reply).toBe(text);
  });
});

describe("detectForward", () => {
  it("reads a Gmail forward", () => {
    expect(detectForward({ subject: "Fwd: Probate question", text: gmailForward })).toEqual({ email: "jane@example.org", name: "Jane Prospect" });
  });

  it("reads an Apple Mail forward", () => {
    expect(detectForward({ subject: "Fwd: Probate question", text: appleForward })).toEqual({ email: "jane@example.org", name: "Prospect, Jane" });
  });

  it("reads a German Outlook forward", () => {
    expect(detectForward({ subject: "WG: Erbschaft", text: outlookForward })).toEqual({ email: "juergen@example.de", name: "Jürgen Weber" });
  });

  it("reads an Outlook mailto sender", () => {
    const text = "Please handle.\n\n-----Original Message-----\nFrom: Jane Prospect [mailto:jane@example.org]\nSent: Wednesday, January 15, 2025 9:12 AM\nTo: Tom\nSubject: Probate";
    expect(detectForward({ subject: "FW: Probate", text })).toEqual({ email: "jane@example.org", name: "Jane Prospect" });
  });

  it("reads a Gmail forward with bold labels", () => {
    const text = "---------- Forwarded message ---------\n*From:* *Jane Prospect* <jane@example.org>\n*Date:* Wed, 15 Jan 2025";
    expect(detectForward({ subject: "Probate", text })).toEqual({ email: "jane@example.org", name: "Jane Prospect" });
  });

  it("reads a forward quoted with >", () => {
    const text = "> Begin forwarded message:\n>\n> From: Jane Prospect <jane@example.org>\n> Subject: Probate";
    expect(detectForward({ subject: "Probate", text })).toEqual({ email: "jane@example.org", name: "Jane Prospect" });
  });

  it("ignores a reply with Original Message", () => {
    expect(detectForward({ subject: "RE: Completion date", text: outlookOriginalMessage })).toBeNull();
  });

  it("ignores a From: line without an address", () => {
    const text = "________________________________\nFrom: Jane Prospect\nSent: 15 January 2025 09:12\nTo: Tom Hartley\nSubject: Probate";
    expect(detectForward({ subject: "FW: Probate", text })).toBeNull();
  });

  it("ignores an ordinary email", () => {
    expect(detectForward({ subject: "Probate question", text: "Hello, I need help with probate." })).toBeNull();
  });
});

describe("truncateForTimeline", () => {
  it("keeps a short text", () => {
    expect(truncateForTimeline("Thursday works.", 100)).toBe("Thursday works.");
  });

  it("cuts at a word and adds the marker", () => {
    const text = "Thursday at ten works well for me and I will bring the deeds with me.";
    const result = truncateForTimeline(text, 40);
    expect(result).toBe(`Thursday at ten works well${TRUNCATION_MARKER}`);
  });

  it("stays within the limit", () => {
    const text = "word ".repeat(500);
    expect(truncateForTimeline(text, 280).length).toBeLessThanOrEqual(280);
  });

  it("cuts inside a word when no space is near", () => {
    const result = truncateForTimeline("x".repeat(100), 50);
    expect(result).toBe(`${"x".repeat(50 - TRUNCATION_MARKER.length)}${TRUNCATION_MARKER}`);
  });

  it("never splits a surrogate pair", () => {
    const result = truncateForTimeline("😀".repeat(50), 30, "…");
    expect(result).toBe(`${"😀".repeat(14)}…`);
  });

  it("takes a custom marker", () => {
    expect(truncateForTimeline("one two three four five six", 20, " [more]")).toBe("one two three [more]");
  });

  it("rejects a limit that leaves no room", () => {
    expect(() => truncateForTimeline("text", TRUNCATION_MARKER.length)).toThrow(RangeError);
  });
});
