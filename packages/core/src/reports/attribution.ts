/** One touch on an opportunity's path to the firm: a visit, the enquiry itself or a later booking. */
export interface ReportTouch {
  channel: string;
  /** The touch's utm_campaign, or null when it had none. */
  campaign: string | null;
}

export const ATTRIBUTION_MODELS = ["first_touch", "last_touch", "linear"] as const;
export type AttributionModel = (typeof ATTRIBUTION_MODELS)[number];

/** Value credited to one channel and campaign, in minor units. */
export interface AttributionCredit {
  channel: string;
  campaign: string | null;
  minor: number;
}

/**
 * Splits a won value (minor units, a whole number of 0 or more) over an opportunity's touches, oldest first.
 * First touch gives all of it to the first touch and last touch to the last. Linear gives each of the n touches
 * floor(value / n), and the pennies left over (fewer than n) go one each to the earliest touches, so the credits
 * are whole minor units and always add up to exactly the value. Touches with the same channel and campaign are
 * merged into one credit, in order of first appearance. Returns no credits when there are no touches.
 */
export function attributeValue(touches: readonly ReportTouch[], valueMinor: number, model: AttributionModel): AttributionCredit[] {
  if (!Number.isSafeInteger(valueMinor) || valueMinor < 0) {
    throw new RangeError(`Invalid value ${String(valueMinor)}: expected a whole number of minor units, 0 or more`);
  }
  if (touches.length === 0) return [];

  if (model === "first_touch") return [{ channel: touches[0]!.channel, campaign: touches[0]!.campaign, minor: valueMinor }];
  if (model === "last_touch") {
    const last = touches[touches.length - 1]!;
    return [{ channel: last.channel, campaign: last.campaign, minor: valueMinor }];
  }

  const share = Math.floor(valueMinor / touches.length);
  const remainder = valueMinor - share * touches.length;
  const credits = new Map<string, AttributionCredit>();
  touches.forEach((touch, position) => {
    const minor = share + (position < remainder ? 1 : 0);
    const key = JSON.stringify([touch.channel, touch.campaign]);
    const existing = credits.get(key);
    if (existing) existing.minor += minor;
    else credits.set(key, { channel: touch.channel, campaign: touch.campaign, minor });
  });
  return [...credits.values()];
}
