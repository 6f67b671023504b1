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

/**
 * Reference characters: digits and consonants only, so a random reference cannot spell a word a firm would not
 * want to show a client. Without I, L, O and U it also reads aloud without confusion. 30 symbols, 8 of them:
 * about 6.6 × 10^11 references.
 */
const REFERENCE_ALPHABET = "0123456789BCDFGHJKMNPQRSTVWXYZ";

/** Creates a short enquiry reference such as `ENQ-7K2M-9QXD` for prospects and staff to quote. */
export function newReference(): string {
  let value = "";
  while (value.length < 8) {
    for (const byte of crypto.getRandomValues(new Uint8Array(8))) {
      // Bytes from 240 up are dropped: 240 is the largest multiple of 30 below 256, so every character is equally likely.
      if (byte < 240 && value.length < 8) value += REFERENCE_ALPHABET[byte % 30];
    }
  }
  return `ENQ-${value.slice(0, 4)}-${value.slice(4)}`;
}
