/**
 * Bands of time to the first human response, in order. `upToMinutes` is the band's exclusive upper bound, so a
 * reply after exactly 60 minutes is in "1–4 hours". The last timed band is open-ended, and "none" contains the
 * enquiries that have no reply yet.
 */
export const RESPONSE_BANDS = [
  { key: "under_1h", label: "Under 1 hour", upToMinutes: 60 },
  { key: "1h_to_4h", label: "1–4 hours", upToMinutes: 240 },
  { key: "4h_to_24h", label: "4–24 hours", upToMinutes: 1_440 },
  { key: "1d_to_3d", label: "1–3 days", upToMinutes: 4_320 },
  { key: "over_3d", label: "Over 3 days", upToMinutes: null },
  { key: "none", label: "No response yet", upToMinutes: null },
] as const;

export type ResponseBandKey = (typeof RESPONSE_BANDS)[number]["key"];

/** Returns the band of a response time in minutes, or "none" when there has been no response. */
export function responseBandOf(minutes: number | null): ResponseBandKey {
  if (minutes === null) return "none";
  if (!Number.isFinite(minutes) || minutes < 0) throw new RangeError(`Invalid response time ${String(minutes)}: expected minutes, 0 or more`);
  for (const band of RESPONSE_BANDS) {
    if (band.upToMinutes !== null && minutes < band.upToMinutes) return band.key;
  }
  return "over_3d";
}

/** Enquiries and wins counted in one band. */
export interface BandCount {
  band: ResponseBandKey;
  enquiries: number;
  won: number;
}

/** One band's conversion: `rate` is won ÷ enquiries (4 decimal places), or null for a band with no enquiries. */
export interface BandConversion extends BandCount {
  label: string;
  rate: number | null;
}

/** Returns every band in order with its counts (zero when absent from `counts`) and its conversion rate. */
export function conversionByBand(counts: readonly BandCount[]): BandConversion[] {
  return RESPONSE_BANDS.map((band) => {
    const matching = counts.filter((count) => count.band === band.key);
    const enquiries = matching.reduce((sum, count) => sum + count.enquiries, 0);
    const won = matching.reduce((sum, count) => sum + count.won, 0);
    return { band: band.key, label: band.label, enquiries, won, rate: ratio(won, enquiries) };
  });
}

/** Returns part ÷ whole rounded to 4 decimal places, or null when the whole is 0. */
export function ratio(part: number, whole: number): number | null {
  if (whole === 0) return null;
  return Math.round((part / whole) * 10_000) / 10_000;
}

/**
 * Share of enquiries replied to within the target: replied to in time ÷ all enquiries counted. An enquiry without a
 * reply yet counts against the share, even one whose target has not passed, so a period that is still running
 * reads lower until its replies come in.
 */
export function shareWithinTarget(withinTarget: number, enquiries: number): number | null {
  if (withinTarget > enquiries) throw new RangeError(`Invalid counts: ${withinTarget} within target out of ${enquiries} enquiries`);
  return ratio(withinTarget, enquiries);
}
