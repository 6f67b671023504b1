import { decodeBytes } from "./charset";
import { parseHeaderBlock, toHeaderMap } from "./headers";

/**
 * A multipart/form-data reader that keeps every part as bytes. `Request.formData()` decodes each text field as
 * UTF-8, which destroys fields in other charsets (SendGrid Inbound Parse passes the sender's charset through), so
 * the charset decision is left to the caller.
 */

/** One part of a multipart/form-data body. */
export interface FormPart {
  /** The `name` parameter of Content-Disposition. */
  name: string;
  /** The `filename` parameter, or null for a plain field. */
  filename: string | null;
  /** The part's Content-Type header, or null when absent. */
  contentType: string | null;
  body: Uint8Array;
}

/** A body that is not readable multipart/form-data. The message names the problem. */
export class MultipartError extends Error {
  override name = "MultipartError";
}

const encoder = new TextEncoder();

/**
 * Splits a multipart/form-data body (RFC 7578) into its parts, using the boundary from `contentType`. Accepts LF as
 * well as CRLF line ends. Throws MultipartError when the content type has no boundary, no part starts, or the
 * closing boundary is missing (a cut-off body).
 */
export function parseMultipartFormData(body: Uint8Array, contentType: string): FormPart[] {
  const boundary = readBoundary(contentType);
  const delimiter = encoder.encode(`--${boundary}`);

  let position = findDelimiter(body, delimiter, 0);
  if (position < 0) throw new MultipartError(`no part starts with the boundary ${JSON.stringify(boundary)}`);

  const parts: FormPart[] = [];
  for (;;) {
    let cursor = position + delimiter.length;
    if (body[cursor] === 0x2d && body[cursor + 1] === 0x2d) return parts;

    cursor = skipLineEnd(body, cursor);
    const next = findDelimiter(body, delimiter, cursor);
    if (next < 0) throw new MultipartError("the body ends before the closing boundary");

    // The line break before a delimiter belongs to the delimiter, not to the part (RFC 2046 section 5.1.1).
    let end = next - 1;
    if (end > cursor && body[end - 1] === 0x0d) end--;
    const part = readPart(body.subarray(cursor, Math.max(cursor, end)));
    if (part) parts.push(part);

    position = next;
  }
}

function readBoundary(contentType: string): string {
  if (!/^\s*multipart\/form-data\b/i.test(contentType)) throw new MultipartError(`content type ${JSON.stringify(contentType)} is not multipart/form-data`);
  const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw new MultipartError("the content type has no boundary parameter");
  return boundary;
}

/** Finds a delimiter that starts the body or a line. Returns -1 when there is none. */
function findDelimiter(body: Uint8Array, delimiter: Uint8Array, from: number): number {
  let index = indexOfBytes(body, delimiter, from);
  while (index > 0 && body[index - 1] !== 0x0a) index = indexOfBytes(body, delimiter, index + 1);
  return index;
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  const last = haystack.length - needle.length;
  for (let i = from; i <= last; i++) {
    if (haystack[i] !== first) continue;
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

/** Skips transport padding and the line break after a delimiter. */
function skipLineEnd(body: Uint8Array, cursor: number): number {
  while (body[cursor] === 0x20 || body[cursor] === 0x09) cursor++;
  if (body[cursor] === 0x0d) cursor++;
  if (body[cursor] === 0x0a) cursor++;
  return cursor;
}

function readPart(bytes: Uint8Array): FormPart | null {
  const split = findHeaderEnd(bytes);
  if (!split) return null;

  // Part headers are ASCII in practice, and UTF-8 covers the file names that browsers write unencoded.
  const headers = toHeaderMap(parseHeaderBlock(new TextDecoder().decode(bytes.subarray(0, split.headerEnd))));
  const disposition = headers["content-disposition"]?.[0];
  if (!disposition) return null;

  const parameters = readParameters(disposition);
  const name = parameters.get("name");
  if (name === undefined) return null;

  return {
    name,
    filename: parameters.get("filename*") ?? parameters.get("filename") ?? null,
    contentType: headers["content-type"]?.[0] ?? null,
    body: bytes.subarray(split.bodyStart),
  };
}

function findHeaderEnd(bytes: Uint8Array): { headerEnd: number; bodyStart: number } | null {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (bytes[i + 1] === 0x0a) return { headerEnd: i, bodyStart: i + 2 };
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return { headerEnd: i, bodyStart: i + 3 };
  }
  return null;
}

/**
 * Reads the parameters of a Content-Disposition value, names in lower case. `filename*` in RFC 5987 form
 * (`utf-8''Ren%C3%A9e.pdf`) is decoded.
 */
export function readParameters(value: string): Map<string, string> {
  const parameters = new Map<string, string>();
  for (const match of value.matchAll(/;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g)) {
    const name = match[1]!.toLowerCase();
    const raw = match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : match[3]!.trim();
    parameters.set(name, name.endsWith("*") ? decodeExtendedValue(raw) : raw);
  }
  return parameters;
}

function decodeExtendedValue(value: string): string {
  const match = /^([^']*)'[^']*'(.*)$/.exec(value);
  if (!match) return value;

  const bytes: number[] = [];
  const encoded = match[2]!;
  for (let i = 0; i < encoded.length; i++) {
    const hex = encoded.slice(i + 1, i + 3);
    if (encoded[i] === "%" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(encoded.charCodeAt(i) & 0xff);
    }
  }
  return decodeBytes(Uint8Array.from(bytes), match[1] || "utf-8").text;
}
