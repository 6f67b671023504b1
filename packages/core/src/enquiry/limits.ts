/**
 * Size caps for a website enquiry. A request over any cap is answered 413 and nothing is stored.
 * Lengths are counted in Unicode code points after NFC normalisation, except the body cap, which counts bytes.
 */
export const ENQUIRY_LIMITS = {
  /** Whole request body in bytes, whatever its encoding. */
  maxBodyBytes: 64 * 1024,
  /** Number of form fields a submission may carry, standard and custom together. */
  maxFields: 40,
  /** A field name such as `practice_area`. */
  maxFieldNameLength: 64,
  name: 200,
  /** RFC 5321 caps a forward path at 256 octets including the angle brackets, so 254 for the address. */
  email: 254,
  phone: 40,
  company: 200,
  message: 10_000,
  /** Any other field, including custom ones. */
  otherField: 2_000,
  /** One UTM value or click id. */
  attributionValue: 500,
  /** Referrer and landing page URLs. */
  url: 2_048,
  /** Client submission id sent by the snippet. */
  submissionId: 100,
  /** Cloudflare documents Turnstile tokens as at most 2,048 characters. */
  turnstileToken: 2_048,
} as const;

export type EnquiryLimitKey = keyof typeof ENQUIRY_LIMITS;
