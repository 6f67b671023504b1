import { z } from "zod";
import { attributionSchema } from "../attribution/touch";
import { ENQUIRY_LIMITS } from "./limits";

/**
 * Reserved field names in a form-encoded submission. A plain HTML form carries the snippet's extras in hidden
 * inputs with these names; every other field is a form field.
 */
export const RESERVED_FORM_FIELDS = {
  submissionId: "_pl_submission_id",
  attribution: "_pl_attribution",
  pageUrl: "_pl_page_url",
  turnstileToken: "cf-turnstile-response",
} as const;

/**
 * The JSON body the snippet sends to `POST /v1/forms/{formKey}/submissions`, also accepted as `text/plain` for
 * `navigator.sendBeacon`. Form fields are free-form strings: which ones a form requires is the form's setting.
 */
export const submissionBodySchema = z.object({
  /** Random id the snippet creates once per attempt, so a retry or a beacon after a fetch is one enquiry. */
  submissionId: z
    .string()
    .min(8)
    .max(ENQUIRY_LIMITS.submissionId)
    .regex(/^[A-Za-z0-9_-]+$/, "must contain only letters, digits, '-' and '_'")
    .optional(),
  fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  attribution: attributionSchema.optional(),
  /** The page the form was submitted from. */
  pageUrl: z.string().max(ENQUIRY_LIMITS.url).optional(),
  turnstileToken: z.string().max(ENQUIRY_LIMITS.turnstileToken).optional(),
});

export type SubmissionBody = z.infer<typeof submissionBodySchema>;

/** Response to an accepted (or quarantined) submission. Spam receives the same shape. */
export interface SubmissionAccepted {
  status: "received";
  reference: string;
  /** Page a browser should go to next, when the form has a thank-you page. */
  redirectTo?: string;
}

/** A field of a form as the snippet renders it. */
export const formFieldSchema = z.object({
  name: z.string().min(1).max(ENQUIRY_LIMITS.maxFieldNameLength).regex(/^[A-Za-z][A-Za-z0-9_-]*$/),
  label: z.string().min(1).max(200),
  type: z.enum(["text", "email", "tel", "textarea", "select", "checkbox"]),
  required: z.boolean().default(false),
  /** For `select`: the choices, in order. */
  options: z.array(z.object({ value: z.string().max(200), label: z.string().max(200) })).max(50).optional(),
  autocomplete: z.string().max(60).optional(),
});

export type FormField = z.infer<typeof formFieldSchema>;

/** Public settings of a form, served at `GET /v1/forms/{formKey}` for the snippet to render it. */
export interface PublicFormSettings {
  key: string;
  name: string;
  fields: FormField[];
  honeypotField: string;
  turnstileSiteKey: string | null;
  submitLabel: string;
  successMessage: string;
  submitUrl: string;
}
