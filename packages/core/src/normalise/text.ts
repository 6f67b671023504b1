/**
 * C0 and C1 control characters except tab, line feed and carriage return, which multi-line answers keep.
 */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;

/**
 * Control characters and invisible formatting characters (Unicode category Cf: zero-width spaces and joiners,
 * bidirectional marks and overrides, the byte-order mark, soft hyphen) plus the other invisible separators.
 * None of them can be part of an email address or a phone number.
 */
const INVISIBLE_CHARACTERS = /[\p{Cc}\p{Cf}\u2028\u2029\u180E\u3164\uFFA0\u115F\u1160]/gu;

/** Removes control characters (keeping tab and line breaks) and normalises to NFC. Spaces around are trimmed. */
export function cleanFreeText(value: string): string {
  return value.replace(CONTROL_CHARACTERS, "").normalize("NFC").trim();
}

/**
 * Tab and every Unicode line break (UAX #14 mandatory breaks): LF, CR, vertical tab, form feed, next line (NEL),
 * line separator and paragraph separator. VT, FF and NEL are also control characters, so they must become
 * spaces before control characters are removed, or the words on either side would run together.
 */
const LINE_BREAKS_AND_TABS = /[\t\n\u000B\u000C\r\u0085\u2028\u2029]+/g;

/**
 * Cleans a one-line value such as a name: NFC, no control characters, line breaks and tabs turned into spaces,
 * spaces around trimmed. Letters, apostrophes, accents and joiners inside the name are kept as typed, since
 * scripts such as Persian need the zero-width non-joiner.
 */
export function cleanSingleLine(value: string): string {
  return cleanFreeText(value.replace(LINE_BREAKS_AND_TABS, " ").replace(BIDI_OVERRIDES, ""));
}

/**
 * Bidirectional embeddings, overrides and isolates (U+202A to U+202E, U+2066 to U+2069). In a one-line value they
 * can make a name display as other text; the marks LRM and RLM, which right-to-left names may need, are kept.
 */
const BIDI_OVERRIDES = /[\u202A-\u202E\u2066-\u2069]/g;

/** Removes every control and invisible formatting character, for values that are identifiers. */
export function stripInvisible(value: string): string {
  return value.replace(INVISIBLE_CHARACTERS, "");
}

/** Length in Unicode code points, which is what a person counts as characters (an emoji is one). */
export function codePointLength(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}
