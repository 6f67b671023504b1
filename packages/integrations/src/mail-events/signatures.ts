import { MailConfigError } from "../mail/headers";
import { concatBytes, constantTimeEqual, decodeBase64, decodeHex, hmacSha256, toBytes, type RawBody } from "./bytes";
import { derToRawEcdsaSignature } from "./der";
import type { SignatureCheck, SignatureFailure } from "./types";

/**
 * Webhook authentication for the mail providers. Each check runs over the exact bytes or strings the provider
 * signed, compares in constant time, and returns a SignatureCheck instead of throwing, so the route can answer any
 * failure with 401 rather than 500. Secrets are checked once, when a verifier is built, and a malformed one throws
 * MailConfigError there.
 */

const encoder = new TextEncoder();

function reject(reason: SignatureFailure): SignatureCheck {
  return { ok: false, reason };
}

const ACCEPTED: SignatureCheck = { ok: true };

/** Checks that a Unix timestamp in seconds lies within `toleranceSeconds` of `now`, in either direction. */
function isFresh(timestampSeconds: number, now: Date, toleranceSeconds: number): boolean {
  return Math.abs(now.getTime() - timestampSeconds * 1000) <= toleranceSeconds * 1000;
}

const UNIX_SECONDS = /^\d{1,12}$/;

// ---------------------------------------------------------------------------------------------------------------
// Resend (Svix)

/** Svix's own libraries reject timestamps more than five minutes from now, either way (`svix` npm, WEBHOOK_TOLERANCE_IN_SECONDS). */
export const RESEND_TOLERANCE_SECONDS = 5 * 60;

export interface ResendVerifierOptions {
  /** Maximum distance between `svix-timestamp` and now, in seconds. Defaults to 300. */
  toleranceSeconds?: number;
}

/** Checks one Resend webhook request: its headers and the raw body bytes. `now` is for tests. */
export type ResendVerifier = (headers: Headers, rawBody: RawBody, now?: Date) => Promise<SignatureCheck>;

/**
 * Builds a verifier for Resend's webhooks, which Svix signs: the signature is base64 HMAC-SHA256 over
 * `${svix-id}.${svix-timestamp}.${body}`, keyed with the base64 part of the `whsec_...` secret. `svix-signature` may
 * list several space-separated `v1,<base64>` entries while a secret is rotated, and one match is enough. `svix-id`
 * stays the same when Svix resends a message (docs.svix.com, "Verifying Webhooks Manually").
 */
export function createResendVerifier(secret: string, options: ResendVerifierOptions = {}): ResendVerifier {
  const key = decodeBase64(secret.trim().replace(/^whsec_/, ""));
  if (!key || key.length === 0) throw new MailConfigError("resend", "webhook signing secret must be whsec_ followed by base64");
  const toleranceSeconds = options.toleranceSeconds ?? RESEND_TOLERANCE_SECONDS;

  return async function verifyResendWebhook(headers, rawBody, now = new Date()) {
    // Svix also sends the unbranded Standard Webhooks names (webhook-id and so on) with the same meaning.
    const id = headers.get("svix-id") ?? headers.get("webhook-id");
    const timestamp = headers.get("svix-timestamp") ?? headers.get("webhook-timestamp");
    const signatureHeader = headers.get("svix-signature") ?? headers.get("webhook-signature");
    if (!id || !timestamp || !signatureHeader) return reject("missing");
    if (!UNIX_SECONDS.test(timestamp)) return reject("malformed");

    const candidates = readSvixSignatures(signatureHeader);
    if (candidates.length === 0) return reject("malformed");

    const signedContent = concatBytes(encoder.encode(`${id}.${timestamp}.`), toBytes(rawBody));
    const expected = await hmacSha256(key, signedContent);
    // Every candidate is compared, so the time taken does not show which entry matched.
    let matched = false;
    for (const candidate of candidates) matched = constantTimeEqual(candidate, expected) || matched;
    if (!matched) return reject("mismatch");

    if (!isFresh(Number(timestamp), now, toleranceSeconds)) return reject("stale");
    return ACCEPTED;
  };
}

/** Decodes the `v1` entries of a `svix-signature` header, skipping other versions and entries that are not base64. */
function readSvixSignatures(header: string): Uint8Array[] {
  const signatures: Uint8Array[] = [];
  for (const entry of header.trim().split(/\s+/)) {
    const comma = entry.indexOf(",");
    if (comma < 0 || entry.slice(0, comma) !== "v1") continue;
    const bytes = decodeBase64(entry.slice(comma + 1));
    if (bytes && bytes.length > 0) signatures.push(bytes);
  }
  return signatures;
}

// ---------------------------------------------------------------------------------------------------------------
// SendGrid signed Event Webhook

export const SENDGRID_SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature";
export const SENDGRID_TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp";

export interface SendGridVerifierOptions {
  /**
   * Maximum distance between the timestamp header and now, in seconds. Off unless set.
   * NOTE: whether SendGrid signs each retry anew is unconfirmed, and it retries for up to 24 hours, so a tight
   * tolerance could reject every retry of a delayed event. Replays are harmless once events are deduplicated on
   * `sg_event_id`.
   */
  toleranceSeconds?: number;
}

export type SendGridVerifier = (headers: Headers, rawBody: RawBody, now?: Date) => Promise<SignatureCheck>;

/**
 * Builds a verifier for SendGrid's signed Event Webhook: an ECDSA P-256 / SHA-256 signature over the timestamp
 * header followed directly by the raw body, sent as base64 DER. `publicKey` is the verification key from SendGrid's
 * settings, base64 SPKI, with or without PEM armour. Throws MailConfigError when the key cannot be imported.
 */
