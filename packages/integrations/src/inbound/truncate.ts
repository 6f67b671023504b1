/** Appended where truncateForTimeline cut the text. */
export const TRUNCATION_MARKER = "\n[…truncated]";

// How far back from the limit a cut may move to land on whitespace: up to a fifth of the allowed length.
const WORD_BOUNDARY_WINDOW = 0.2;

/**
 * Shortens text to at most `maxChars` UTF-16 code units, marker included, for a timeline entry. The cut moves back
 * to the last whitespace when one is near, so words stay whole, and never splits a surrogate pair. Text that fits
 * is returned unchanged. Throws RangeError when `maxChars` leaves no room for any text beside the marker.
 */
export function truncateForTimeline(text: string, maxChars: number, marker: string = TRUNCATION_MARKER): string {
  if (!Number.isInteger(maxChars) || maxChars <= marker.length) {
    throw new RangeError(`maxChars must be an integer greater than the marker's length ${marker.length}, got ${maxChars}`);
  }
  if (text.length <= maxChars) return text;

  let cut = maxChars - marker.length;
  const earliest = Math.floor(cut * (1 - WORD_BOUNDARY_WINDOW));
  const space = text.slice(earliest, cut + 1).search(/\s\S*$/);
  if (space >= 0 && earliest + space > 0) cut = earliest + space;

  // A high surrogate at the end would leave half a character.
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;

  return `${text.slice(0, cut).trimEnd()}${marker}`;
}
