/** Text decoded from bytes in a named charset. */
export interface DecodedText {
  text: string;
  /** The WHATWG encoding actually used, such as `windows-1252` for the label `iso-8859-1`. */
  encoding: string;
  /** False when the runtime has no decoder for the label, so UTF-8 was used instead. */
  supported: boolean;
  /** True when some bytes were invalid in the encoding used and became U+FFFD. */
  replaced: boolean;
}

/**
 * Decodes bytes with the charset a mail header or provider names, through TextDecoder. Labels follow the WHATWG
 * Encoding Standard, which workerd implements: `iso-8859-1` and `us-ascii` decode as windows-1252, as browsers do.
 * An unknown label such as `utf-7` or `unknown-8bit` falls back to UTF-8. Invalid bytes become U+FFFD rather than an
 * error, and `replaced` reports that they did.
 */
export function decodeBytes(bytes: Uint8Array, label: string | null | undefined): DecodedText {
  const cleaned = (label ?? "").trim().replace(/^["']|["']$/g, "").toLowerCase() || "utf-8";

  let decoder: TextDecoder;
  let supported = true;
  try {
    decoder = new TextDecoder(cleaned, { fatal: true, ignoreBOM: false });
  } catch {
    decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
    supported = false;
  }

  try {
    return { text: decoder.decode(bytes), encoding: decoder.encoding, supported, replaced: false };
  } catch {
    const lenient = new TextDecoder(decoder.encoding);
    return { text: lenient.decode(bytes), encoding: decoder.encoding, supported, replaced: true };
  }
}
