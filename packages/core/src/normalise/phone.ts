import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js/min";
import { stripInvisible } from "./text";

/**
 * Reads a phone number typed by a person, using the firm's region when no country code was typed, and returns
 * its E.164 form, or null when it is not a valid number (libphonenumber's metadata: a US number typed without +1
 * at a UK firm is not a UK number). `00` international prefixes are understood.
 */
export function normalisePhone(raw: string, defaultRegion: string): string | null {
  const cleaned = stripInvisible(raw).normalize("NFKC").trim();
  if (!/\d/.test(cleaned)) return null;

  const region = defaultRegion.toUpperCase() as CountryCode;
  const parsed = parsePhoneNumberFromString(cleaned, { defaultCountry: region, extract: false });
  if (!parsed || !parsed.isValid()) return null;
  return parsed.number;
}
