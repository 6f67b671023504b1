import { DEFAULT_STAGES, STANDARD_CHANNELS, type StageKey } from "@plumbline/core";

/** Time zone for dates when the firm's own is not known yet. */
export const DEFAULT_TIME_ZONE = "Europe/London";

const LOCALE = "en-GB";

/**
 * Returns a formatter made once per kind and key. Building an Intl formatter costs far more than using one, and a
 * pipeline page formats a few hundred dates and a timeline up to 500, so each is built once and reused.
 */
const formatters = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat | Intl.RelativeTimeFormat>();
function cached<T extends Intl.DateTimeFormat | Intl.NumberFormat | Intl.RelativeTimeFormat>(key: string, build: () => T): T {
  let formatter = formatters.get(key) as T | undefined;
  if (!formatter) {
    formatter = build();
    formatters.set(key, formatter);
  }
  return formatter;
}

export function formatDateTime(iso: string | null | undefined, timeZone: string = DEFAULT_TIME_ZONE): string {
  if (!iso) return "";
  const formatter = cached(
    `date-time:${timeZone}`,
    () => new Intl.DateTimeFormat(LOCALE, { timeZone, weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" }),
  );
  return formatter.format(new Date(iso));
}

export function formatDate(iso: string | null | undefined, timeZone: string = DEFAULT_TIME_ZONE): string {
  if (!iso) return "";
  return cached(`date:${timeZone}`, () => new Intl.DateTimeFormat(LOCALE, { timeZone, day: "numeric", month: "short", year: "numeric" })).format(new Date(iso));
}

/** Formats an amount in minor units (pence for GBP) as currency, such as "£1,250.00". */
export function formatMoney(amountMinor: number | null | undefined, currency = "GBP"): string {
  if (amountMinor === null || amountMinor === undefined) return "";
  const formatter = cached(`money:${currency}`, () => new Intl.NumberFormat(LOCALE, { style: "currency", currency }));
  const digits = formatter.resolvedOptions().maximumFractionDigits ?? 2;
  return formatter.format(amountMinor / 10 ** digits);
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
];

/** Describes how long ago `iso` was, such as "3 days ago", counting whole units. */
export function formatAgo(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return "";
  const elapsed = now.getTime() - new Date(iso).getTime();
  const format = cached("ago", () => new Intl.RelativeTimeFormat(LOCALE, { numeric: "auto" }));
  for (const [unit, size] of UNITS) {
    if (Math.abs(elapsed) >= size) return format.format(-Math.trunc(elapsed / size), unit);
  }
  return "just now";
}

/** Calendar date of `iso` in `timeZone` as YYYY-MM-DD, for comparing days across time zones. */
export function calendarDay(iso: string | Date, timeZone: string): string {
  return cached(`day:${timeZone}`, () => new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })).format(new Date(iso));
}

export const STAGES = DEFAULT_STAGES;

export function stageLabel(stage: string): string {
  return DEFAULT_STAGES.find((candidate) => candidate.key === stage)?.label ?? stage;
}

export function isStageKey(value: string): value is StageKey {
  return DEFAULT_STAGES.some((stage) => stage.key === value);
}

const CHANNEL_LABELS: Readonly<Record<(typeof STANDARD_CHANNELS)[number], string>> = {
  paid_search: "Paid search",
  organic_search: "Organic search",
  paid_social: "Paid social",
  organic_social: "Organic social",
  display: "Display",
  email: "Email",
  affiliate: "Affiliate",
  referral: "Referral",
  direct: "Direct",
};

/** Standard channels get a label; a firm's own channel names are shown as the firm wrote them. */
export function channelLabel(channel: string): string {
  return (CHANNEL_LABELS as Record<string, string>)[channel] ?? channel;
}

export const CHANNELS = STANDARD_CHANNELS;
