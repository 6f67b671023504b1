import { describe, expect, it } from "vitest";
import {
  classifyChannel,
  firmHostsFromOrigins,
  normaliseTag,
  readSignals,
  STANDARD_CHANNEL_RULES,
  type ChannelRule,
  type ClassifyContext,
} from "../../packages/core/src/attribution/channels";
import type { Touch } from "../../packages/core/src/attribution/touch";

const FIRM_HOSTS = ["www.firm.example"];
const CONTEXT: ClassifyContext = { firmHosts: FIRM_HOSTS };

interface Case {
  name: string;
  touch: Touch;
  channel: string;
  reason: string;
}

const clickIdCases: Case[] = [
  { name: "gclid is paid search", touch: { gclid: "Cj0KCQ" }, channel: "paid_search", reason: "gclid present" },
  {
    name: "gclid beats social tags",
    touch: { gclid: "Cj0KCQ", utm_source: "facebook", utm_medium: "social" },
    channel: "paid_search",
    reason: "gclid present",
  },
  { name: "msclkid is paid search", touch: { msclkid: "4f2a" }, channel: "paid_search", reason: "msclkid present" },
  { name: "blank gclid is ignored", touch: { gclid: "  " }, channel: "direct", reason: "no referrer or campaign" },
];

const paidClickCases: Case[] = [
  {
    name: "cpc from google",
    touch: { utm_source: "google", utm_medium: "cpc" },
    channel: "paid_search",
    reason: "utm_medium cpc from google",
  },
  { name: "ppc without source", touch: { utm_medium: "ppc" }, channel: "paid_search", reason: "utm_medium ppc" },
  { name: "PaidSearch upper case", touch: { utm_medium: "PaidSearch" }, channel: "paid_search", reason: "utm_medium PaidSearch" },
  { name: "Paid-Search hyphen", touch: { utm_medium: "Paid-Search" }, channel: "paid_search", reason: "utm_medium Paid-Search" },
  { name: "paid search with space", touch: { utm_medium: " paid search " }, channel: "paid_search", reason: "utm_medium paid search" },
  { name: "sem medium", touch: { utm_medium: "SEM" }, channel: "paid_search", reason: "utm_medium SEM" },
  { name: "cpc from unknown source", touch: { utm_source: "capterra", utm_medium: "cpc" }, channel: "paid_search", reason: "utm_medium cpc from capterra" },
  {
    name: "cpc from linkedin",
    touch: { utm_source: "linkedin", utm_medium: "cpc" },
    channel: "paid_social",
    reason: "utm_medium cpc from linkedin (social network)",
  },
  {
    name: "cpc from Facebook_Ads",
    touch: { utm_source: "Facebook_Ads", utm_medium: "CPC" },
    channel: "paid_social",
    reason: "utm_medium CPC from Facebook_Ads (social network)",
  },
  {
    name: "ppc from instagram",
    touch: { utm_source: "instagram", utm_medium: "ppc" },
    channel: "paid_social",
    reason: "utm_medium ppc from instagram (social network)",
  },
  {
    name: "cpc from tiktok",
    touch: { utm_source: "tiktok", utm_medium: "cpc" },
    channel: "paid_social",
    reason: "utm_medium cpc from tiktok (social network)",
  },
  {
    name: "paid from meta",
    touch: { utm_source: "meta", utm_medium: "paid" },
    channel: "paid_social",
    reason: "utm_medium paid from meta (social network)",
  },
  {
    name: "cpc with fbclid",
    touch: { utm_medium: "cpc", fbclid: "IwAR0" },
    channel: "paid_social",
    reason: "utm_medium cpc with fbclid",
  },
  {
    name: "cpc with fbclid from unknown source",
    touch: { utm_source: "spring_push", utm_medium: "cpc", fbclid: "IwAR0" },
    channel: "paid_social",
    reason: "utm_medium cpc with fbclid",
  },
  {
    name: "cpc from google with fbclid",
    touch: { utm_source: "google", utm_medium: "cpc", fbclid: "IwAR0" },
    channel: "paid_search",
    reason: "utm_medium cpc from google",
  },
  {
    name: "cpc with social referrer",
    touch: { utm_medium: "cpc", referrer: "https://l.facebook.com/" },
    channel: "paid_social",
    reason: "utm_medium cpc, referrer l.facebook.com (social network)",
  },
  {
    name: "cpc with search referrer",
    touch: { utm_medium: "cpc", referrer: "https://www.google.co.uk/" },
    channel: "paid_search",
    reason: "utm_medium cpc",
  },
];

