import {
  checkBasicAuth,
  checkSharedSecret,
  createMailgunVerifier,
  createResendVerifier,
  createSendGridVerifier,
  derToRawEcdsaSignature,
  InvalidMailEventError,
  MailConfigError,
  matchesSendGridMessage,
  parseMailgunEvent,
  parsePostmarkEvent,
  parseResendEvent,
  parseSendGridEvents,
  SENDGRID_SIGNATURE_HEADER,
  SENDGRID_TIMESTAMP_HEADER,
  sendGridMessageId,
  shouldApply,
  type MailEvent,
  type MailEventKind,
} from "@plumbline/integrations";
import { describe, expect, it } from "vitest";
import mailgunFailed from "../fixtures/mail/mailgun-failed.json";
import postmarkBounce from "../fixtures/mail/postmark-bounce.json";
import postmarkDelivery from "../fixtures/mail/postmark-delivery.json";
import resendBounced from "../fixtures/mail/resend-bounced.json";
import sendGridEvents from "../fixtures/mail/sendgrid-events.json";

const encoder = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function toHex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function joinBytes(...parts: Uint8Array[]): Uint8Array {
  const joined = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

async function hmac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, data));
}

/** Encodes a raw r||s signature as DER, the way SendGrid sends it. Written here independently of the code under test. */
function rawToDer(raw: Uint8Array): Uint8Array {
  const integer = (value: Uint8Array): Uint8Array => {
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start++;
    let digits: Uint8Array = value.slice(start);
    if (digits[0]! & 0x80) digits = joinBytes(new Uint8Array([0]), digits);
    return joinBytes(new Uint8Array([0x02, digits.length]), digits);
  };
  const body = joinBytes(integer(raw.slice(0, 32)), integer(raw.slice(32)));
  return joinBytes(new Uint8Array([0x30, body.length]), body);
}

// ---------------------------------------------------------------------------------------------------------------

