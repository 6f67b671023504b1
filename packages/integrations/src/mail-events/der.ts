/**
 * Converts an ECDSA signature from DER, as SendGrid and most libraries outside the browser write it
 * (`SEQUENCE { INTEGER r, INTEGER s }`, RFC 3279 section 2.2.3), into the fixed-width r||s form that WebCrypto's
 * `verify` expects (IEEE P1363). `size` is the byte length of each half: 32 for P-256. Returns null for anything
 * that is not exactly one such sequence.
 */
export function derToRawEcdsaSignature(der: Uint8Array, size = 32): Uint8Array | null {
  if (der[0] !== 0x30) return null;

  const sequence = readLength(der, 1);
  if (!sequence || sequence.start + sequence.length !== der.length) return null;

  const r = readInteger(der, sequence.start);
  if (!r) return null;
  const s = readInteger(der, r.end);
  if (!s || s.end !== der.length) return null;

  const raw = new Uint8Array(size * 2);
  if (!copyUnsigned(r.value, raw, 0, size) || !copyUnsigned(s.value, raw, size, size)) return null;
  return raw;
}

/** Reads a DER length at `offset`, short form or long form of at most two bytes (plenty for a signature). */
function readLength(bytes: Uint8Array, offset: number): { length: number; start: number } | null {
  const first = bytes[offset];
  if (first === undefined) return null;
  if (first < 0x80) return { length: first, start: offset + 1 };

  const count = first & 0x7f;
  if (count < 1 || count > 2 || offset + 1 + count > bytes.length) return null;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 1 + i]!;
  return { length, start: offset + 1 + count };
}

function readInteger(bytes: Uint8Array, offset: number): { value: Uint8Array; end: number } | null {
  if (bytes[offset] !== 0x02) return null;
  const header = readLength(bytes, offset + 1);
  if (!header || header.length === 0) return null;

  const end = header.start + header.length;
  if (end > bytes.length) return null;
  return { value: bytes.subarray(header.start, end), end };
}

/**
 * Copies a DER INTEGER into a fixed-width big-endian slot. DER adds a 0x00 byte in front of a value whose top bit
 * is set and drops leading zeros otherwise, so the value is stripped of zeros and then left-padded.
 */
function copyUnsigned(value: Uint8Array, target: Uint8Array, offset: number, size: number): boolean {
  if ((value[0]! & 0x80) !== 0) return false;

  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  const digits = value.subarray(start);
  if (digits.length > size) return false;

  target.set(digits, offset + size - digits.length);
  return true;
}