const mediumCases: Case[] = [
  { name: "paid_social medium", touch: { utm_medium: "paid_social" }, channel: "paid_social", reason: "utm_medium paid_social" },
  { name: "Paid-Social medium", touch: { utm_medium: "Paid-Social" }, channel: "paid_social", reason: "utm_medium Paid-Social" },
  { name: "paidsocial medium", touch: { utm_medium: "paidsocial" }, channel: "paid_social", reason: "utm_medium paidsocial" },
  { name: "social-paid medium", touch: { utm_medium: "social-paid" }, channel: "paid_social", reason: "utm_medium social-paid" },
  {
    name: "paid social from google",
    touch: { utm_source: "google", utm_medium: "paid social" },
    channel: "paid_social",
    reason: "utm_medium paid social from google",
  },
  { name: "display medium", touch: { utm_medium: "display" }, channel: "display", reason: "utm_medium display" },
  { name: "Banner medium", touch: { utm_medium: "Banner" }, channel: "display", reason: "utm_medium Banner" },
  { name: "CPM medium", touch: { utm_medium: "CPM" }, channel: "display", reason: "utm_medium CPM" },
  {
    name: "programmatic medium",
    touch: { utm_source: "dv360", utm_medium: "programmatic" },
    channel: "display",
    reason: "utm_medium programmatic from dv360",
  },
  { name: "email medium", touch: { utm_medium: "email" }, channel: "email", reason: "utm_medium email" },
  { name: "E-Mail medium", touch: { utm_medium: "E-Mail" }, channel: "email", reason: "utm_medium E-Mail" },
  { name: "newsletter medium", touch: { utm_medium: "newsletter" }, channel: "email", reason: "utm_medium newsletter" },
  {
    name: "email medium with fbclid",
    touch: { utm_medium: "email", fbclid: "IwAR0" },
    channel: "email",
    reason: "utm_medium email",
  },
  { name: "affiliate medium", touch: { utm_medium: "affiliate" }, channel: "affiliate", reason: "utm_medium affiliate" },
  {
    name: "Affiliates medium",
    touch: { utm_source: "awin", utm_medium: "Affiliates" },
    channel: "affiliate",
    reason: "utm_medium Affiliates from awin",
  },
  { name: "social medium", touch: { utm_medium: "social" }, channel: "organic_social", reason: "utm_medium social" },
  {
    name: "Social-Media medium",
    touch: { utm_medium: "Social-Media" },
    channel: "organic_social",
    reason: "utm_medium Social-Media",
  },
  { name: "sm medium", touch: { utm_medium: "sm" }, channel: "organic_social", reason: "utm_medium sm" },
  {
    name: "organic_social medium",
    touch: { utm_medium: "organic_social" },
    channel: "organic_social",
    reason: "utm_medium organic_social",
  },
  {
    name: "organic from google",
    touch: { utm_source: "google", utm_medium: "organic" },
    channel: "organic_search",
    reason: "utm_medium organic from google (search engine)",
  },
  { name: "organic without source", touch: { utm_medium: "Organic" }, channel: "organic_search", reason: "utm_medium Organic" },
  {
    name: "organic from linkedin",
    touch: { utm_source: "linkedin", utm_medium: "organic" },
    channel: "organic_social",
    reason: "utm_source linkedin (social network), utm_medium organic",
  },
  {
    name: "organic from mailchimp",
    touch: { utm_source: "mailchimp", utm_medium: "organic" },
    channel: "email",
    reason: "utm_source mailchimp (email service), utm_medium organic",
  },
  {
    name: "organic from directory",
    touch: { utm_source: "lawsociety", utm_medium: "organic" },
    channel: "referral",
    reason: "utm_source lawsociety, utm_medium organic",
  },
  { name: "referral medium", touch: { utm_medium: "referral" }, channel: "referral", reason: "utm_medium referral" },
  {
    name: "referral medium with source",
    touch: { utm_source: "lawsociety", utm_medium: "Referral" },
    channel: "referral",
    reason: "utm_medium Referral from lawsociety",
  },
  {
    name: "referral medium from facebook",
    touch: { utm_source: "facebook", utm_medium: "referral" },
    channel: "organic_social",
    reason: "utm_source facebook (social network), utm_medium referral",
  },
];

const fbclidCases: Case[] = [
  { name: "fbclid alone", touch: { fbclid: "IwAR0" }, channel: "organic_social", reason: "fbclid without a paid utm_medium" },
  {
    name: "fbclid with referral medium",
    touch: { fbclid: "IwAR0", utm_medium: "referral" },
    channel: "organic_social",
    reason: "fbclid without a paid utm_medium",
  },
  {
    name: "fbclid with newsletter source",
    touch: { fbclid: "IwAR0", utm_source: "newsletter" },
    channel: "organic_social",
    reason: "fbclid without a paid utm_medium",
  },
  {
    name: "fbclid with paid social medium",
    touch: { fbclid: "IwAR0", utm_medium: "paid_social" },
    channel: "paid_social",
    reason: "utm_medium paid_social",
  },
];

