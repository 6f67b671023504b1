/**
 * Webhook signature checks for the booking providers. Both run over the exact request bytes, because
 * re-serialised JSON differs from what the provider signed, and neither throws on bad input: a missing or
 * malformed header is a rejected request (401), never a server error.
 */

/** Cal.com's header: hex HMAC-SHA256 of the raw body with the webhook's secret (Cal.com docs, "Webhooks"). */
export const CALCOM_SIGNATURE_HEADER = "X-Cal-Signature-256";

/** Calendly's header: `t=<unix seconds>,v1=<hex>` (Calendly developer docs, "Webhook Signatures"). */
export const CALENDLY_SIGNATURE_HEADER = "Calendly-Webhook-Signature";

/** How far the Calendly timestamp may be from our clock, either way, before a delivery counts as a replay. */
export const CALENDLY_DEFAULT_TOLERANCE_SECONDS = 300;

export type CalendlySignatureCheck =
  | { ok: true }
  | { ok: false; reason: "missing" | "malformed" | "mismatch" | "stale" };

const SHA256_HEX = /^[0-9a-f]{64}$/i;
const UNIX_SECONDS = /^\d{1,12}$/;
const encoder = new TextEncoder();

/** Checks Cal.com's `X-Cal-Signature-256` against the raw body. A missing or malformed header returns false. */
export async function verifyCalcomSignature(
  rawBody: ArrayBuffer | Uint8Array,
  headerValue: string | null,
  secret: string,
): Promise<boolean> {
  const expected = hexToBytes(headerValue?.trim() ?? "");
  if (!expected) return false;

  const actual = await hmacSha256(secret, toBytes(rawBody));
  if (!actual) return false;

  return constantTimeEqual(actual, expected);
}

/**
 * Checks Calendly's `Calendly-Webhook-Signature`: v1 is the hex HMAC-SHA256 of `${t}.${rawBody}`. Any one
 * matching v1 entry passes, so a key rotation that signs with two keys still verifies. The signature is checked
 * before the timestamp, so "stale" always means a genuine delivery outside the window (a replay or a skewed
 * clock), while a forgery reports "mismatch" whatever its timestamp.
 */
export async function verifyCalendlySignature(
  rawBody: ArrayBuffer | Uint8Array,
  headerValue: string | null,
  signingKey: string,
  now: Date,
  toleranceSeconds: number = CALENDLY_DEFAULT_TOLERANCE_SECONDS,
): Promise<CalendlySignatureCheck> {
  if (!headerValue?.trim()) return { ok: false, reason: "missing" };

  const header = parseCalendlyHeader(headerValue);
  if (!header) return { ok: false, reason: "malformed" };

  const signed = concatBytes(encoder.encode(`${header.timestamp}.`), toBytes(rawBody));
  const actual = await hmacSha256(signingKey, signed);
  if (!actual) return { ok: false, reason: "mismatch" };

  // Every entry is compared, with no early exit, so the time taken does not reveal which entry matched.
  let matched = false;
  for (const candidate of header.signatures) {
    if (constantTimeEqual(actual, candidate)) matched = true;
  }
  if (!matched) return { ok: false, reason: "mismatch" };

  const ageSeconds = now.getTime() / 1000 - header.timestamp;
  if (Math.abs(ageSeconds) > toleranceSeconds) return { ok: false, reason: "stale" };

  return { ok: true };
}

/**
 * Reads `t=…,v1=…[,v1=…]`. Unknown keys are skipped so that a future scheme (v2) does not break v1 checks, and
 * v1 values that are not 64 hex digits are dropped. Returns undefined without exactly one numeric t and at
 * least one usable v1.
 */
function parseCalendlyHeader(value: string): { timestamp: number; signatures: Uint8Array[] } | undefined {
  let timestamp: number | undefined;
  let timestampCount = 0;
  const signatures: Uint8Array[] = [];

  for (const part of value.split(",")) {
    const separator = part.indexOf("=");
    if (separator < 0) continue;
    const key = part.slice(0, separator).trim();
    const entry = part.slice(separator + 1).trim();

    if (key === "t") {
      timestampCount += 1;
      if (UNIX_SECONDS.test(entry)) timestamp = Number(entry);
    } else if (key === "v1") {
      const bytes = hexToBytes(entry);
      if (bytes) signatures.push(bytes);
    }
  }

  if (timestampCount !== 1 || timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}

/** Computes HMAC-SHA256 with WebCrypto. Returns undefined when the key cannot be imported, as for an empty key. */
async function hmacSha256(secret: string, data: Uint8Array): Promise<Uint8Array | undefined> {
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
  } catch {
    return undefined;
  }
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, data));
}

/** Compares two byte arrays in time that depends only on their length, not on where they first differ. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/** Decodes a SHA-256 hex digest. Anything else returns undefined, so junk never reaches the comparison. */
function hexToBytes(hex: string): Uint8Array | undefined {
  if (!SHA256_HEX.test(hex)) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function toBytes(body: ArrayBuffer | Uint8Array): Uint8Array {
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

function concatBytes(first: Uint8Array, second: Uint8Array): Uint8Array {
  const joined = new Uint8Array(first.length + second.length);
  joined.set(first, 0);
  joined.set(second, first.length);
  return joined;
}
