/**
 * Known referrer hosts, Android app packages and `utm_source` names, grouped by the kind of site they are.
 * `classifyChannel` turns a kind into a channel. All hosts here are lower case, without a trailing dot.
 */

/** Kind of site a referrer or `utm_source` names. `webmail` includes email apps. */
export type SourceKind = "search_engine" | "social_network" | "webmail" | "email_service" | "ad_server";

/** Returns whether `host` is `base` or a subdomain of it. */
export function isHostOrSubdomain(host: string, base: string): boolean {
  return host === base || host.endsWith(`.${base}`);
}

// Google and Yandex search run on many country domains (google.co.uk, google.ie, google.com.au, yandex.com.tr),
// so they match by pattern. Only the bare and `www.` hosts count, because other Google subdomains such as
// docs.google.com or sites.google.com are pages that link out, not search results. mail.google.com is webmail
// and is checked before these.
const COUNTRY_DOMAIN_SEARCH_ENGINES = [
  /^(?:www\.)?google\.(?:com?\.)?[a-z]{2,3}$/,
  /^(?:www\.)?yandex\.(?:com?\.)?[a-z]{2,3}$/,
];

// Each entry matches its host and every subdomain (uk.search.yahoo.com, html.duckduckgo.com). Yahoo and Brave
// match only their search hosts, because their other hosts are a news portal and a browser download site.
const SEARCH_ENGINE_HOSTS = [
  "bing.com",
  "duckduckgo.com",
  "ecosia.org",
  "search.yahoo.com",
  "baidu.com",
  "startpage.com",
  "search.brave.com",
  "qwant.com",
  "mojeek.com",
  "kagi.com",
  "ask.com",
  "search.aol.com",
  "ya.ru",
];

// Pinterest serves country domains (pinterest.co.uk, pinterest.ie) as well as subdomains such as uk.pinterest.com.
const COUNTRY_DOMAIN_SOCIAL_NETWORKS = [/^(?:[a-z0-9-]+\.)*pinterest\.(?:com?\.)?[a-z]{2,3}$/];

// Each entry matches its host and every subdomain, so facebook.com covers the link shims l.facebook.com and
// lm.facebook.com as well as m.facebook.com and web.facebook.com.
//
// Mumsnet is a discussion forum rather than a social network, but it is listed for the same reason as Reddit.
// A visit from it follows people recommending a firm in a public thread, which is word of mouth on a community
// site, not a link the firm placed. A firm that wants it reported separately can add a `ChannelRule` with
// `referrerHost: "mumsnet.com"`.
const SOCIAL_NETWORK_HOSTS = [
  "facebook.com",
  "fb.com",
  "fb.me",
  "instagram.com",
  "linkedin.com",
  "lnkd.in",
  "x.com",
  "twitter.com",
  "t.co",
  "youtube.com",
  "youtu.be",
  "tiktok.com",
  "pin.it",
  "reddit.com",
  "redd.it",
  "threads.net",
  "threads.com",
  "bsky.app",
  "snapchat.com",
  "mumsnet.com",
];

// Browser-based email clients. They are checked before search engines because mail.google.com and mail.yahoo.com
// sit under search engine domains.
const WEBMAIL_HOSTS = [
  "mail.google.com",
  "outlook.live.com",
  "outlook.office.com",
  "outlook.office365.com",
  "mail.yahoo.com",
  "mail.aol.com",
  "mail.proton.me",
];

// Hosts that only serve ads, such as the iframes of Google's display network, so a visit from them is an ad click.
const AD_SERVER_HOSTS = ["doubleclick.net", "googlesyndication.com"];

/** Returns the kind of site at `host`, or undefined for any other site. */
export function classifyWebHost(host: string): SourceKind | undefined {
  if (WEBMAIL_HOSTS.some((base) => isHostOrSubdomain(host, base))) return "webmail";
  if (AD_SERVER_HOSTS.some((base) => isHostOrSubdomain(host, base))) return "ad_server";

  const isSearchEngine =
    COUNTRY_DOMAIN_SEARCH_ENGINES.some((pattern) => pattern.test(host)) ||
    SEARCH_ENGINE_HOSTS.some((base) => isHostOrSubdomain(host, base));
  if (isSearchEngine) return "search_engine";

  const isSocialNetwork =
    COUNTRY_DOMAIN_SOCIAL_NETWORKS.some((pattern) => pattern.test(host)) ||
    SOCIAL_NETWORK_HOSTS.some((base) => isHostOrSubdomain(host, base));
  if (isSocialNetwork) return "social_network";

  return undefined;
}

