import type { Attribution, Touch } from "../../../packages/core/src/attribution/touch";
import type { ENQUIRY_LIMITS } from "../../../packages/core/src/enquiry/limits";

type QueryParameters = (typeof import("../../../packages/core/src/attribution/touch"))["TOUCH_QUERY_PARAMETERS"];
type StorageName = "localStorage" | "sessionStorage";

// The snippet has no run-time imports, so the contract's list is repeated here and the type keeps both in step.
const QUERY_PARAMETERS: QueryParameters = [
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_term",
  "utm_content",
  "gclid",
  "msclkid",
  "fbclid",
];

const VALUE_MAX: (typeof ENQUIRY_LIMITS)["attributionValue"] = 500;
const URL_MAX: (typeof ENQUIRY_LIMITS)["url"] = 2048;
const TOUCH_MAX_AGE_MS = 90 * 24 * 60 * 60 * 1000;
const FIRST_TOUCH_KEY = "plumbline:ft";
const LAST_TOUCH_KEY = "plumbline:lt";

/** Reads a stored touch, ignoring one that is unreadable or older than 90 days. */
function readTouch(storage: StorageName, key: string): Touch | undefined {
  // Reading `window.localStorage` itself throws a SecurityError when the browser blocks storage for the site.
  try {
    // JSON.parse turns a missing item (null) into null, and Date.parse turns a missing `at` into NaN.
    const touch = JSON.parse(window[storage].getItem(key) as string) as Touch | null;
    if (touch && Date.now() - Date.parse(touch.at as string) < TOUCH_MAX_AGE_MS) return touch;
  } catch {}
  return undefined;
}

function writeTouch(storage: StorageName, key: string, touch: Touch): void {
  try {
    window[storage].setItem(key, JSON.stringify(touch));
  } catch {}
}

/**
 * Records this page load in the visitor's first and last touch and returns both for the next submission.
 *
 * The first touch is the landing page of the oldest visit in the last 90 days. sessionStorage keeps this visit's
 * landing page across pages even where localStorage is blocked, and localStorage keeps the oldest visit across
 * visits. A page load is a last touch when its URL carries a campaign parameter or click id, or when the referrer
 * is another site, so moving between pages of the site keeps the earlier last touch.
 */
export function recordTouches(): Attribution {
  const landingPage = location.href.split("#")[0]!;
  const current: Touch = { landingPage: landingPage.slice(0, URL_MAX), at: new Date().toISOString() };
  const query = new URL(landingPage).searchParams;
  let isTouch = false;

  for (const name of QUERY_PARAMETERS) {
    const value = query.get(name);
    if (value) {
      current[name] = value.slice(0, VALUE_MAX);
      isTouch = true;
    }
  }

  // An empty referrer makes `new URL` throw, which leaves the touch without one.
  try {
    if (new URL(document.referrer).host != location.host) {
      current.referrer = document.referrer.slice(0, URL_MAX);
      isTouch = true;
    }
  } catch {}

  // Writing back a stored touch keeps its `at`, so it still expires 90 days after that visit.
  const visitTouch = readTouch("sessionStorage", FIRST_TOUCH_KEY) || current;
  const firstTouch = readTouch("localStorage", FIRST_TOUCH_KEY) || visitTouch;
  writeTouch("sessionStorage", FIRST_TOUCH_KEY, visitTouch);
  writeTouch("localStorage", FIRST_TOUCH_KEY, firstTouch);

  if (isTouch) {
    writeTouch("sessionStorage", LAST_TOUCH_KEY, current);
    writeTouch("localStorage", LAST_TOUCH_KEY, current);
  }
  const lastTouch = isTouch
    ? current
    : readTouch("localStorage", LAST_TOUCH_KEY) || readTouch("sessionStorage", LAST_TOUCH_KEY);
  return { firstTouch, lastTouch };
}