const sourceCases: Case[] = [
  {
    name: "linkedin source alone",
    touch: { utm_source: "linkedin" },
    channel: "organic_social",
    reason: "utm_source linkedin (social network) without utm_medium",
  },
  {
    name: "LinkedIn company page source",
    touch: { utm_source: "LinkedIn Company Page" },
    channel: "organic_social",
    reason: "utm_source LinkedIn Company Page (social network) without utm_medium",
  },
  {
    name: "social host as source",
    touch: { utm_source: "l.facebook.com" },
    channel: "organic_social",
    reason: "utm_source l.facebook.com (social network) without utm_medium",
  },
  {
    name: "x source with unknown medium",
    touch: { utm_source: "x", utm_medium: "video" },
    channel: "organic_social",
    reason: "utm_source x (social network) with unrecognised utm_medium video",
  },
  {
    name: "mumsnet source",
    touch: { utm_source: "mumsnet" },
    channel: "organic_social",
    reason: "utm_source mumsnet (social network) without utm_medium",
  },
  {
    name: "mailchimp source",
    touch: { utm_source: "mailchimp" },
    channel: "email",
    reason: "utm_source mailchimp (email service) without utm_medium",
  },
  {
    name: "newsletter word in source",
    touch: { utm_source: "march-newsletter" },
    channel: "email",
    reason: "utm_source march-newsletter (email service) without utm_medium",
  },
  {
    name: "Campaign Monitor source",
    touch: { utm_source: "Campaign Monitor" },
    channel: "email",
    reason: "utm_source Campaign Monitor (email service) without utm_medium",
  },
  {
    name: "webmail host as source",
    touch: { utm_source: "mail.google.com" },
    channel: "email",
    reason: "utm_source mail.google.com (webmail) without utm_medium",
  },
  {
    name: "ad server as source",
    touch: { utm_source: "googlesyndication.com" },
    channel: "display",
    reason: "utm_source googlesyndication.com (ad server) without utm_medium",
  },
  {
    name: "google source alone",
    touch: { utm_source: "google" },
    channel: "organic_search",
    reason: "utm_source google (search engine) without utm_medium or click id",
  },
  {
    name: "GMB source alone",
    touch: { utm_source: "GMB" },
    channel: "organic_search",
    reason: "utm_source GMB (search engine) without utm_medium or click id",
  },
  {
    name: "google.co.uk as source",
    touch: { utm_source: "google.co.uk" },
    channel: "organic_search",
    reason: "utm_source google.co.uk (search engine) without utm_medium or click id",
  },
  {
    name: "bing source alone",
    touch: { utm_source: "Bing" },
    channel: "organic_search",
    reason: "utm_source Bing (search engine) without utm_medium or click id",
  },
  {
    name: "google with unknown medium",
    touch: { utm_source: "google", utm_medium: "local" },
    channel: "referral",
    reason: "utm_source google (search engine) with unrecognised utm_medium local",
  },
  {
    name: "unknown source alone",
    touch: { utm_source: "lawsociety" },
    channel: "referral",
    reason: "utm_source lawsociety without utm_medium",
  },
  {
    name: "unknown source and medium",
    touch: { utm_source: "brochure", utm_medium: "qr" },
    channel: "referral",
    reason: "utm_source brochure with unrecognised utm_medium qr",
  },
  {
    name: "tags beat referrer",
    touch: { utm_source: "newsletter", utm_medium: "email", referrer: "https://www.google.co.uk/" },
    channel: "email",
    reason: "utm_medium email from newsletter",
  },
];