export async function createSendGridVerifier(publicKey: string, options: SendGridVerifierOptions = {}): Promise<SendGridVerifier> {
  const key = await importSendGridKey(publicKey);
  const toleranceSeconds = options.toleranceSeconds;

  return async function verifySendGridWebhook(headers, rawBody, now = new Date()) {
    const signature = headers.get(SENDGRID_SIGNATURE_HEADER);
    const timestamp = headers.get(SENDGRID_TIMESTAMP_HEADER);
    if (!signature || !timestamp) return reject("missing");
    if (!UNIX_SECONDS.test(timestamp)) return reject("malformed");

    const der = decodeBase64(signature);
    const raw = der ? derToRawEcdsaSignature(der) : null;
    if (!raw) return reject("malformed");

    const signedContent = concatBytes(encoder.encode(timestamp), toBytes(rawBody));
    let valid: boolean;
    try {
      valid = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, raw, signedContent);
    } catch {
      return reject("malformed");
    }
    if (!valid) return reject("mismatch");

    if (toleranceSeconds !== undefined && !isFresh(Number(timestamp), now, toleranceSeconds)) return reject("stale");
    return ACCEPTED;
  };
}

async function importSendGridKey(publicKey: string): Promise<CryptoKey> {
  const base64 = publicKey.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "");
  const spki = decodeBase64(base64);
  if (!spki || spki.length === 0) throw new MailConfigError("sendgrid", "webhook verification key is not base64");

  try {
    return await crypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  } catch (error) {
    throw new MailConfigError("sendgrid", `webhook verification key is not a P-256 public key in SPKI form (${String(error)})`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Mailgun (webhooks and inbound routes)

/** Mailgun sets no tolerance, so the receiver chooses one. Ten minutes leaves room for queueing delays under load. */
export const MAILGUN_TOLERANCE_SECONDS = 10 * 60;

export interface MailgunVerifierOptions {
  /** Maximum distance between the signed timestamp and now, in seconds. Defaults to 600. */
  toleranceSeconds?: number;
}

/**
 * Checks Mailgun's `{timestamp, token, signature}`: the `signature` object of a webhook body, or the form fields of
 * the same names on an inbound route. Takes `unknown`, so any JSON shape is safe to pass. `now` is for tests.
 */
export type MailgunVerifier = (fields: unknown, now?: Date) => Promise<SignatureCheck>;

/**
 * Builds a verifier for Mailgun: the signature is hex HMAC-SHA256 of timestamp followed by token, keyed with the
 * webhook signing key (Mailgun's "Securing webhooks" documentation).
 * NOTE: a signed request stays valid for the whole tolerance window. The caller must store each token it accepts
 * (for longer than the tolerance) and reject a token seen before.
 */
export function createMailgunVerifier(signingKey: string, options: MailgunVerifierOptions = {}): MailgunVerifier {
  if (signingKey.trim() === "") throw new MailConfigError("mailgun", "webhook signing key is missing");
  const key = encoder.encode(signingKey.trim());
  const toleranceSeconds = options.toleranceSeconds ?? MAILGUN_TOLERANCE_SECONDS;

  return async function verifyMailgunSignature(fields, now = new Date()) {
    const timestamp = readField(fields, "timestamp");
    const token = readField(fields, "token");
    const signature = readField(fields, "signature");
    if (!timestamp || !token || !signature) return reject("missing");
    if (!/^\d{1,12}(\.\d+)?$/.test(timestamp)) return reject("malformed");

    const provided = signature.length === 64 ? decodeHex(signature) : null;
    if (!provided) return reject("malformed");

    const expected = await hmacSha256(key, encoder.encode(`${timestamp}${token}`));
    if (!constantTimeEqual(provided, expected)) return reject("mismatch");

    if (!isFresh(Number(timestamp), now, toleranceSeconds)) return reject("stale");
    return ACCEPTED;
  };
}

/** Reads a string field. A number becomes its decimal text, and any other value counts as absent. */
function readField(fields: unknown, name: string): string | null {
  if (typeof fields !== "object" || fields === null) return null;
  const value: unknown = fields instanceof FormData ? fields.get(name) : (fields as Record<string, unknown>)[name];
  if (typeof value === "string") return value.trim();
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Shared secrets (Postmark, SendGrid Inbound Parse)

/**
 * Compares a secret from the request (a path segment, query value or header) with the configured one, for the
 * providers that sign nothing: Postmark and SendGrid Inbound Parse. Both sides are hashed first, so the comparison
 * takes the same time whatever their lengths. Throws MailConfigError when `expected` is blank, because then every
 * empty secret would pass.
 */
export async function checkSharedSecret(provided: string | null | undefined, expected: string): Promise<SignatureCheck> {
  if (expected === "") throw new MailConfigError("webhook", "the expected shared secret is empty");
  if (provided === null || provided === undefined || provided === "") return reject("missing");

  const [providedDigest, expectedDigest] = await Promise.all([sha256(provided), sha256(expected)]);
  return constantTimeEqual(providedDigest, expectedDigest) ? ACCEPTED : reject("mismatch");
}

/**
 * Checks an `Authorization: Basic ...` header against a user name and password, for Postmark webhooks configured
 * with credentials in the URL (`https://user:password@host/...`). Throws MailConfigError when `password` is blank.
 */
export async function checkBasicAuth(authorization: string | null | undefined, username: string, password: string): Promise<SignatureCheck> {
  if (password === "") throw new MailConfigError("webhook", "the expected Basic auth password is empty");
  if (!authorization) return reject("missing");
  const match = /^Basic\s+(\S+)$/i.exec(authorization.trim());
  const decoded = match ? decodeBase64(match[1]!) : null;
  if (!decoded) return reject("malformed");

  return checkSharedSecret(new TextDecoder().decode(decoded), `${username}:${password}`);
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}
