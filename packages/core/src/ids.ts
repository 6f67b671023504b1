/** Crockford base32: no I, L, O or U, so references read aloud over the phone without confusion. */
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function randomBase32(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const byte of bytes) out += CROCKFORD[byte & 31];
  return out;
}

function timeBase32(ms: number): string {
  let out = "";
  let value = ms;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

/**
 * Creates a record id such as `opp_01JD8X3K4M7Q2W9ZP5R6T8V0AB`: a type prefix, then a ULID-style value whose
 * first ten characters are the creation time, so ids sort by creation.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  return `${prefix}_${timeBase32(now)}${randomBase32(16)}`.toLowerCase();
}

/** Creates a short enquiry reference such as `ENQ-7K2M-9QXD` for prospects and staff to quote. */
export function newReference(): string {
  const value = randomBase32(8);
  return `ENQ-${value.slice(0, 4)}-${value.slice(4)}`;
}