/** Referrers with the channel and the kind of site named in the reason. */
const referrerKinds: [referrer: string, channel: string, label: string][] = [
  ["https://mail.google.com/", "email", "mail.google.com (webmail)"],
  ["https://outlook.live.com/", "email", "outlook.live.com (webmail)"],
  ["https://outlook.office.com/", "email", "outlook.office.com (webmail)"],
  ["https://outlook.office365.com/", "email", "outlook.office365.com (webmail)"],
  ["https://mail.yahoo.com/", "email", "mail.yahoo.com (webmail)"],
  ["https://uk.mail.yahoo.com/", "email", "uk.mail.yahoo.com (webmail)"],
  ["android-app://com.google.android.gm", "email", "android-app://com.google.android.gm (email app)"],
  ["android-app://com.microsoft.office.outlook/", "email", "android-app://com.microsoft.office.outlook (email app)"],
  ["https://tpc.googlesyndication.com/", "display", "tpc.googlesyndication.com (ad server)"],
  ["https://googleads.g.doubleclick.net/", "display", "googleads.g.doubleclick.net (ad server)"],
  ["https://www.google.co.uk/", "organic_search", "www.google.co.uk (search engine)"],
  ["https://WWW.GOOGLE.CO.UK/search?q=solicitor", "organic_search", "www.google.co.uk (search engine)"],
  ["https://www.google.com/", "organic_search", "www.google.com (search engine)"],
  ["https://google.com/", "organic_search", "google.com (search engine)"],
  ["https://www.google.ie/", "organic_search", "www.google.ie (search engine)"],
  ["https://www.google.com.au/", "organic_search", "www.google.com.au (search engine)"],
  ["https://www.google.de/", "organic_search", "www.google.de (search engine)"],
  ["https://www.bing.com/", "organic_search", "www.bing.com (search engine)"],
  ["https://duckduckgo.com/", "organic_search", "duckduckgo.com (search engine)"],
  ["https://www.ecosia.org/", "organic_search", "www.ecosia.org (search engine)"],
  ["https://uk.search.yahoo.com/", "organic_search", "uk.search.yahoo.com (search engine)"],
  ["https://yandex.ru/", "organic_search", "yandex.ru (search engine)"],
  ["https://www.baidu.com/", "organic_search", "www.baidu.com (search engine)"],
  ["https://www.startpage.com/", "organic_search", "www.startpage.com (search engine)"],
  ["https://search.brave.com/", "organic_search", "search.brave.com (search engine)"],
  ["https://www.qwant.com/", "organic_search", "www.qwant.com (search engine)"],
  ["https://www.mojeek.com/", "organic_search", "www.mojeek.com (search engine)"],
  [
    "android-app://com.google.android.googlequicksearchbox",
    "organic_search",
    "android-app://com.google.android.googlequicksearchbox (search app)",
  ],
  ["https://www.facebook.com/", "organic_social", "www.facebook.com (social network)"],
  ["https://l.facebook.com/", "organic_social", "l.facebook.com (social network)"],
  ["https://lm.facebook.com/", "organic_social", "lm.facebook.com (social network)"],
  ["https://m.facebook.com/", "organic_social", "m.facebook.com (social network)"],
  ["https://l.instagram.com/", "organic_social", "l.instagram.com (social network)"],
  ["https://www.linkedin.com/", "organic_social", "www.linkedin.com (social network)"],
  ["https://uk.linkedin.com/", "organic_social", "uk.linkedin.com (social network)"],
  ["https://lnkd.in/", "organic_social", "lnkd.in (social network)"],
  ["https://x.com/", "organic_social", "x.com (social network)"],
  ["https://twitter.com/", "organic_social", "twitter.com (social network)"],
  ["https://t.co/", "organic_social", "t.co (social network)"],
  ["https://www.youtube.com/", "organic_social", "www.youtube.com (social network)"],
  ["https://m.youtube.com/", "organic_social", "m.youtube.com (social network)"],
  ["https://www.tiktok.com/", "organic_social", "www.tiktok.com (social network)"],
  ["https://www.pinterest.co.uk/", "organic_social", "www.pinterest.co.uk (social network)"],
  ["https://uk.pinterest.com/", "organic_social", "uk.pinterest.com (social network)"],
  ["https://www.reddit.com/", "organic_social", "www.reddit.com (social network)"],
  ["https://old.reddit.com/", "organic_social", "old.reddit.com (social network)"],
  ["https://www.threads.net/", "organic_social", "www.threads.net (social network)"],
  ["https://www.threads.com/", "organic_social", "www.threads.com (social network)"],
  ["https://bsky.app/", "organic_social", "bsky.app (social network)"],
  ["https://www.mumsnet.com/talk/legal_matters", "organic_social", "www.mumsnet.com (social network)"],
  ["android-app://com.linkedin.android", "organic_social", "android-app://com.linkedin.android (social app)"],
  ["https://www.lawsociety.org.uk/", "referral", "www.lawsociety.org.uk"],
  ["https://docs.google.com/document/d/1", "referral", "docs.google.com"],
  ["https://uk.yahoo.com/news", "referral", "uk.yahoo.com"],
  ["https://brave.com/", "referral", "brave.com"],
  ["https://notfacebook.com/", "referral", "notfacebook.com"],
  ["https://facebook.com.evil.example/", "referral", "facebook.com.evil.example"],
  ["https://www.google.co.uk.evil.example/", "referral", "www.google.co.uk.evil.example"],
  ["android-app://com.slack", "referral", "android-app://com.slack (app)"],
];

const referrerCases: Case[] = referrerKinds.map(([referrer, channel, label]) => ({
  name: `referrer ${referrer}`,
  touch: { referrer },
  channel,
  reason: `referrer ${label}`,
}));

