import { ENQUIRY_LIMITS } from "../enquiry/limits";
import { stripInvisible } from "./text";

export interface NormalisedEmail {
  /** The address as typed, minus invisible characters, with the domain in Unicode as typed but NFC. */
  display: string;
  /** Lower-case local part and the ASCII (punycode) domain: the key to match contacts on. */
  key: string;
  /** The domain in ASCII, such as `xn--bcher-kva.example`. */
  domain: string;
}

export type EmailProblem = "invalid" | "too_long";

/** Characters allowed in an unquoted local part (RFC 5322 atext), plus any non-ASCII letter (RFC 6531). */
const LOCAL_PART = /^[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+(\.[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const ASCII_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Converts a domain to its ASCII form with the WHATWG URL parser, which applies UTS #46 mapping: full-width
 * letters, upper case and Unicode labels all come out as the same lower-case punycode.
 */
export function toAsciiDomain(domain: string): string | null {
  const trimmed = domain.replace(/\.$/, "");
  if (!trimmed || /[\s/\\?#@:[\]%]/.test(trimmed)) return null;
  let host: string;
  try {
    host = new URL(`http://${trimmed}/`).hostname;
  } catch {
    return null;
  }
  const labels = host.split(".");
  if (labels.length < 2 || host.length > 253) return null;
  if (!labels.every((label) => ASCII_LABEL.test(label))) return null;
  // A top-level label made only of digits would make this an IP address, which is not accepted here.
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return null;
  return host;
}

/**
 * Validates and normalises an email address typed by a person. Plus tags are kept: `jane+law@x` and `jane@x`
 * are different addresses. The domain may be written in Unicode, punycode or any case and still matches.
 */
export function normaliseEmail(raw: string): NormalisedEmail | EmailProblem {
  const cleaned = stripInvisible(raw).normalize("NFC").trim();
  if ([...cleaned].length > ENQUIRY_LIMITS.email) return "too_long";

  // The full-width and small commercial at signs are mapped so that a phone keyboard's @ still parses.
  const withAt = cleaned.replace(/[\uFF20\uFE6B]/g, "@");
  const at = withAt.lastIndexOf("@");
  if (at <= 0 || at === withAt.length - 1) return "invalid";

  const local = withAt.slice(0, at);
  const domain = withAt.slice(at + 1);
  if (new TextEncoder().encode(local).length > 64 || !LOCAL_PART.test(local)) return "invalid";

  const asciiDomain = toAsciiDomain(domain);
  if (!asciiDomain) return "invalid";

  // RFC 5321 caps the address at 254 octets as sent. Punycode makes a Unicode domain longer than it was typed,
  // so the cap is checked again on the UTF-8 bytes of the ASCII-domain form.
  const key = `${local.toLowerCase()}@${asciiDomain}`;
  if (new TextEncoder().encode(key).length > ENQUIRY_LIMITS.email) return "too_long";

  return {
    display: `${local}@${domain.normalize("NFC").replace(/\.$/, "")}`,
    key,
    domain: asciiDomain,
  };
}
