import type { Mailbox } from "../mail/types";
import { decodeBytes } from "./charset";

/**
 * Readers for raw RFC 5322 header text, for the parts of inbound mail that providers pass on undecoded: SendGrid's
 * `headers` block, Mailgun's `message-headers`, Postmark's `Headers` list. None of them throws: a value they cannot
 * read comes back as null or an empty list.
 */

/** A header as received: name as written, value unfolded. */
export type HeaderField = [name: string, value: string];

/**
 * Splits a raw header block into fields. Continuation lines (starting with a space or tab) are joined to the field
 * above by removing the line break only (RFC 5322 section 2.2.3). A line without a colon is skipped.
 */
export function parseHeaderBlock(block: string): HeaderField[] {
  const fields: HeaderField[] = [];

  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && fields.length > 0) {
      const last = fields[fields.length - 1]!;
      last[1] += line;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    fields.push([line.slice(0, colon).trim(), line.slice(colon + 1)]);
  }

  return fields.map(([name, value]) => [name, value.trim()]);
}

/** Groups header fields by lower-case name, keeping every value in the order received. */
export function toHeaderMap(fields: Iterable<HeaderField>): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const [name, value] of fields) {
    const key = name.toLowerCase();
    (map[key] ??= []).push(value);
  }
  return map;
}

export function firstHeader(headers: Record<string, string[]>, name: string): string | null {
  return headers[name.toLowerCase()]?.[0] ?? null;
}

// ---------------------------------------------------------------------------------------------------------------
// RFC 2047 encoded-words

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

/**
 * Decodes RFC 2047 encoded-words (`=?charset?B?...?=` and `=?charset?Q?...?=`) in a header value. Whitespace between
 * two encoded-words is dropped (RFC 2047 section 6.2). Adjacent words in the same charset are decoded together,
 * because many senders split one multi-byte character across two words. A word in a charset that TextDecoder does
 * not support is left as written.
 */
export function decodeEncodedWords(value: string): string {
  if (!value.includes("=?")) return value;

  const pieces: Array<{ text: string } | { charset: string; bytes: Uint8Array; source: string }> = [];
  let position = 0;
  for (const match of value.matchAll(ENCODED_WORD)) {
    const between = value.slice(position, match.index);
    const previous = pieces[pieces.length - 1];
    // Only whitespace between two encoded-words is dropped; other text stays.
    if (between !== "" && !(previous && "bytes" in previous && /^\s+$/.test(between))) pieces.push({ text: between });

    const charset = match[1]!.replace(/\*.*$/, "").toLowerCase();
    const bytes = match[2]!.toUpperCase() === "B" ? decodeBase64Word(match[3]!) : decodeQWord(match[3]!);
    const last = pieces[pieces.length - 1];
    if (bytes && last && "bytes" in last && last.charset === charset) {
      last.bytes = joinBytes(last.bytes, bytes);
      last.source += match[0];
    } else if (bytes) {
      pieces.push({ charset, bytes, source: match[0] });
    } else {
      pieces.push({ text: match[0] });
    }
    position = match.index + match[0].length;
  }
  if (position < value.length) pieces.push({ text: value.slice(position) });

  return pieces
    .map((piece) => {
      if ("text" in piece) return piece.text;
      const decoded = decodeBytes(piece.bytes, piece.charset);
      return decoded.supported ? decoded.text : piece.source;
    })
    .join("");
}

function decodeBase64Word(text: string): Uint8Array | null {
  try {
    const binary = atob(text);
    return Uint8Array.from(binary, (character) => character.charCodeAt(0));
  } catch {
    return null;
  }
}

/** Decodes the Q encoding, where `_` is a space and `=XX` a byte in hex (RFC 2047 section 4.2). */
function decodeQWord(text: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const character = text[i]!;
    const hex = text.slice(i + 1, i + 3);
    if (character === "=" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(character === "_" ? 0x20 : character.charCodeAt(0) & 0xff);
    }
  }
  return Uint8Array.from(bytes);
}

function joinBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

// ---------------------------------------------------------------------------------------------------------------
// Addresses

// Loose on purpose, because logging an email with an odd address beats dropping it.
const ADDRESS = /^[^\s@<>,;"]+@[^\s@<>,;"]+$/;