const firmReferrerCases: Case[] = [
  {
    name: "firm www referrer",
    touch: { referrer: "https://www.firm.example/services/probate" },
    channel: "direct",
    reason: "referrer www.firm.example is the firm's own site",
  },
  {
    name: "firm apex referrer",
    touch: { referrer: "https://firm.example/" },
    channel: "direct",
    reason: "referrer firm.example is the firm's own site",
  },
  {
    name: "firm subdomain referrer",
    touch: { referrer: "https://blog.firm.example/" },
    channel: "direct",
    reason: "referrer blog.firm.example is the firm's own site",
  },
  {
    name: "firm referrer in upper case",
    touch: { referrer: "HTTPS://WWW.FIRM.EXAMPLE/" },
    channel: "direct",
    reason: "referrer www.firm.example is the firm's own site",
  },
  {
    name: "firm referrer with trailing dot",
    touch: { referrer: "https://www.firm.example./" },
    channel: "direct",
    reason: "referrer www.firm.example is the firm's own site",
  },
  {
    name: "firm referrer with tags",
    touch: { referrer: "https://www.firm.example/", utm_source: "linkedin" },
    channel: "organic_social",
    reason: "utm_source linkedin (social network) without utm_medium",
  },
  {
    name: "lookalike of firm host",
    touch: { referrer: "https://notfirm.example/" },
    channel: "referral",
    reason: "referrer notfirm.example",
  },
  {
    name: "firm host under other domain",
    touch: { referrer: "https://firm.example.evil.example/" },
    channel: "referral",
    reason: "referrer firm.example.evil.example",
  },
];

const malformedReferrerCases: Case[] = [
  {
    name: "referrer not a URL",
    touch: { referrer: "not a url" },
    channel: "direct",
    reason: "referrer is not a web or Android app URL",
  },
  {
    name: "referrer without scheme",
    touch: { referrer: "www.google.co.uk" },
    channel: "direct",
    reason: "referrer is not a web or Android app URL",
  },
  {
    name: "referrer about:blank",
    touch: { referrer: "about:blank" },
    channel: "direct",
    reason: "referrer is not a web or Android app URL",
  },
  {
    name: "referrer javascript URL",
    touch: { referrer: "javascript:alert(1)" },
    channel: "direct",
    reason: "referrer is not a web or Android app URL",
  },
  {
    name: "referrer empty host",
    touch: { referrer: "https://" },
    channel: "direct",
    reason: "referrer is not a web or Android app URL",
  },
  {
    name: "referrer ftp URL",
    touch: { referrer: "ftp://files.example/" },
    channel: "direct",
    reason: "referrer is not a web or Android app URL",
  },
  {
    name: "referrer unclosed IPv6",
    touch: { referrer: "http://[::1" },
    channel: "direct",
    reason: "referrer is not a web or Android app URL",
  },
  { name: "referrer blank", touch: { referrer: "   " }, channel: "direct", reason: "no referrer or campaign" },
  {
    name: "malformed referrer with tags",
    touch: { referrer: "%%%", utm_source: "mailchimp", utm_medium: "email" },
    channel: "email",
    reason: "utm_medium email from mailchimp",
  },
];

const directCases: Case[] = [
  { name: "empty touch", touch: {}, channel: "direct", reason: "no referrer or campaign" },
  {
    name: "landing page only",
    touch: { landingPage: "https://www.firm.example/?utm_source=ignored", at: "2025-03-01T09:00:00Z" },
    channel: "direct",
    reason: "no referrer or campaign",
  },
  {
    name: "term and content only",
    touch: { utm_term: "probate", utm_content: "hero" },
    channel: "direct",
    reason: "no referrer or campaign",
  },
  {
    name: "unknown medium alone",
    touch: { utm_medium: "print" },
    channel: "direct",
    reason: "unrecognised utm_medium print without utm_source or referrer",
  },
  {
    name: "campaign alone",
    touch: { utm_campaign: "spring" },
    channel: "direct",
    reason: "utm_campaign spring without utm_source, utm_medium or referrer",
  },
  {
    name: "unknown medium with referrer",
    touch: { utm_medium: "print", referrer: "https://www.lawsociety.org.uk/" },
    channel: "referral",
    reason: "referrer www.lawsociety.org.uk",
  },
];

