import { assertTimeZone, validEpochMilliseconds } from "./zoned";

const firmFormatters = new Map<string, Intl.DateTimeFormat>();

/**
 * Formats an instant as the firm's local date and 24-hour time for emails and alerts, such
 * as "Mon 7 Dec 2026, 10:30" in en-GB. Other locales keep their own order and punctuation.
 * Throws RangeError for an unknown time zone or locale.
 */
export function formatForFirm(at: Date, timeZone: string, locale = "en-GB"): string {
  const epochMs = validEpochMilliseconds(at, "at");
  const parts = firmFormatter(timeZone, locale).formatToParts(epochMs);

  // ICU's en-GB pattern (CLDR data, as in workerd) prints "Mon, 7 Dec 2026", but the UK style
  // wanted in emails has no comma after the weekday, so English day-first output drops it.
  const isEnglish = /^en(-|$)/i.test(locale);
  return parts
    .map((part, index) => {
      const previous = parts[index - 1];
      const next = parts[index + 1];
      const followsWeekday = previous?.type === "weekday" && next?.type === "day";
      return isEnglish && followsWeekday && part.type === "literal" && part.value === ", " ? " " : part.value;
    })
    .join("");
}

function firmFormatter(timeZone: string, locale: string): Intl.DateTimeFormat {
  const key = `${locale}\u0000${timeZone}`;
  const cached = firmFormatters.get(key);
  if (cached) return cached;

  assertTimeZone(timeZone);
  const formatter = new Intl.DateTimeFormat(locale, {
    timeZone,
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  firmFormatters.set(key, formatter);
  return formatter;
}