/**
 * Parses an address-list header (`From`, `To`, `Cc`) into mailboxes. Handles display names in quotes or
 * encoded-words, `addr (Name)` comments and groups (`Team: a@x, b@y;`, whose members are kept). An entry without a
 * usable address is skipped.
 */
export function parseAddressList(value: string): Mailbox[] {
  const mailboxes: Mailbox[] = [];
  for (const entry of splitOutsideQuotes(value, ",")) {
    // A group's name ends at a colon outside quotes and brackets; its members follow, ending with a semicolon.
    const groupColon = findOutsideQuotes(entry, ":");
    const member = groupColon >= 0 ? entry.slice(groupColon + 1) : entry;
    const mailbox = parseMailbox(member.replace(/;\s*$/, ""));
    if (mailbox) mailboxes.push(mailbox);
  }
  return mailboxes;
}

/** Parses one `Name <addr>`, `<addr>`, `addr` or `addr (Name)`. Returns null when no address is found. */
export function parseMailbox(text: string): Mailbox | null {
  const trimmed = text.trim();
  const angle = /<([^<>]*)>\s*$/.exec(trimmed);

  if (angle) {
    const email = angle[1]!.trim().replace(/^mailto:/i, "");
    if (!ADDRESS.test(email)) return null;
    const name = cleanDisplayName(trimmed.slice(0, angle.index));
    return name ? { email, name } : { email };
  }

  const comment = /\(([^()]*)\)/.exec(trimmed);
  const email = trimmed.replace(/\([^()]*\)/g, "").trim();
  if (!ADDRESS.test(email)) return null;
  const name = comment ? cleanDisplayName(comment[1]!) : "";
  return name ? { email, name } : { email };
}

function cleanDisplayName(raw: string): string {
  let name = raw.trim();
  if (name.startsWith('"') && name.endsWith('"') && name.length >= 2) name = name.slice(1, -1).replace(/\\(.)/g, "$1");
  return decodeEncodedWords(name).replace(/\s+/g, " ").trim();
}

function splitOutsideQuotes(value: string, separator: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let index = findOutsideQuotes(value, separator);
  while (index >= 0) {
    parts.push(value.slice(start, start + index));
    start += index + 1;
    index = findOutsideQuotes(value.slice(start), separator);
  }
  parts.push(value.slice(start));
  return parts.filter((part) => part.trim() !== "");
}

/** Finds `character` outside quoted strings, angle brackets and comments. Returns -1 when there is none. */
function findOutsideQuotes(value: string, character: string): number {
  let quoted = false;
  let angle = 0;
  let comment = 0;
  for (let i = 0; i < value.length; i++) {
    const current = value[i];
    if (quoted) {
      if (current === "\\") i++;
      else if (current === '"') quoted = false;
      continue;
    }
    if (current === '"') quoted = true;
    else if (current === "<") angle++;
    else if (current === ">") angle = Math.max(0, angle - 1);
    else if (current === "(") comment++;
    else if (current === ")") comment = Math.max(0, comment - 1);
    else if (current === character && angle === 0 && comment === 0) return i;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------------------------
// Message-IDs and dates

// An RFC 5322 msg-id: `<left@right>`, no whitespace or brackets inside.
const MESSAGE_ID = /<[^<>\s@]+@[^<>\s@]+>/g;

/** Extracts every msg-id from a header value, in order and without repeats, ignoring anything else in the value. */
export function readMessageIds(value: string | null): string[] {
  if (!value) return [];
  return [...new Set(value.match(MESSAGE_ID) ?? [])];
}

/** Returns the first msg-id in a header value, or null when it contains none (junk such as a bare `abc` or `<abc>`). */
export function readMessageId(value: string | null): string | null {
  return readMessageIds(value)[0] ?? null;
}

/**
 * Parses a Date header leniently: comments such as `(CET)` are dropped and the rest goes to Date.parse. A value
 * without a time of day is rejected, because Date.parse turns many kinds of junk into some date.
 */
export function parseMailDate(value: string | null): Date | null {
  if (!value) return null;
  const cleaned = value.replace(/\([^()]*\)/g, " ").replace(/\s+/g, " ").trim();
  if (!/\d{1,2}:\d{2}/.test(cleaned)) return null;

  const time = Date.parse(cleaned);
  return Number.isNaN(time) ? null : new Date(time);
}