const realisticCases: Case[] = [
  {
    name: "Google Ads landing",
    touch: {
      utm_source: "google",
      utm_medium: "cpc",
      utm_campaign: "conveyancing_leeds",
      utm_term: "conveyancing solicitor leeds",
      gclid: "Cj0KCQiA4L67BhDUARIsADWrl7E",
      referrer: "https://www.google.co.uk/",
      landingPage: "https://www.firm.example/conveyancing?utm_source=google&utm_medium=cpc&gclid=Cj0KCQiA4L67BhDUARIsADWrl7E",
      at: "2025-03-01T09:00:00Z",
    },
    channel: "paid_search",
    reason: "gclid present",
  },
  {
    name: "LinkedIn organic post",
    touch: { referrer: "https://www.linkedin.com/", landingPage: "https://www.firm.example/insights/lasting-power-of-attorney" },
    channel: "organic_social",
    reason: "referrer www.linkedin.com (social network)",
  },
  {
    name: "LinkedIn tagged post",
    touch: { utm_source: "linkedin", utm_medium: "social", utm_campaign: "lpa_guide", referrer: "https://lnkd.in/" },
    channel: "organic_social",
    reason: "utm_medium social from linkedin",
  },
  {
    name: "Mailchimp newsletter",
    touch: {
      utm_source: "Firm Monthly Update",
      utm_medium: "email",
      utm_campaign: "4f1c2e9a1b-EMAIL_CAMPAIGN_2025_03",
      landingPage: "https://www.firm.example/news/stamp-duty-changes",
    },
    channel: "email",
    reason: "utm_medium email from Firm Monthly Update",
  },
  {
    name: "untagged newsletter in Outlook",
    touch: { referrer: "https://outlook.office.com/" },
    channel: "email",
    reason: "referrer outlook.office.com (webmail)",
  },
  {
    name: "Law Society directory",
    touch: { referrer: "https://solicitors.lawsociety.org.uk/person/123456/jane-smith" },
    channel: "referral",
    reason: "referrer solicitors.lawsociety.org.uk",
  },
  {
    name: "Facebook organic share",
    touch: { fbclid: "IwAR2xYz", referrer: "https://l.facebook.com/" },
    channel: "organic_social",
    reason: "fbclid without a paid utm_medium",
  },
  {
    name: "Facebook ad",
    touch: { utm_source: "facebook", utm_medium: "paid_social", utm_campaign: "wills_week", fbclid: "IwAR2xYz" },
    channel: "paid_social",
    reason: "utm_medium paid_social from facebook",
  },
  {
    name: "Gmail app link",
    touch: { referrer: "android-app://com.google.android.gm" },
    channel: "email",
    reason: "referrer android-app://com.google.android.gm (email app)",
  },
  {
    name: "page to page on firm site",
    touch: { referrer: "https://www.firm.example/", landingPage: "https://www.firm.example/contact" },
    channel: "direct",
    reason: "referrer www.firm.example is the firm's own site",
  },
];

const standardCases: Case[] = [
  ...clickIdCases,
  ...paidClickCases,
  ...mediumCases,
  ...fbclidCases,
  ...sourceCases,
  ...referrerCases,
  ...firmReferrerCases,
  ...malformedReferrerCases,
  ...directCases,
  ...realisticCases,
];

describe("classifyChannel", () => {
  describe.each([
    ["click ids", clickIdCases],
    ["paid-click mediums", paidClickCases],
    ["other mediums", mediumCases],
    ["fbclid", fbclidCases],
    ["utm_source", sourceCases],
    ["referrer", referrerCases],
    ["firm referrer", firmReferrerCases],
    ["malformed referrer", malformedReferrerCases],
    ["direct", directCases],
    ["realistic touches", realisticCases],
  ])("%s", (_group, cases) => {
    it.each(cases)("$name", ({ touch, channel, reason }) => {
      const result = classifyChannel(touch, CONTEXT);
      expect(result.channel).toBe(channel);
      expect(result.reason).toBe(reason);
    });
  });

  it("undefined touch is direct", () => {
    expect(classifyChannel(undefined, CONTEXT)).toEqual({ channel: "direct", reason: "no touch recorded" });
  });

  it("every standard row has a case", () => {
    const decidedRows = new Set<number>();
    for (const { touch } of standardCases) {
      const signals = readSignals(touch, FIRM_HOSTS);
      decidedRows.add(STANDARD_CHANNEL_RULES.findIndex((rule) => rule.match(signals) !== undefined));
    }

    const rowsWithoutCase = STANDARD_CHANNEL_RULES.filter((_rule, index) => !decidedRows.has(index)).map(
      (rule) => `${rule.channel}: ${rule.when}`,
    );
    expect(rowsWithoutCase).toEqual([]);
  });

  it("last row always applies", () => {
    const lastRow = STANDARD_CHANNEL_RULES.at(-1);
    expect(lastRow?.match(readSignals({}, []))).toBe("no referrer or campaign");
  });
});

