import {
  classifyAndroidApp,
  classifySourceName,
  classifyWebHost,
  isHostOrSubdomain,
  type SourceKind,
} from "./hosts";
import type { Touch } from "./touch";

/** Channels every firm has. A firm may add its own names through `ChannelRule`s. */
export const STANDARD_CHANNELS = [
  "paid_search",
  "organic_search",
  "paid_social",
  "organic_social",
  "display",
  "email",
  "affiliate",
  "referral",
  "direct",
] as const;

export type StandardChannel = (typeof STANDARD_CHANNELS)[number];

/**
 * A firm's own rule, checked before the standard table. Every condition given must match; values compare
 * case-insensitively. `referrerHost` matches the host or any subdomain of it.
 */
export interface ChannelRule {
  channel: string;
  utmSource?: string;
  utmMedium?: string;
  utmCampaign?: string;
  referrerHost?: string;
}

export interface ClassifyContext {
  /** Hosts of the firm's own websites; a referrer from one of them is never a source. */
  firmHosts: readonly string[];
  rules?: readonly ChannelRule[];
}

export interface ChannelClassification {
  channel: string;
  /** Which rule decided, for the opportunity's receipt, such as `gclid present` or `referrer google.co.uk`. */
  reason: string;
}


/** Lower-cases and trims a UTM value and joins words separated by spaces, `-` or `_` with a single `_`. */
export function normaliseTag(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

type MediumKind = "paid_click" | "paid_social" | "display" | "email" | "affiliate" | "social" | "referral" | "organic";

// `utm_medium` values after `normaliseTag`, so `Paid-Search`, `paid search` and `PAID_SEARCH` all read
// `paid_search`. A paid-click medium names the pricing model rather than the network, so the table decides
// between paid search and paid social from the source. `paid` alone is treated the same way.
const MEDIUM_KINDS: ReadonlyMap<string, MediumKind> = new Map<string, MediumKind>([
  ["cpc", "paid_click"],
  ["ppc", "paid_click"],
  ["paidsearch", "paid_click"],
  ["paid_search", "paid_click"],
  ["sem", "paid_click"],
  ["paid", "paid_click"],
  ["paid_social", "paid_social"],
  ["paidsocial", "paid_social"],
  ["social_paid", "paid_social"],
  ["socialpaid", "paid_social"],
  ["social_ads", "paid_social"],
  ["social_cpc", "paid_social"],
  ["display", "display"],
  ["banner", "display"],
  ["cpm", "display"],
  ["programmatic", "display"],
  ["email", "email"],
  ["e_mail", "email"],
  ["newsletter", "email"],
  ["enewsletter", "email"],
  ["e_newsletter", "email"],
  ["affiliate", "affiliate"],
  ["affiliates", "affiliate"],
  ["social", "social"],
  ["social_media", "social"],
  ["socialmedia", "social"],
  ["sm", "social"],
  ["organic_social", "social"],
  ["social_organic", "social"],
  ["social_network", "social"],
  ["referral", "referral"],
  ["referrals", "referral"],
  ["organic", "organic"],
]);

interface MediumTag {
  /** The value as recorded, trimmed, for reasons. */
  value: string;
  kind: MediumKind | undefined;
}

interface SourceTag {
  value: string;
  kind: SourceKind | undefined;
}

type ReferrerSignal =
  | { state: "none" }
  /** Not an absolute URL, or a scheme other than http, https and android-app. */
  | { state: "unusable" }
  | { state: "firm"; host: string }
  /** `host` is the package name for an Android app. `label` is how reasons name the referrer. */
  | { state: "external"; host: string; label: string; isApp: boolean; kind: SourceKind | undefined };

/** The parts of a touch the rule table reads, parsed once. */
export interface TouchSignals {
  gclid: boolean;
  msclkid: boolean;
  fbclid: boolean;
  medium: MediumTag | undefined;
  source: SourceTag | undefined;
  campaign: string | undefined;
  referrer: ReferrerSignal;
}

/** One row of the standard table. */
export interface StandardChannelRule {
  channel: StandardChannel;
  /** When the row applies, in words, for documentation and the dashboard. */
  when: string;
  /** Returns the reason to record when the row applies to the touch, or undefined when it does not. */
  match(signals: TouchSignals): string | undefined;
}

const KIND_LABELS: Record<SourceKind, string> = {
  search_engine: "search engine",
  social_network: "social network",
  webmail: "webmail",
  email_service: "email service",
  ad_server: "ad server",
};

const APP_KIND_LABELS: Record<SourceKind, string> = {
  search_engine: "search app",
  social_network: "social app",
  webmail: "email app",
  email_service: "email app",
  ad_server: "ad app",
};

function describeSource(source: SourceTag): string {
  return source.kind ? `${source.value} (${KIND_LABELS[source.kind]})` : source.value;
}

/** Describes the medium that accompanied a source, for reasons of the source-only rows. */
function describeMediumAfterSource(medium: MediumTag | undefined): string {
  if (!medium) return " without utm_medium";
  if (!medium.kind) return ` with unrecognised utm_medium ${medium.value}`;
  return `, utm_medium ${medium.value}`;
}

function describeReferrer(referrer: Extract<ReferrerSignal, { state: "external" }>): string {
  if (!referrer.kind) return referrer.isApp ? `referrer ${referrer.label} (app)` : `referrer ${referrer.label}`;
  const labels = referrer.isApp ? APP_KIND_LABELS : KIND_LABELS;
  return `referrer ${referrer.label} (${labels[referrer.kind]})`;
}

/** Returns the reason of a row that only checks the medium, naming the source when there is one. */
function mediumReason(signals: TouchSignals, kind: MediumKind): string | undefined {
  const { medium, source } = signals;
  if (!medium || medium.kind !== kind) return undefined;
  return source ? `utm_medium ${medium.value} from ${source.value}` : `utm_medium ${medium.value}`;
}

/** Returns the reason of a row that checks the referrer's kind of site. */
function referrerReason(signals: TouchSignals, kind: SourceKind): string | undefined {
  const { referrer } = signals;
  if (referrer.state !== "external" || referrer.kind !== kind) return undefined;
  return describeReferrer(referrer);
}

/**
 * The standard channel table, checked top to bottom after the firm's own rules; the first row that applies
 * decides. Click ids come first because ad platforms add them themselves and they cannot be mistyped. Explicit
 * UTM tags come next because the firm chose them, and they override the referrer, which records only the page
 * the visitor came from. A touch that nothing identifies is direct.
 */
export const STANDARD_CHANNEL_RULES: readonly StandardChannelRule[] = [
  // NOTE: Google Ads also adds gclid to Display Network and YouTube clicks, and Microsoft Advertising adds msclkid
  // to its audience network. A click id cannot tell those apart from search ads, so they count as paid search.
  // A firm that tags such campaigns `utm_medium=display` can add a `ChannelRule` for that medium, which runs first.
  {
    channel: "paid_search",
    when: "gclid is present (Google Ads auto-tagging)",
    match: (signals) => (signals.gclid ? "gclid present" : undefined),
  },
  {
    channel: "paid_search",
    when: "msclkid is present (Microsoft Advertising auto-tagging)",
    match: (signals) => (signals.msclkid ? "msclkid present" : undefined),
  },
  {
    channel: "paid_social",
    when:
      "utm_medium is a paid-click medium (cpc, ppc, paidsearch, paid_search, sem, paid) and the source is a " +
      "social network, or fbclid is present and the source is not a search engine, or there is no source and " +
      "the referrer is a social network",
    match: (signals) => {
      const { medium, source, referrer } = signals;
      if (!medium || medium.kind !== "paid_click") return undefined;

      if (source?.kind === "social_network") return `utm_medium ${medium.value} from ${describeSource(source)}`;
      // A named search engine outweighs an fbclid, which a shared link can carry anywhere.
      if (source?.kind === "search_engine") return undefined;
      if (signals.fbclid) return `utm_medium ${medium.value} with fbclid`;
      if (!source && referrer.state === "external" && referrer.kind === "social_network") {
        return `utm_medium ${medium.value}, ${describeReferrer(referrer)}`;
      }
      return undefined;
    },
  },
  {
    channel: "paid_search",
    when: "utm_medium is any other paid-click medium",
    match: (signals) => mediumReason(signals, "paid_click"),
  },
  {
    channel: "paid_social",
    when: "utm_medium is paid_social, paidsocial, social_paid, socialpaid, social_ads or social_cpc",
    match: (signals) => mediumReason(signals, "paid_social"),
  },
  {
    channel: "display",
    when: "utm_medium is display, banner, cpm or programmatic",
    match: (signals) => mediumReason(signals, "display"),
  },
  {
    channel: "email",
    when: "utm_medium is email, e_mail, newsletter, enewsletter or e_newsletter",
    match: (signals) => mediumReason(signals, "email"),
  },
  {
    channel: "affiliate",
    when: "utm_medium is affiliate or affiliates",
    match: (signals) => mediumReason(signals, "affiliate"),
  },
  {
    channel: "organic_social",
    when: "utm_medium is social, social_media, socialmedia, sm, organic_social, social_organic or social_network",
    match: (signals) => mediumReason(signals, "social"),
  },
  {
    channel: "organic_search",
    when: "utm_medium is organic and the source is a search engine or missing",
    match: (signals) => {
      const { medium, source } = signals;
      if (!medium || medium.kind !== "organic") return undefined;
      if (!source) return `utm_medium ${medium.value}`;
      if (source.kind === "search_engine") return `utm_medium ${medium.value} from ${describeSource(source)}`;
      return undefined;
    },
  },
  // Facebook and Instagram append fbclid to outbound links, including links in unpaid posts, profiles and
  // messages, so fbclid shows that the visitor came from Meta but not that anyone paid. Paid Meta clicks are
  // caught above when the ad's URL carries a paid medium.
  {
    channel: "organic_social",
    when: "fbclid is present and no row above applied",
    match: (signals) => (signals.fbclid ? "fbclid without a paid utm_medium" : undefined),
  },
  {
    channel: "organic_social",
    when: "utm_source is a social network and no row above applied",
    match: (signals) => {
      const { source } = signals;
      if (!source || source.kind !== "social_network") return undefined;
      return `utm_source ${describeSource(source)}${describeMediumAfterSource(signals.medium)}`;
    },
  },
  {
    channel: "referral",
    when: "utm_medium is referral or referrals",
    match: (signals) => mediumReason(signals, "referral"),
  },
  {
    channel: "email",
    when: "utm_source is an email service, a webmail host or names a mailing (newsletter, email)",
    match: (signals) => {
      const { source } = signals;
      if (!source || (source.kind !== "email_service" && source.kind !== "webmail")) return undefined;
      return `utm_source ${describeSource(source)}${describeMediumAfterSource(signals.medium)}`;
    },
  },
  {
    channel: "display",
    when: "utm_source is an ad server host",
    match: (signals) => {
      const { source } = signals;
      if (!source || source.kind !== "ad_server") return undefined;
      return `utm_source ${describeSource(source)}${describeMediumAfterSource(signals.medium)}`;
    },
  },
  // Auto-tagged ads carry a click id and hand-tagged ads conventionally carry a paid medium, and both are handled
  // above. A bare search engine name is most often the tag on a Google Business Profile or other unpaid listing.
  // NOTE: an ad tagged only `utm_source=google`, with auto-tagging off, is counted here as organic search.
  {
    channel: "organic_search",
    when: "utm_source is a search engine and utm_medium is missing",
    match: (signals) => {
      const { source } = signals;
      if (!source || source.kind !== "search_engine" || signals.medium) return undefined;
      return `utm_source ${describeSource(source)} without utm_medium or click id`;
    },
  },
  // A source the table does not know, such as a directory or a partner's site, linked to the firm on purpose.
  // Unrecognised mediums (print, qr, video) also end here when a source is given.
  {
    channel: "referral",
    when: "utm_source is any other value",
    match: (signals) => {
      const { source } = signals;
      if (!source) return undefined;
      return `utm_source ${describeSource(source)}${describeMediumAfterSource(signals.medium)}`;
    },
  },
  {
    channel: "email",
    when: "the referrer is a webmail host or an email app",
    match: (signals) => referrerReason(signals, "webmail"),
  },
  {
    channel: "display",
    when: "the referrer is an ad server (doubleclick.net, googlesyndication.com)",
    match: (signals) => referrerReason(signals, "ad_server"),
  },
  {
    channel: "organic_search",
    when: "the referrer is a search engine or the Google search app",
    match: (signals) => referrerReason(signals, "search_engine"),
  },
  {
    channel: "organic_social",
    when: "the referrer is a social network or a social app",
    match: (signals) => referrerReason(signals, "social_network"),
  },
  {
    channel: "referral",
    when: "the referrer is any other site or app",
    match: (signals) => (signals.referrer.state === "external" ? describeReferrer(signals.referrer) : undefined),
  },
  {
    channel: "direct",
    when: "the only referrer is one of the firm's own hosts",
    match: (signals) =>
      signals.referrer.state === "firm" ? `referrer ${signals.referrer.host} is the firm's own site` : undefined,
  },
  {
    channel: "direct",
    when: "the referrer is not a web or Android app URL",
    match: (signals) =>
      signals.referrer.state === "unusable" ? "referrer is not a web or Android app URL" : undefined,
  },
  // A medium or campaign without a source names no site, so the table cannot place the touch. The reason keeps
  // the tag so the firm can write a `ChannelRule` for it.
  {
    channel: "direct",
    when: "only an unrecognised utm_medium or a utm_campaign is present",
    match: (signals) => {
      if (signals.medium) return `unrecognised utm_medium ${signals.medium.value} without utm_source or referrer`;
      if (signals.campaign) return `utm_campaign ${signals.campaign} without utm_source, utm_medium or referrer`;
      return undefined;
    },
  },
  {
    channel: "direct",
    when: "nothing identifies a source",
    match: () => "no referrer or campaign",
  },
];

/**
 * Classifies a touch into a channel. The firm's `rules` are checked first, in order, and then
 * `STANDARD_CHANNEL_RULES`. A referrer on one of `context.firmHosts`, on a `www.` variant of one or on a
 * subdomain of one counts as no referrer, because a visitor moving between the firm's own pages came from
 * wherever they entered the site.
 */
export function classifyChannel(touch: Touch | undefined, context: ClassifyContext): ChannelClassification {
  if (!touch) return { channel: "direct", reason: "no touch recorded" };

  const signals = readSignals(touch, context.firmHosts);

  const firmRules = context.rules ?? [];
  for (const [index, rule] of firmRules.entries()) {
    const reason = matchFirmRule(rule, touch, signals);
    if (reason) return { channel: rule.channel, reason: `firm rule ${index + 1} (${reason})` };
  }

  for (const rule of STANDARD_CHANNEL_RULES) {
    const reason = rule.match(signals);
    if (reason) return { channel: rule.channel, reason };
  }

  // Unreachable, because the last standard row always applies.
  return { channel: "direct", reason: "no referrer or campaign" };
}

/** Parses the parts of a touch the rule table reads. */
export function readSignals(touch: Touch, firmHosts: readonly string[]): TouchSignals {
  const mediumValue = presentValue(touch.utm_medium);
  const sourceValue = presentValue(touch.utm_source);

  return {
    gclid: presentValue(touch.gclid) !== undefined,
    msclkid: presentValue(touch.msclkid) !== undefined,
    fbclid: presentValue(touch.fbclid) !== undefined,
    medium: mediumValue === undefined ? undefined : readMedium(mediumValue),
    source: sourceValue === undefined ? undefined : readSource(sourceValue),
    campaign: presentValue(touch.utm_campaign),
    referrer: readReferrer(touch.referrer, firmHosts),
  };
}

function readMedium(value: string): MediumTag {
  return { value, kind: MEDIUM_KINDS.get(normaliseTag(value)) };
}

function readSource(value: string): SourceTag {
  return { value, kind: classifySourceName(normaliseTag(value)) };
}

/** Returns the value trimmed, or undefined when it is missing or blank. */
function presentValue(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function readReferrer(value: string | undefined, firmHosts: readonly string[]): ReferrerSignal {
  const raw = presentValue(value);
  if (raw === undefined) return { state: "none" };

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { state: "unusable" };
  }

  const host = url.hostname.replace(/\.$/, "");
  if (host === "") return { state: "unusable" };

  if (url.protocol === "android-app:") {
    return { state: "external", host, label: `android-app://${host}`, isApp: true, kind: classifyAndroidApp(host) };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { state: "unusable" };

  if (isFirmHost(host, firmHosts)) return { state: "firm", host };
  return { state: "external", host, label: host, isApp: false, kind: classifyWebHost(host) };
}

/**
 * Returns whether `host` belongs to the firm. Each firm host covers itself, its `www.` variant and its
 * subdomains: `www.firm.example` and `firm.example` both cover `firm.example`, `www.firm.example` and
 * `blog.firm.example`. The firm host is used as given, so `blog.firm.example` does not cover `firm.example`.
 */
export function isFirmHost(host: string, firmHosts: readonly string[]): boolean {
  return firmHosts.some((firmHost) => {
    const base = normaliseHost(firmHost)?.replace(/^www\./, "");
    return base !== undefined && base !== "" && isHostOrSubdomain(host, base);
  });
}

/**
 * Returns the host in the form `URL.hostname` gives (lower case, punycode for international names) without a
 * trailing dot, or undefined when it is not a valid host. Accepts a bare host, a host with a port, a `*.` wildcard
 * prefix, which is dropped, or a whole URL.
 */
function normaliseHost(value: string): string | undefined {
  const trimmed = value.trim().toLowerCase().replace(/^\*\./, "");
  if (trimmed === "") return undefined;

  try {
    const url = new URL(trimmed.includes("://") ? trimmed : `http://${trimmed}`);
    return url.hostname.replace(/\.$/, "") || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Returns the conditions of a firm rule that all match, listed for the reason, or undefined when any condition
 * fails. Values compare trimmed and case-insensitively but otherwise exactly, so a rule for `paid-social` does not
 * match `paid_social`. A blank condition counts as not given.
 */
function matchFirmRule(rule: ChannelRule, touch: Touch, signals: TouchSignals): string | undefined {
  const matched: string[] = [];

  const tagConditions: [string, string | undefined, string | undefined][] = [
    ["utm_source", rule.utmSource, touch.utm_source],
    ["utm_medium", rule.utmMedium, touch.utm_medium],
    ["utm_campaign", rule.utmCampaign, touch.utm_campaign],
  ];
  for (const [name, expected, actual] of tagConditions) {
    const expectedValue = presentValue(expected);
    if (expectedValue === undefined) continue;
    if (presentValue(actual)?.toLowerCase() !== expectedValue.toLowerCase()) return undefined;
    matched.push(`${name} ${expectedValue}`);
  }

  const expectedHost = presentValue(rule.referrerHost);
  if (expectedHost !== undefined) {
    const base = normaliseHost(expectedHost);
    const { referrer } = signals;
    if (base === undefined || referrer.state !== "external" || !isHostOrSubdomain(referrer.host, base)) {
      return undefined;
    }
    matched.push(`referrer ${referrer.label}`);
  }

  // A rule with no conditions would capture every touch, which is almost certainly a half-filled form rather
  // than intent, so it never matches.
  if (matched.length === 0) return undefined;
  return matched.join(", ");
}

/**
 * Converts allowed-origin patterns into firm hosts for `ClassifyContext.firmHosts`. The scheme and port are
 * dropped and a `*.` wildcard becomes its base host, so `https://www.firm.example`, `https://*.firm.example` and
 * `http://localhost:*` give `www.firm.example`, `firm.example` and `localhost`. Invalid patterns are skipped and
 * duplicates removed.
 */
export function firmHostsFromOrigins(patterns: readonly string[]): string[] {
  const hosts = new Set<string>();

  for (const pattern of patterns) {
    const match = /^[a-z][a-z0-9+.-]*:\/\/(?:\*\.)?(\[[0-9a-f:.]+\]|[^/?#:@*[\]]+)(?::(?:\*|\d+))?\/?$/.exec(
      pattern.trim().toLowerCase(),
    );
    const host = match?.[1] === undefined ? undefined : normaliseHost(match[1]);
    if (host !== undefined) hosts.add(host);
  }

  return [...hosts];
}