describe("createResendVerifier", () => {
  const keyBytes = crypto.getRandomValues(new Uint8Array(24));
  const secret = `whsec_${toBase64(keyBytes)}`;
  const verify = createResendVerifier(secret);
  const now = new Date("2025-01-15T12:02:00Z");
  const timestamp = String(now.getTime() / 1000);
  const body = encoder.encode(JSON.stringify(resendBounced));

  async function sign(id: string, ts: string, bytes: Uint8Array, key = keyBytes): Promise<string> {
    return toBase64(await hmac(key, joinBytes(encoder.encode(`${id}.${ts}.`), bytes)));
  }

  async function headersFor(overrides: Record<string, string | null> = {}): Promise<Headers> {
    const values: Record<string, string | null> = {
      "svix-id": "msg_2b0Yx",
      "svix-timestamp": timestamp,
      "svix-signature": `v1,${await sign("msg_2b0Yx", timestamp, body)}`,
      ...overrides,
    };
    const headers = new Headers();
    for (const [name, value] of Object.entries(values)) if (value !== null) headers.set(name, value);
    return headers;
  }

  it("accepts a valid signature", async () => {
    expect(await verify(await headersFor(), body, now)).toEqual({ ok: true });
  });

  it("accepts the body as an ArrayBuffer or string", async () => {
    const headers = await headersFor();
    expect(await verify(headers, body.slice().buffer, now)).toEqual({ ok: true });
    expect(await verify(headers, new TextDecoder().decode(body), now)).toEqual({ ok: true });
  });

  it("accepts a secret without the whsec_ prefix", async () => {
    const bare = createResendVerifier(toBase64(keyBytes));
    expect(await bare(await headersFor(), body, now)).toEqual({ ok: true });
  });

  it("accepts any matching v1 entry during rotation", async () => {
    const old = await sign("msg_2b0Yx", timestamp, body, crypto.getRandomValues(new Uint8Array(24)));
    const current = await sign("msg_2b0Yx", timestamp, body);
    const headers = await headersFor({ "svix-signature": `v1,${old} v1a,ZmFrZQ== v1,${current}` });
    expect(await verify(headers, body, now)).toEqual({ ok: true });
  });

  it("signs the exact bytes, not decoded text", async () => {
    const latin1 = new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0x52, 0x65, 0x6e, 0xe9, 0x65, 0x22, 0x7d]);
    const headers = await headersFor({ "svix-signature": `v1,${await sign("msg_2b0Yx", timestamp, latin1)}` });
    expect(await verify(headers, latin1, now)).toEqual({ ok: true });
    expect(await verify(headers, new TextDecoder().decode(latin1), now)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("rejects a re-serialised body", async () => {
    const reformatted = encoder.encode(JSON.stringify(resendBounced, null, 2));
    expect(await verify(await headersFor(), reformatted, now)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("rejects one changed byte", async () => {
    const tampered = body.slice();
    tampered[10] = tampered[10]! ^ 0x01;
    expect(await verify(await headersFor(), tampered, now)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("rejects another event's id", async () => {
    expect(await verify(await headersFor({ "svix-id": "msg_other" }), body, now)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("rejects a wrong secret", async () => {
    const other = createResendVerifier(`whsec_${toBase64(crypto.getRandomValues(new Uint8Array(24)))}`);
    expect(await other(await headersFor(), body, now)).toEqual({ ok: false, reason: "mismatch" });
  });

  for (const name of ["svix-id", "svix-timestamp", "svix-signature"]) {
    it(`rejects a missing ${name}`, async () => {
      expect(await verify(await headersFor({ [name]: null }), body, now)).toEqual({ ok: false, reason: "missing" });
    });
  }

  it("rejects a non-numeric timestamp", async () => {
    expect(await verify(await headersFor({ "svix-timestamp": "soon" }), body, now)).toEqual({ ok: false, reason: "malformed" });
  });

  it("rejects a header without v1 entries", async () => {
    expect(await verify(await headersFor({ "svix-signature": "v2,abc v1a,ZmFrZQ==" }), body, now)).toEqual({ ok: false, reason: "malformed" });
  });

  it("rejects undecodable v1 entries", async () => {
    expect(await verify(await headersFor({ "svix-signature": "v1,%%%" }), body, now)).toEqual({ ok: false, reason: "malformed" });
  });

  it("rejects a timestamp six minutes old", async () => {
    const later = new Date(now.getTime() + 6 * 60_000);
    expect(await verify(await headersFor(), body, later)).toEqual({ ok: false, reason: "stale" });
  });

  it("rejects a timestamp six minutes ahead", async () => {
    const earlier = new Date(now.getTime() - 6 * 60_000);
    expect(await verify(await headersFor(), body, earlier)).toEqual({ ok: false, reason: "stale" });
  });

  it("accepts a timestamp four minutes old", async () => {
    const later = new Date(now.getTime() + 4 * 60_000);
    expect(await verify(await headersFor(), body, later)).toEqual({ ok: true });
  });

  it("rejects a malformed secret at setup", () => {
    expect(() => createResendVerifier("whsec_not base64!")).toThrow(MailConfigError);
  });

  it("never throws on junk headers", async () => {
    for (const junk of ["", " ", "v1,", "v1", ",,,", "v1,====", "v1,".repeat(200)]) {
      const result = await verify(await headersFor({ "svix-signature": junk }), body, now);
      expect(result.ok).toBe(false);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe("createSendGridVerifier", () => {
  // Published in sendgrid-nodejs, packages/eventwebhook/src/eventwebhook.spec.js.
  const PUBLISHED_KEY =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==";
  const PUBLISHED_SIGNATURE = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=";
  const PUBLISHED_TIMESTAMP = "1588788367";
  const PUBLISHED_PAYLOAD = '{"category":"example_payload","event":"test_event","message_id":"message_id"}';
  // The same spec's key that did not sign the payload.
  const OTHER_PUBLISHED_KEY =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==";

  function signedHeaders(signature: string | null, timestamp: string | null): Headers {
    const headers = new Headers();
    if (signature !== null) headers.set(SENDGRID_SIGNATURE_HEADER, signature);
    if (timestamp !== null) headers.set(SENDGRID_TIMESTAMP_HEADER, timestamp);
    return headers;
  }

  it("accepts the published test vector", async () => {
    const verify = await createSendGridVerifier(PUBLISHED_KEY);
    expect(await verify(signedHeaders(PUBLISHED_SIGNATURE, PUBLISHED_TIMESTAMP), PUBLISHED_PAYLOAD)).toEqual({ ok: true });
  });

  it("rejects the published vector with another payload", async () => {
    const verify = await createSendGridVerifier(PUBLISHED_KEY);
    expect(await verify(signedHeaders(PUBLISHED_SIGNATURE, PUBLISHED_TIMESTAMP), "payload")).toEqual({ ok: false, reason: "mismatch" });
  });

  it("rejects the published vector with another key", async () => {
    const verify = await createSendGridVerifier(OTHER_PUBLISHED_KEY);
    expect(await verify(signedHeaders(PUBLISHED_SIGNATURE, PUBLISHED_TIMESTAMP), PUBLISHED_PAYLOAD)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("rejects the published vector with another timestamp", async () => {
    const verify = await createSendGridVerifier(PUBLISHED_KEY);
    expect(await verify(signedHeaders(PUBLISHED_SIGNATURE, "1588788368"), PUBLISHED_PAYLOAD)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("accepts a key with PEM armour", async () => {
    const pem = `-----BEGIN PUBLIC KEY-----\n${PUBLISHED_KEY.slice(0, 64)}\n${PUBLISHED_KEY.slice(64)}\n-----END PUBLIC KEY-----\n`;
    const verify = await createSendGridVerifier(pem);
    expect(await verify(signedHeaders(PUBLISHED_SIGNATURE, PUBLISHED_TIMESTAMP), PUBLISHED_PAYLOAD)).toEqual({ ok: true });
  });

  describe("with a generated key pair", async () => {
    const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const spki = new Uint8Array((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
    const verify = await createSendGridVerifier(toBase64(spki), { toleranceSeconds: 600 });
    const body = encoder.encode(JSON.stringify(sendGridEvents));
    const timestamp = "1736942400";
    const now = new Date(1736942400_000);

    async function signDer(bytes: Uint8Array, ts = timestamp): Promise<string> {
      const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, joinBytes(encoder.encode(ts), bytes)));
      return toBase64(rawToDer(raw));
    }

    it("accepts a signature over the exact body", async () => {
      expect(await verify(signedHeaders(await signDer(body), timestamp), body, now)).toEqual({ ok: true });
    });

    it("accepts many signatures, whatever their DER padding", async () => {
      // About half of all r and s values have the top bit set and get a 0x00 prefix in DER; 16 signatures cover both.
      for (let i = 0; i < 16; i++) {
        expect(await verify(signedHeaders(await signDer(body), timestamp), body, now)).toEqual({ ok: true });
      }
    });

    it("rejects a re-serialised body", async () => {
      const reformatted = encoder.encode(JSON.stringify(sendGridEvents, null, 1));
      expect(await verify(signedHeaders(await signDer(body), timestamp), reformatted, now)).toEqual({ ok: false, reason: "mismatch" });
    });

    it("rejects a missing signature header", async () => {
      expect(await verify(signedHeaders(null, timestamp), body, now)).toEqual({ ok: false, reason: "missing" });
    });

    it("rejects a missing timestamp header", async () => {
      expect(await verify(signedHeaders(await signDer(body), null), body, now)).toEqual({ ok: false, reason: "missing" });
    });

    it("rejects a non-numeric timestamp", async () => {
      expect(await verify(signedHeaders(await signDer(body), "timestamp"), body, now)).toEqual({ ok: false, reason: "malformed" });
    });

    it("rejects a signature that is not base64", async () => {
      expect(await verify(signedHeaders("not base64!", timestamp), body, now)).toEqual({ ok: false, reason: "malformed" });
    });

    it("rejects raw r||s instead of DER", async () => {
      const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, joinBytes(encoder.encode(timestamp), body)));
      expect(await verify(signedHeaders(toBase64(raw), timestamp), body, now)).toEqual({ ok: false, reason: "malformed" });
    });

    it("rejects a stale timestamp when a tolerance is set", async () => {
      const later = new Date(now.getTime() + 11 * 60_000);
      expect(await verify(signedHeaders(await signDer(body), timestamp), body, later)).toEqual({ ok: false, reason: "stale" });
    });
  });

  it("rejects a key that is not base64 at setup", async () => {
    await expect(createSendGridVerifier("not a key!")).rejects.toThrow(MailConfigError);
  });

  it("rejects a key that is not P-256 SPKI at setup", async () => {
    await expect(createSendGridVerifier(toBase64(new Uint8Array(32)))).rejects.toThrow(MailConfigError);
  });
});

describe("derToRawEcdsaSignature", () => {
  it("left-pads a short r", () => {
    const der = new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07]);
    const raw = derToRawEcdsaSignature(der)!;
    expect(raw.length).toBe(64);
    expect(raw[31]).toBe(5);
    expect(raw[63]).toBe(7);
  });

  it("drops the sign byte of a 33-byte integer", () => {
    const r = new Uint8Array(33).fill(0xab);
    r[0] = 0;
    const der = new Uint8Array([0x30, 0x26, 0x02, 0x21, ...r, 0x02, 0x01, 0x01]);
    const raw = derToRawEcdsaSignature(der)!;
    expect(raw[0]).toBe(0xab);
    expect(raw[63]).toBe(1);
  });

  it("rejects a negative integer", () => {
    expect(derToRawEcdsaSignature(new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x85, 0x02, 0x01, 0x07]))).toBeNull();
  });

  it("rejects trailing bytes", () => {
    expect(derToRawEcdsaSignature(new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07, 0x00]))).toBeNull();
  });

  it("rejects an integer longer than the curve", () => {
    const big = new Uint8Array(34).fill(0x11);
    expect(derToRawEcdsaSignature(new Uint8Array([0x30, 0x27, 0x02, 0x22, ...big, 0x02, 0x01, 0x01]))).toBeNull();
  });

  it("rejects empty and truncated input", () => {
    expect(derToRawEcdsaSignature(new Uint8Array([]))).toBeNull();
    expect(derToRawEcdsaSignature(new Uint8Array([0x30, 0x06, 0x02, 0x01]))).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe("createMailgunVerifier", () => {
  const signingKey = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0";
  const verify = createMailgunVerifier(signingKey);
  const now = new Date(1736942400_000);
  const { token, timestamp } = mailgunFailed.signature;

  async function sign(ts: string, tok: string, key = signingKey): Promise<string> {
    return toHex(await hmac(encoder.encode(key), encoder.encode(`${ts}${tok}`)));
  }

  it("accepts a valid signature", async () => {
    expect(await verify({ token, timestamp, signature: await sign(timestamp, token) }, now)).toEqual({ ok: true });
  });

  it("accepts upper-case hex", async () => {
    const signature = (await sign(timestamp, token)).toUpperCase();
    expect(await verify({ token, timestamp, signature }, now)).toEqual({ ok: true });
  });

  it("accepts inbound route form fields", async () => {
    const form = new FormData();
    form.set("timestamp", timestamp);
    form.set("token", token);
    form.set("signature", await sign(timestamp, token));
    expect(await verify(form, now)).toEqual({ ok: true });
  });

  it("rejects another token", async () => {
    expect(await verify({ token: `${token}x`, timestamp, signature: await sign(timestamp, token) }, now)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("rejects another signing key", async () => {
    const signature = await sign(timestamp, token, "key-other");
    expect(await verify({ token, timestamp, signature }, now)).toEqual({ ok: false, reason: "mismatch" });
  });

  it("rejects a missing field", async () => {
    expect(await verify({ token, timestamp }, now)).toEqual({ ok: false, reason: "missing" });
  });

  it("rejects a body that is not an object", async () => {
    expect(await verify("signature", now)).toEqual({ ok: false, reason: "missing" });
    expect(await verify(null, now)).toEqual({ ok: false, reason: "missing" });
  });

  it("rejects a non-numeric timestamp", async () => {
    const signature = await sign("yesterday", token);
    expect(await verify({ token, timestamp: "yesterday", signature }, now)).toEqual({ ok: false, reason: "malformed" });
  });

  it("rejects a signature that is not hex", async () => {
    expect(await verify({ token, timestamp, signature: "z".repeat(64) }, now)).toEqual({ ok: false, reason: "malformed" });
  });

  it("rejects a timestamp eleven minutes old", async () => {
    const later = new Date(now.getTime() + 11 * 60_000);
    expect(await verify({ token, timestamp, signature: await sign(timestamp, token) }, later)).toEqual({ ok: false, reason: "stale" });
  });

  it("accepts a timestamp nine minutes old", async () => {
    const later = new Date(now.getTime() + 9 * 60_000);
    expect(await verify({ token, timestamp, signature: await sign(timestamp, token) }, later)).toEqual({ ok: true });
  });

  it("honours a configured tolerance", async () => {
    const strict = createMailgunVerifier(signingKey, { toleranceSeconds: 60 });
    const later = new Date(now.getTime() + 2 * 60_000);
    expect(await strict({ token, timestamp, signature: await sign(timestamp, token) }, later)).toEqual({ ok: false, reason: "stale" });
  });

  it("rejects a blank signing key at setup", () => {
    expect(() => createMailgunVerifier(" ")).toThrow(MailConfigError);
  });
});

describe("checkSharedSecret", () => {
  it("accepts the same secret", async () => {
    expect(await checkSharedSecret("s3cret-path-token", "s3cret-path-token")).toEqual({ ok: true });
  });

  it("rejects another secret", async () => {
    expect(await checkSharedSecret("s3cret-path-tokem", "s3cret-path-token")).toEqual({ ok: false, reason: "mismatch" });
  });

  it("rejects a prefix of the secret", async () => {
    expect(await checkSharedSecret("s3cret", "s3cret-path-token")).toEqual({ ok: false, reason: "mismatch" });
  });

  it("rejects a missing secret", async () => {
    expect(await checkSharedSecret(null, "s3cret-path-token")).toEqual({ ok: false, reason: "missing" });
    expect(await checkSharedSecret("", "s3cret-path-token")).toEqual({ ok: false, reason: "missing" });
  });

  it("throws on a blank expected secret", async () => {
    await expect(checkSharedSecret("", "")).rejects.toThrow(MailConfigError);
  });
});

describe("checkBasicAuth", () => {
  it("accepts matching credentials", async () => {
    expect(await checkBasicAuth(`Basic ${btoa("postmark:pa55word")}`, "postmark", "pa55word")).toEqual({ ok: true });
  });

  it("rejects a wrong password", async () => {
    expect(await checkBasicAuth(`Basic ${btoa("postmark:guess")}`, "postmark", "pa55word")).toEqual({ ok: false, reason: "mismatch" });
  });

  it("rejects a missing header", async () => {
    expect(await checkBasicAuth(null, "postmark", "pa55word")).toEqual({ ok: false, reason: "missing" });
  });

  it("rejects another scheme", async () => {
    expect(await checkBasicAuth("Bearer abc", "postmark", "pa55word")).toEqual({ ok: false, reason: "malformed" });
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe("parsePostmarkEvent", () => {
  it("reads a hard bounce", () => {
    const event = parsePostmarkEvent(postmarkBounce);
    expect(event.provider).toBe("postmark");
    expect(event.kind).toBe("bounced_hard");
    expect(event.providerMessageId).toBe("883953f4-0000-4000-8000-000000000010");
    expect(event.recipient).toBe("jane@example.org");
    expect(event.providerEvent).toBe("Bounce/HardBounce");
    expect(event.detail).toContain("unable to deliver");
    expect(event.metadata).toEqual({ tenant: "t_1", outboundMessageId: "msg_42" });
    expect(event.raw).toBe(postmarkBounce);
  });

  it("reads seven fractional digits and an offset", () => {
    const event = parsePostmarkEvent(postmarkBounce);
    expect(event.occurredAt.toISOString()).toBe("2025-01-15T18:28:10.543Z");
  });

  it("builds an event id without a trace id", () => {
    const event = parsePostmarkEvent(postmarkBounce);
    expect(event.eventId).toBe("Bounce:883953f4-0000-4000-8000-000000000010:jane@example.org:2025-01-15T13:28:10.5437213-05:00");
  });

  it("uses the trace id when given", () => {
    expect(parsePostmarkEvent(postmarkBounce, "trace-7f3a").eventId).toBe("trace-7f3a");
  });

  it("reads a delivery", () => {
    const event = parsePostmarkEvent(postmarkDelivery);
    expect(event.kind).toBe("delivered");
    expect(event.occurredAt.toISOString()).toBe("2025-01-15T18:25:04.000Z");
    expect(event.recipient).toBe("jane@example.org");
  });

  const bounceCases: Array<[string, number, boolean, MailEventKind]> = [
    ["Transient", 2, false, "deferred"],
    ["SoftBounce", 4096, false, "bounced_soft"],
    ["SoftBounce", 4096, true, "bounced_hard"],
    ["DnsError", 256, false, "bounced_soft"],
    ["AutoResponder", 64, false, "other"],
    ["SpamComplaint", 100001, true, "complained"],
    ["BadEmailAddress", 100000, false, "bounced_hard"],
    ["SomethingNew", 999999, false, "bounced_soft"],
  ];
  for (const [type, typeCode, inactive, kind] of bounceCases) {
    it(`maps bounce ${type}${inactive ? " (inactive)" : ""} to ${kind}`, () => {
      const event = parsePostmarkEvent({ ...postmarkBounce, Type: type, TypeCode: typeCode, Inactive: inactive });
      expect(event.kind).toBe(kind);
    });
  }

  it("reads an open", () => {
    const event = parsePostmarkEvent({ RecordType: "Open", MessageID: "m-1", Recipient: "jane@example.org", ReceivedAt: "2025-01-15T19:00:00Z", FirstOpen: true });
    expect(event.kind).toBe("opened");
    expect(event.occurredAt.toISOString()).toBe("2025-01-15T19:00:00.000Z");
  });

  it("reads a spam complaint record", () => {
    const event = parsePostmarkEvent({ RecordType: "SpamComplaint", MessageID: "m-1", Email: "jane@example.org", BouncedAt: "2025-01-15T19:00:00Z", TypeCode: 100001 });
    expect(event.kind).toBe("complained");
  });

  it("reads a manual suppression as unsubscribed", () => {
    const change = { RecordType: "SubscriptionChange", MessageID: "m-1", Recipient: "jane@example.org", ChangedAt: "2025-01-16T09:00:00Z", SuppressSending: true, SuppressionReason: "ManualSuppression" };
    expect(parsePostmarkEvent(change).kind).toBe("unsubscribed");
    expect(parsePostmarkEvent({ ...change, SuppressSending: false }).kind).toBe("other");
  });

  it("keeps an unknown record type as other", () => {
    const event = parsePostmarkEvent({ RecordType: "Reclassified", MessageID: "m-1", ReceivedAt: "2025-01-15T19:00:00Z" });
    expect(event.kind).toBe("other");
    expect(event.providerEvent).toBe("Reclassified");
  });

  it("rejects a record without MessageID", () => {
    const { MessageID: _dropped, ...rest } = postmarkDelivery;
    expect(() => parsePostmarkEvent(rest)).toThrow(InvalidMailEventError);
  });

  it("rejects a record without a timestamp", () => {
    expect(() => parsePostmarkEvent({ ...postmarkDelivery, DeliveredAt: "yesterday" })).toThrow(InvalidMailEventError);
  });

  it("rejects a body that is not an object", () => {
    expect(() => parsePostmarkEvent([postmarkDelivery])).toThrow(InvalidMailEventError);
  });
});

describe("parseResendEvent", () => {
  it("reads a permanent bounce", () => {
    const event = parseResendEvent(resendBounced, "msg_2b0Yx");
    expect(event.kind).toBe("bounced_hard");
    expect(event.eventId).toBe("msg_2b0Yx");
    expect(event.providerMessageId).toBe("56761188-0000-4000-8000-000000000003");
    expect(event.recipient).toBe("jane@example.org");
    expect(event.occurredAt.toISOString()).toBe("2025-01-15T12:02:00.000Z");
    expect(event.detail).toBe("The recipient's email address does not exist.");
    expect(event.metadata).toEqual({ tenant: "t_1", outboundMessageId: "msg_43" });
  });

  it("reads a transient bounce as soft", () => {
    const body = { ...resendBounced, data: { ...resendBounced.data, bounce: { ...resendBounced.data.bounce, type: "Transient" } } };
    expect(parseResendEvent(body, "msg_1").kind).toBe("bounced_soft");
  });

  const kinds: Array<[string, MailEventKind]> = [
    ["email.delivered", "delivered"],
    ["email.delivery_delayed", "deferred"],
    ["email.complained", "complained"],
    ["email.opened", "opened"],
    ["email.clicked", "clicked"],
    ["email.sent", "other"],
    ["email.failed", "other"],
    ["contact.created", "other"],
  ];
  for (const [type, kind] of kinds) {
    it(`maps ${type} to ${kind}`, () => {
      expect(parseResendEvent({ ...resendBounced, type }, "msg_1").kind).toBe(kind);
    });
  }

  it("reads tags sent as name-value pairs", () => {
    const body = { ...resendBounced, data: { ...resendBounced.data, tags: [{ name: "tenant", value: "t_2" }] } };
    expect(parseResendEvent(body, "msg_1").metadata).toEqual({ tenant: "t_2" });
  });

  it("rejects a body without email_id", () => {
    expect(() => parseResendEvent({ type: "email.delivered", created_at: "2025-01-15T12:02:00.000Z", data: {} }, "msg_1")).toThrow(InvalidMailEventError);
  });

  it("rejects an unreadable created_at", () => {
    expect(() => parseResendEvent({ ...resendBounced, created_at: "noon" }, "msg_1")).toThrow(InvalidMailEventError);
  });

  it("rejects an empty svix id", () => {
    expect(() => parseResendEvent(resendBounced, "")).toThrow(InvalidMailEventError);
  });
});

describe("parseSendGridEvents", () => {
  const batch = parseSendGridEvents(sendGridEvents);

  it("reads every valid event", () => {
    expect(batch.events.map((event) => event.kind)).toEqual(["delivered", "opened", "bounced_soft", "unsubscribed"]);
  });

  it("reports the invalid element by index", () => {
    expect(batch.invalid).toHaveLength(1);
    expect(batch.invalid[0]!.message).toContain("event 4");
  });

  it("uses sg_event_id as the event id", () => {
    expect(batch.events[0]!.eventId).toBe("ZGVsaXZlcmVkLTAtMTIz");
  });

  it("cuts sg_message_id back to the X-Message-Id", () => {
    expect(batch.events[0]!.providerMessageId).toBe("LtHUN1nNR-C3CTVe0Kx6qA");
    expect(batch.events[2]!.providerMessageId).toBe("14c5d75ce93.dfd.64b469");
  });

  it("reads custom_args as metadata", () => {
    expect(batch.events[0]!.metadata).toEqual({ tenant: "t_1", outboundMessageId: "msg_44" });
  });

  it("reads the timestamp in seconds", () => {
    expect(batch.events[1]!.occurredAt.toISOString()).toBe("2025-01-15T12:01:00.000Z");
  });

  it("keeps the bounce reason as detail", () => {
    expect(batch.events[2]!.detail).toBe("550 5.7.1 blocked by policy");
    expect(batch.events[2]!.providerEvent).toBe("bounce/blocked");
  });

  it("reads a rejected bounce as hard", () => {
    const [event] = parseSendGridEvents([{ ...sendGridEvents[2], type: "bounce" }]).events;
    expect(event!.kind).toBe("bounced_hard");
  });

  const drops: Array<[string, MailEventKind]> = [
    ["Bounced Address", "bounced_hard"],
    ["Invalid", "bounced_hard"],
    ["Spam Reporting Address", "complained"],
    ["Unsubscribed Address", "unsubscribed"],
    ["Spam Content (if spam checker app enabled)", "bounced_soft"],
  ];
  for (const [reason, kind] of drops) {
    it(`maps a drop for ${reason} to ${kind}`, () => {
      const [event] = parseSendGridEvents([{ ...sendGridEvents[3], reason }]).events;
      expect(event!.kind).toBe(kind);
    });
  }

  it("keeps processed as other", () => {
    const [event] = parseSendGridEvents([{ ...sendGridEvents[0], event: "processed" }]).events;
    expect(event!.kind).toBe("other");
  });

  it("rejects a body that is not an array", () => {
    expect(() => parseSendGridEvents(sendGridEvents[0])).toThrow(InvalidMailEventError);
  });
});

describe("matchesSendGridMessage", () => {
  it("matches the id with a filter suffix", () => {
    expect(matchesSendGridMessage("LtHUN1nNR-C3CTVe0Kx6qA.filterdrecv-1.0", "LtHUN1nNR-C3CTVe0Kx6qA")).toBe(true);
  });

  it("matches the bare id", () => {
    expect(matchesSendGridMessage("LtHUN1nNR-C3CTVe0Kx6qA", "LtHUN1nNR-C3CTVe0Kx6qA")).toBe(true);
  });

  it("rejects a longer id with the same start", () => {
    expect(matchesSendGridMessage("LtHUN1nNR-C3CTVe0Kx6qAB.filter0001", "LtHUN1nNR-C3CTVe0Kx6qA")).toBe(false);
  });

  it("rejects an empty X-Message-Id", () => {
    expect(matchesSendGridMessage("abc.filter0001", "")).toBe(false);
  });

  it("leaves an id without a known suffix whole", () => {
    expect(sendGridMessageId("abc123")).toBe("abc123");
  });
});

describe("parseMailgunEvent", () => {
  it("reads a permanent failure", () => {
    const event = parseMailgunEvent(mailgunFailed);
    expect(event.kind).toBe("bounced_hard");
    expect(event.eventId).toBe("G9Bn5sl1TC6nu79C8C0bwg");
    expect(event.providerEvent).toBe("failed/permanent");
    expect(event.recipient).toBe("jane@example.org");
    expect(event.detail).toBe("5.1.1 The email account that you tried to reach does not exist");
  });

  it("keeps the fraction of the timestamp", () => {
    expect(parseMailgunEvent(mailgunFailed).occurredAt.toISOString()).toBe("2025-01-15T12:00:00.523Z");
  });

  it("matches the id the adapter stores", () => {
    expect(parseMailgunEvent(mailgunFailed).providerMessageId).toBe("20250115.1@mg.hartleycole.example");
  });

  it("strips angle brackets from the message id", () => {
    const body = structuredClone(mailgunFailed);
    body["event-data"].message.headers["message-id"] = "<20250115.1@mg.hartleycole.example>";
    expect(parseMailgunEvent(body).providerMessageId).toBe("20250115.1@mg.hartleycole.example");
  });

  it("turns numeric user variables into text", () => {
    expect(parseMailgunEvent(mailgunFailed).metadata).toEqual({ tenant: "t_1", outboundMessageId: "msg_45", attempt: "2" });
  });

  const failures: Array<[string, string, MailEventKind]> = [
    ["temporary", "generic", "deferred"],
    ["permanent", "old", "bounced_soft"],
    ["permanent", "suppress-unsubscribe", "unsubscribed"],
    ["permanent", "suppress-complaint", "complained"],
    ["permanent", "suppress-bounce", "bounced_hard"],
  ];
  for (const [severity, reason, kind] of failures) {
    it(`maps failed ${severity} ${reason} to ${kind}`, () => {
      const body = structuredClone(mailgunFailed);
      Object.assign(body["event-data"], { severity, reason });
      expect(parseMailgunEvent(body).kind).toBe(kind);
    });
  }

  for (const [name, kind] of [["delivered", "delivered"], ["opened", "opened"], ["clicked", "clicked"], ["complained", "complained"], ["accepted", "other"]] as const) {
    it(`maps ${name} to ${kind}`, () => {
      const body = structuredClone(mailgunFailed);
      Object.assign(body["event-data"], { event: name, severity: undefined });
      expect(parseMailgunEvent(body).kind).toBe(kind);
    });
  }

  it("rejects a body without event-data", () => {
    expect(() => parseMailgunEvent({ signature: mailgunFailed.signature })).toThrow(InvalidMailEventError);
  });

  it("rejects event-data without an id", () => {
    const body = structuredClone(mailgunFailed) as { "event-data": Record<string, unknown> };
    delete body["event-data"].id;
    expect(() => parseMailgunEvent(body)).toThrow(InvalidMailEventError);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe("shouldApply", () => {
  const at = (minute: number) => new Date(Date.UTC(2025, 0, 15, 12, minute));
  const incoming = (kind: MailEventKind, minute: number) => ({ kind, occurredAt: at(minute) });

  it("applies the first event", () => {
    expect(shouldApply(null, null, incoming("delivered", 1))).toBe(true);
  });

  it("never applies other", () => {
    expect(shouldApply(null, null, incoming("other", 1))).toBe(false);
  });

  it("ignores a duplicate", () => {
    expect(shouldApply(at(1), "delivered", incoming("delivered", 1))).toBe(false);
  });

  it("applies a later event of the same kind", () => {
    expect(shouldApply(at(1), "opened", incoming("opened", 5))).toBe(true);
  });

  it("ignores an earlier event of the same kind", () => {
    expect(shouldApply(at(5), "opened", incoming("opened", 1))).toBe(false);
  });

  it("keeps a bounce against a late delivered", () => {
    expect(shouldApply(at(1), "bounced_hard", incoming("delivered", 9))).toBe(false);
  });

  it("keeps a soft bounce against a late delivered", () => {
    expect(shouldApply(at(1), "bounced_soft", incoming("delivered", 9))).toBe(false);
  });

  it("applies a bounce that arrives after its delivery", () => {
    expect(shouldApply(at(9), "delivered", incoming("bounced_hard", 1))).toBe(true);
  });

  it("applies delivered after deferred", () => {
    expect(shouldApply(at(1), "deferred", incoming("delivered", 3))).toBe(true);
  });

  it("ignores deferred after delivered", () => {
    expect(shouldApply(at(3), "delivered", incoming("deferred", 5))).toBe(false);
  });

  it("applies a complaint after an open", () => {
    expect(shouldApply(at(3), "opened", incoming("complained", 5))).toBe(true);
  });

  it("treats a current other as no status", () => {
    expect(shouldApply(at(3), "other", incoming("deferred", 1))).toBe(true);
  });

  it("reaches one status in any arrival order", () => {
    const events: Array<Pick<MailEvent, "kind" | "occurredAt">> = [
      incoming("deferred", 1),
      incoming("delivered", 2),
      incoming("opened", 3),
      incoming("opened", 4),
      incoming("bounced_soft", 5),
      incoming("delivered", 6),
      incoming("other", 7),
    ];
    const finals = new Set<string>();
    for (const order of permutations(events)) {
      let statusAt: Date | null = null;
      let kind: MailEventKind | null = null;
      for (const event of [...order, ...order]) {
        if (!shouldApply(statusAt, kind, event)) continue;
        statusAt = event.occurredAt;
        kind = event.kind;
      }
      finals.add(`${kind}@${statusAt?.toISOString()}`);
    }
    expect([...finals]).toEqual([`bounced_soft@${at(5).toISOString()}`]);
  });
});

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, index) => permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]));
}