describe("classifyChannel firm hosts", () => {
  it("no firm hosts gives referral", () => {
    const result = classifyChannel({ referrer: "https://www.firm.example/" }, { firmHosts: [] });
    expect(result.channel).toBe("referral");
  });

  it("apex firm host covers www", () => {
    const result = classifyChannel({ referrer: "https://www.firm.example/" }, { firmHosts: ["firm.example"] });
    expect(result.channel).toBe("direct");
  });

  it("firm host compares case-insensitively", () => {
    const result = classifyChannel({ referrer: "https://firm.example/" }, { firmHosts: [" WWW.Firm.Example "] });
    expect(result.channel).toBe("direct");
  });

  it("subdomain firm host excludes parent", () => {
    const result = classifyChannel({ referrer: "https://firm.example/" }, { firmHosts: ["blog.firm.example"] });
    expect(result.channel).toBe("referral");
  });

  it("firm host with port", () => {
    const result = classifyChannel({ referrer: "http://localhost:8787/" }, { firmHosts: ["localhost:8787"] });
    expect(result.channel).toBe("direct");
  });

  it("international firm host", () => {
    const result = classifyChannel({ referrer: "https://xn--bcher-kva.example/" }, { firmHosts: ["bücher.example"] });
    expect(result.channel).toBe("direct");
  });

  it("hosts from origins cover subdomains", () => {
    const firmHosts = firmHostsFromOrigins(["https://*.firm.example"]);
    const result = classifyChannel({ referrer: "https://blog.firm.example/" }, { firmHosts });
    expect(result.channel).toBe("direct");
  });
});

interface RuleCase {
  name: string;
  rules: ChannelRule[];
  touch: Touch;
  channel: string;
  reason: string;
}

const ruleCases: RuleCase[] = [
  {
    name: "source rule matches any case",
    rules: [{ channel: "directory", utmSource: "lawsociety" }],
    touch: { utm_source: "LawSociety" },
    channel: "directory",
    reason: "firm rule 1 (utm_source lawsociety)",
  },
  {
    name: "referrer host rule matches subdomain",
    rules: [{ channel: "directory", referrerHost: "lawsociety.org.uk" }],
    touch: { referrer: "https://solicitors.lawsociety.org.uk/person/1" },
    channel: "directory",
    reason: "firm rule 1 (referrer solicitors.lawsociety.org.uk)",
  },
  {
    name: "referrer host rule matches exact host",
    rules: [{ channel: "directory", referrerHost: "Chambers.com" }],
    touch: { referrer: "https://chambers.com/" },
    channel: "directory",
    reason: "firm rule 1 (referrer chambers.com)",
  },
  {
    name: "referrer host rule given as URL",
    rules: [{ channel: "forum", referrerHost: "https://www.mumsnet.com/" }],
    touch: { referrer: "https://www.mumsnet.com/talk" },
    channel: "forum",
    reason: "firm rule 1 (referrer www.mumsnet.com)",
  },
  {
    name: "referrer host rule skips lookalike",
    rules: [{ channel: "directory", referrerHost: "lawsociety.org.uk" }],
    touch: { referrer: "https://notlawsociety.org.uk/" },
    channel: "referral",
    reason: "referrer notlawsociety.org.uk",
  },
  {
    name: "referrer host rule ignores firm referrer",
    rules: [{ channel: "own_site", referrerHost: "firm.example" }],
    touch: { referrer: "https://www.firm.example/" },
    channel: "direct",
    reason: "referrer www.firm.example is the firm's own site",
  },
  {
    name: "referrer host rule needs referrer",
    rules: [{ channel: "directory", referrerHost: "lawsociety.org.uk" }],
    touch: { utm_source: "lawsociety" },
    channel: "referral",
    reason: "utm_source lawsociety without utm_medium",
  },
  {
    name: "app package rule",
    rules: [{ channel: "messaging", referrerHost: "com.whatsapp" }],
    touch: { referrer: "android-app://com.whatsapp/" },
    channel: "messaging",
    reason: "firm rule 1 (referrer android-app://com.whatsapp)",
  },
  {
    name: "rule overrides gclid",
    rules: [{ channel: "display", utmMedium: "display" }],
    touch: { gclid: "Cj0KCQ", utm_source: "google", utm_medium: "Display" },
    channel: "display",
    reason: "firm rule 1 (utm_medium display)",
  },
  {
    name: "rule overrides referrer",
    rules: [{ channel: "forum", referrerHost: "mumsnet.com" }],
    touch: { referrer: "https://www.mumsnet.com/" },
    channel: "forum",
    reason: "firm rule 1 (referrer www.mumsnet.com)",
  },
  {
    name: "rule may name standard channel",
    rules: [{ channel: "referral", utmSource: "google", utmMedium: "gbp" }],
    touch: { utm_source: "google", utm_medium: "GBP" },
    channel: "referral",
    reason: "firm rule 1 (utm_source google, utm_medium gbp)",
  },
  {
    name: "all conditions must match",
    rules: [{ channel: "google_ads", utmSource: "google", utmMedium: "cpc" }],
    touch: { utm_source: "google", utm_medium: "ppc" },
    channel: "paid_search",
    reason: "utm_medium ppc from google",
  },
  {
    name: "all three tags and referrer",
    rules: [
      {
        channel: "partner",
        utmSource: "acme",
        utmMedium: "referral",
        utmCampaign: "Spring",
        referrerHost: "acme.example",
      },
    ],
    touch: { utm_source: "ACME", utm_medium: "Referral", utm_campaign: "spring", referrer: "https://www.acme.example/" },
    channel: "partner",
    reason: "firm rule 1 (utm_source acme, utm_medium referral, utm_campaign Spring, referrer www.acme.example)",
  },
  {
    name: "first matching rule wins",
    rules: [
      { channel: "events", utmCampaign: "summer" },
      { channel: "print", utmMedium: "print" },
      { channel: "brochure", utmSource: "brochure" },
    ],
    touch: { utm_source: "brochure", utm_medium: "print" },
    channel: "print",
    reason: "firm rule 2 (utm_medium print)",
  },
  {
    name: "campaign rule is separator-sensitive",
    rules: [{ channel: "probate_push", utmCampaign: "spring-probate" }],
    touch: { utm_source: "linkedin", utm_campaign: "spring_probate" },
    channel: "organic_social",
    reason: "utm_source linkedin (social network) without utm_medium",
  },
  {
    name: "campaign rule trims value",
    rules: [{ channel: "probate_push", utmCampaign: " Spring-Probate " }],
    touch: { utm_campaign: "spring-probate" },
    channel: "probate_push",
    reason: "firm rule 1 (utm_campaign Spring-Probate)",
  },
  {
    name: "rule without conditions never matches",
    rules: [{ channel: "everything" }],
    touch: { utm_source: "linkedin" },
    channel: "organic_social",
    reason: "utm_source linkedin (social network) without utm_medium",
  },
  {
    name: "blank condition counts as not given",
    rules: [{ channel: "print", utmSource: " ", utmMedium: "print" }],
    touch: { utm_medium: "print" },
    channel: "print",
    reason: "firm rule 1 (utm_medium print)",
  },
  {
    name: "only blank conditions never match",
    rules: [{ channel: "everything", utmSource: "", referrerHost: "  " }],
    touch: {},
    channel: "direct",
    reason: "no referrer or campaign",
  },
];

