import { z } from "zod";
import { ENQUIRY_LIMITS } from "../enquiry/limits";

const value = z.string().max(ENQUIRY_LIMITS.attributionValue).optional();
const url = z.string().max(ENQUIRY_LIMITS.url).optional();

/**
 * One visit's marketing context as the snippet records it: the UTM parameters and click ids of the landing URL,
 * the document referrer and the landing page. Names follow the query parameters they come from.
 */
export const touchSchema = z.object({
  utm_source: value,
  utm_medium: value,
  utm_campaign: value,
  utm_term: value,
  utm_content: value,
  gclid: value,
  msclkid: value,
  fbclid: value,
  referrer: url,
  landingPage: url,
  /** ISO 8601 instant of the visit. */
  at: z.string().max(40).optional(),
});

export type Touch = z.infer<typeof touchSchema>;

/** First touch is the visit that brought the prospect; last touch is the visit on which they enquired. */
export const attributionSchema = z.object({
  firstTouch: touchSchema.optional(),
  lastTouch: touchSchema.optional(),
});

export type Attribution = z.infer<typeof attributionSchema>;

/** Query parameters copied from a landing URL into a touch. */
export const TOUCH_QUERY_PARAMETERS = [
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_term",
  "utm_content",
  "gclid",
  "msclkid",
  "fbclid",
] as const;