// When an Android app opens a link in the browser and names itself as the referrer, the page sees
// `android-app://<package>`. The package names below are the ones each app is published under on Google Play.
const ANDROID_APP_KINDS: ReadonlyMap<string, SourceKind> = new Map<string, SourceKind>([
  ["com.google.android.gm", "webmail"],
  ["com.microsoft.office.outlook", "webmail"],
  ["com.yahoo.mobile.client.android.mail", "webmail"],
  ["com.samsung.android.email.provider", "webmail"],
  ["com.google.android.googlequicksearchbox", "search_engine"],
  ["com.facebook.katana", "social_network"],
  ["com.facebook.lite", "social_network"],
  ["com.instagram.android", "social_network"],
  ["com.linkedin.android", "social_network"],
  ["com.twitter.android", "social_network"],
  ["com.zhiliaoapp.musically", "social_network"],
  ["com.google.android.youtube", "social_network"],
  ["com.pinterest", "social_network"],
  ["com.reddit.frontpage", "social_network"],
]);

/** Returns the kind of the Android app with package name `packageName`, or undefined for any other app. */
export function classifyAndroidApp(packageName: string): SourceKind | undefined {
  return ANDROID_APP_KINDS.get(packageName);
}

// `utm_source` names, compared after lower-casing and joining words with `_`. A source matches when the whole
// value or its first word is listed, so `google_ads`, `linkedin_company_page` and `brave_search` are recognised.
// gmb and gbp are the usual tags on a Google Business Profile link, which is a result in Google's local search.
const SEARCH_ENGINE_NAMES = new Set([
  "google",
  "bing",
  "yahoo",
  "duckduckgo",
  "ecosia",
  "yandex",
  "baidu",
  "startpage",
  "brave",
  "qwant",
  "mojeek",
  "kagi",
  "gmb",
  "gbp",
]);

const SOCIAL_NETWORK_NAMES = new Set([
  "facebook",
  "fb",
  "instagram",
  "ig",
  "meta",
  "linkedin",
  "twitter",
  "x",
  "youtube",
  "tiktok",
  "pinterest",
  "reddit",
  "threads",
  "bluesky",
  "snapchat",
  "mumsnet",
]);

// Email service providers and words that name a mailing. Any word of the source may match, so
// `march_newsletter` and `mailchimp_monthly` both count as email.
const EMAIL_SOURCE_WORDS = new Set([
  "email",
  "newsletter",
  "enewsletter",
  "mailchimp",
  "dotdigital",
  "campaignmonitor",
  "sendgrid",
  "brevo",
  "sendinblue",
  "klaviyo",
  "mailerlite",
  "constantcontact",
  "substack",
  "gmail",
  "outlook",
]);

// Names of more than one word that would not match as single words.
const EMAIL_SOURCE_NAMES = new Set(["e_mail", "campaign_monitor", "constant_contact", "hs_email"]);

/**
 * Returns the kind of site a `utm_source` value names, or undefined for any other source. `normalisedSource` is
 * the value after `normaliseTag`. A value that looks like a host (`l.facebook.com`) is looked up as a host.
 */
export function classifySourceName(normalisedSource: string): SourceKind | undefined {
  if (normalisedSource.includes(".")) return classifyWebHost(normalisedSource);

  const words = normalisedSource.split("_");
  const firstWord = words[0] ?? "";
  if (SEARCH_ENGINE_NAMES.has(normalisedSource) || SEARCH_ENGINE_NAMES.has(firstWord)) return "search_engine";
  if (SOCIAL_NETWORK_NAMES.has(normalisedSource) || SOCIAL_NETWORK_NAMES.has(firstWord)) return "social_network";

  const isEmail = EMAIL_SOURCE_NAMES.has(normalisedSource) || words.some((word) => EMAIL_SOURCE_WORDS.has(word));
  if (isEmail) return "email_service";

  return undefined;
}