describe("classifyChannel firm rules", () => {
  it.each(ruleCases)("$name", ({ rules, touch, channel, reason }) => {
    const result = classifyChannel(touch, { firmHosts: FIRM_HOSTS, rules });
    expect(result.channel).toBe(channel);
    expect(result.reason).toBe(reason);
  });

  it("rules skip undefined touch", () => {
    const result = classifyChannel(undefined, { firmHosts: FIRM_HOSTS, rules: [{ channel: "x", utmSource: "a" }] });
    expect(result.channel).toBe("direct");
  });
});

describe("firmHostsFromOrigins", () => {
  it.each([
    ["exact origin", ["https://www.firm.example"], ["www.firm.example"]],
    ["wildcard subdomain", ["https://*.firm.example"], ["firm.example"]],
    ["wildcard port", ["http://localhost:*"], ["localhost"]],
    ["fixed port", ["http://localhost:8787"], ["localhost"]],
    ["trailing slash", ["https://firm.example/"], ["firm.example"]],
    ["upper case", ["HTTPS://WWW.Firm.Example"], ["www.firm.example"]],
    ["surrounding spaces", ["  https://firm.example  "], ["firm.example"]],
    ["IPv6 host", ["http://[::1]:8787"], ["[::1]"]],
    ["international host", ["https://bücher.example"], ["xn--bcher-kva.example"]],
    [
      "three pattern kinds",
      ["https://www.firm.example", "https://*.firm.example", "http://localhost:*"],
      ["www.firm.example", "firm.example", "localhost"],
    ],
    ["duplicates removed", ["https://firm.example", "http://firm.example:8080", "https://*.firm.example"], ["firm.example"]],
    ["empty list", [], []],
    ["empty pattern", [""], []],
    ["not an origin", ["firm example"], []],
    ["bare host", ["firm.example"], []],
    ["missing host", ["https://"], []],
    ["path after host", ["https://firm.example/contact"], []],
    ["credentials", ["https://user@firm.example"], []],
    ["wildcard alone", ["https://*"], []],
    ["wildcard mid host", ["https://www.*.example"], []],
    ["invalid beside valid", ["nonsense", "https://firm.example"], ["firm.example"]],
  ])("%s", (_name, patterns, hosts) => {
    expect(firmHostsFromOrigins(patterns)).toEqual(hosts);
  });
});

describe("normaliseTag", () => {
  it.each([
    ["Paid-Search", "paid_search"],
    [" paid search ", "paid_search"],
    ["PAID__SEARCH", "paid_search"],
    ["social - paid", "social_paid"],
    ["-cpc-", "cpc"],
    ["E-Mail", "e_mail"],
  ])("%s", (value, normalised) => {
    expect(normaliseTag(value)).toBe(normalised);
  });
});
