import { classifyChannel, firmHostsFromOrigins, TOUCH_QUERY_PARAMETERS, type Attribution, type ChannelRule, type Touch } from "@plumbline/core";
import type { NewTouch, StoredAttribution } from "@plumbline/db";

export interface AttributionInput {
  attribution: Attribution;
  /** The page the form was on, from the snippet or the Referer header of a plain form post. */
  pageUrl: string | null;
  submittedAt: Date;
  firmWebsiteHosts: string[];
  allowedOrigins: string[];
  channelRules: ChannelRule[];
}

export interface ResolvedAttribution {
  stored: StoredAttribution;
  channel: string;
  lastTouchChannel: string;
  /** The touch whose details go into the opportunity's summary columns: the first one. */
  summary: Touch;
}

/**
 * Reads the campaign parameters of a page URL into a touch. A plain HTML form without the snippet carries no
 * attribution, but its Referer is the form's page, which still holds the UTM parameters when the prospect landed on it.
 */
export function touchFromPageUrl(pageUrl: string, at: Date): Touch | undefined {
  let url: URL;
  try {
    url = new URL(pageUrl);
  } catch {
    return undefined;
  }
  const touch: Touch = { landingPage: pageUrl, at: at.toISOString() };
  for (const name of TOUCH_QUERY_PARAMETERS) {
    const value = url.searchParams.get(name);
    if (value) touch[name] = value;
  }
  return touch;
}

/** Fills in missing touches and classifies each into a channel with the firm's rules. */
export function resolveAttribution(input: AttributionInput): ResolvedAttribution {
  const fromPage = input.pageUrl ? touchFromPageUrl(input.pageUrl, input.submittedAt) : undefined;
  const lastTouch = input.attribution.lastTouch ?? input.attribution.firstTouch ?? fromPage;
  const firstTouch = input.attribution.firstTouch ?? lastTouch;

  const context = {
    firmHosts: [...new Set([...input.firmWebsiteHosts, ...firmHostsFromOrigins(input.allowedOrigins)])],
    rules: input.channelRules,
  };
  const first = classifyChannel(firstTouch, context);
  const last = classifyChannel(lastTouch, context);

  return {
    stored: {
      ...(firstTouch ? { firstTouch } : {}),
      ...(lastTouch ? { lastTouch } : {}),
      firstTouchReason: first.reason,
      lastTouchReason: last.reason,
    },
    channel: first.channel,
    lastTouchChannel: last.channel,
    summary: firstTouch ?? {},
  };
}

/**
 * Returns the touches of a web enquiry for the attribution reports, oldest first: the first visit when the snippet
 * recorded one that differs from the visit of the enquiry, then the enquiry itself.
 */
export function touchesOfEnquiry(resolved: ResolvedAttribution, opportunityId: string, submittedAt: Date): NewTouch[] {
  const { firstTouch, lastTouch } = resolved.stored;
  const enquiry: NewTouch = {
    id: `tch_${opportunityId}_enquiry`,
    kind: "enquiry",
    channel: resolved.lastTouchChannel,
    campaign: lastTouch?.utm_campaign ?? null,
    occurredAt: submittedAt,
  };
  if (!firstTouch || !lastTouch || JSON.stringify(firstTouch) === JSON.stringify(lastTouch)) return [enquiry];

  // A visit time the browser sent may be malformed or later than the enquiry; the enquiry time is then used.
  const visitedAt = firstTouch.at ? new Date(firstTouch.at) : submittedAt;
  const occurredAt = Number.isNaN(visitedAt.getTime()) || visitedAt > submittedAt ? submittedAt : visitedAt;
  const visit: NewTouch = {
    id: `tch_${opportunityId}_visit`,
    kind: "visit",
    channel: resolved.channel,
    campaign: firstTouch.utm_campaign ?? null,
    occurredAt,
  };
  return [visit, enquiry];
}
