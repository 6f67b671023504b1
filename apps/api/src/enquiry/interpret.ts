import {
  cleanFreeText,
  cleanSingleLine,
  codePointLength,
  ENQUIRY_LIMITS,
  normaliseEmail,
  normalisePhone,
  type Attribution,
  type FormField,
  type NormalisedEmail,
  type SubmissionBody,
} from "@plumbline/core";
import type { ServiceLineMapping } from "@plumbline/db";
import { ApiError } from "../errors";

/** Content of an enquiry once its fields are read with the form's settings. */
export interface Enquiry {
  name: string | null;
  email: NormalisedEmail | null;
  phone: string | null;
  phoneE164: string | null;
  company: string | null;
  message: string | null;
  /** Internal service line, from the form's mapping, for routing and reports. */
  serviceLine: string | null;
  /** The service as the prospect chose it on the form (an option's label), for text the prospect reads. */
  serviceLabel: string | null;
  /** Every answer as stored for the firm, standard and custom, keyed by the form's field names. */
  answers: Record<string, string>;
  honeypotFilled: boolean;
  attribution: Attribution;
  pageUrl: string | null;
}

export interface FormSettingsForEnquiry {
  fields: FormField[];
  serviceLines: ServiceLineMapping;
  honeypotField: string;
}

type StandardField = "name" | "firstName" | "lastName" | "email" | "phone" | "company" | "message";

/**
 * Field names that website forms commonly use for the standard answers, compared after lower-casing and removing
 * `-`, `_` and spaces. Contact Form 7 uses `your-name`, Gravity and HubSpot style forms use `firstname`.
 */
const FIELD_ALIASES: Record<StandardField, readonly string[]> = {
  name: ["name", "fullname", "yourname", "contactname"],
  firstName: ["firstname", "givenname", "forename"],
  lastName: ["lastname", "surname", "familyname"],
  email: ["email", "emailaddress", "youremail", "mail"],
  phone: ["phone", "telephone", "tel", "mobile", "phonenumber", "yourphone", "telephonenumber", "mobilenumber"],
  company: ["company", "organisation", "organization", "companyname", "business"],
  message: ["message", "enquiry", "inquiry", "comments", "comment", "yourmessage", "details", "question"],
};

const FIELD_CAPS: Record<StandardField, number> = {
  name: ENQUIRY_LIMITS.name,
  firstName: ENQUIRY_LIMITS.name,
  lastName: ENQUIRY_LIMITS.name,
  email: ENQUIRY_LIMITS.email,
  phone: ENQUIRY_LIMITS.phone,
  company: ENQUIRY_LIMITS.company,
  message: ENQUIRY_LIMITS.message,
};

function aliasKey(name: string): string {
  return name.toLowerCase().replace(/[-_\s]/g, "");
}

/** Finds the submitted field that contains each standard answer: the form's typed fields first, then aliases. */
function locateStandardFields(names: string[], formFields: FormField[]): Partial<Record<StandardField, string>> {
  const located: Partial<Record<StandardField, string>> = {};
  const byType = (type: FormField["type"]) => formFields.find((field) => field.type === type && names.includes(field.name))?.name;

  const emailField = byType("email");
  if (emailField) located.email = emailField;
  const phoneField = byType("tel");
  if (phoneField) located.phone = phoneField;

  for (const standard of Object.keys(FIELD_ALIASES) as StandardField[]) {
    if (located[standard]) continue;
    const found = names.find((name) => FIELD_ALIASES[standard].includes(aliasKey(name)));
    if (found) located[standard] = found;
  }
  return located;
}

function tooLarge(field: string, maximum: number, label?: string): ApiError {
  const what = label ?? field;
  return new ApiError("payload_too_large", `${what} is too long: keep it to ${maximum.toLocaleString("en-GB")} characters.`, {
    field,
    details: { maximum },
  });
}

/**
 * Reads a submission with its form's settings: checks the size caps, finds the standard answers, cleans and
 * normalises them and checks what the form requires. Throws ApiError (413 or 422, naming the field).
 */
export function interpretSubmission(body: SubmissionBody, form: FormSettingsForEnquiry, defaultPhoneRegion: string): Enquiry {
  const entries = Object.entries(body.fields).filter(([, value]) => value !== null && value !== false) as [string, string | number | boolean][];
  if (entries.length > ENQUIRY_LIMITS.maxFields) {
    throw new ApiError("payload_too_large", `The submission has more than ${ENQUIRY_LIMITS.maxFields} fields.`, {
      details: { maxFields: ENQUIRY_LIMITS.maxFields },
    });
  }

  const raw: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (name.length > ENQUIRY_LIMITS.maxFieldNameLength) {
      throw new ApiError("payload_too_large", `A field name is longer than ${ENQUIRY_LIMITS.maxFieldNameLength} characters.`, {
        field: name.slice(0, ENQUIRY_LIMITS.maxFieldNameLength),
      });
    }
    raw[name] = value === true ? "yes" : String(value);
  }

  const honeypotFilled = (raw[form.honeypotField] ?? "").trim() !== "";
  delete raw[form.honeypotField];

  const located = locateStandardFields(Object.keys(raw), form.fields);
  const standardFieldNames = new Set(Object.values(located));

  const answers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    const standard = (Object.keys(located) as StandardField[]).find((key) => located[key] === name);
    const cap = standard ? FIELD_CAPS[standard] : ENQUIRY_LIMITS.otherField;
    const cleaned = standard === "message" || !standardFieldNames.has(name) ? cleanFreeText(value) : cleanSingleLine(value);
    if (codePointLength(cleaned) > cap) throw tooLarge(name, cap, form.fields.find((field) => field.name === name)?.label);
    if (cleaned !== "") answers[name] = cleaned;
  }

  const answer = (standard: StandardField) => {
    const name = located[standard];
    return name ? (answers[name] ?? null) : null;
  };

  const name = answer("name") ?? ([answer("firstName"), answer("lastName")].filter(Boolean).join(" ") || null);

  // A required standard field is satisfied by the same answer under another common name: a site's own form may
  // send `first_name` and `last_name` for a form whose settings call the field `name`.
  for (const field of form.fields) {
    if (!field.required || answers[field.name]) continue;
    const role = roleOf(field);
    const answeredElsewhere = role === "name" ? name !== null : role !== null && answer(role) !== null;
    if (!answeredElsewhere) throw new ApiError("validation_failed", `${field.label} is required.`, { field: field.name });
  }
  const emailText = answer("email");
  const phoneText = answer("phone");

  let email: NormalisedEmail | null = null;
  if (emailText) {
    const normalised = normaliseEmail(emailText);
    if (normalised === "too_long") {
      throw new ApiError("payload_too_large", `The email address is longer than ${ENQUIRY_LIMITS.email} characters once its domain is written in ASCII.`, {
        field: located.email!,
        details: { maximum: ENQUIRY_LIMITS.email },
      });
    }
    if (normalised === "invalid") {
      throw new ApiError("validation_failed", "Enter a valid email address, such as name@example.co.uk.", { field: located.email! });
    }
    email = normalised;
  }

  const phoneE164 = phoneText ? normalisePhone(phoneText, defaultPhoneRegion) : null;
  if (!email && !phoneText) {
    throw new ApiError("validation_failed", "Enter an email address or a phone number so the firm can reply.", {
      field: located.email ?? "email",
    });
  }
  // An unreadable number is kept as typed when there is an email to reply to; alone it cannot reach anyone.
  if (!email && !phoneE164) {
    throw new ApiError("validation_failed", "Enter a valid phone number, including the area code.", { field: located.phone! });
  }

  return {
    name,
    email,
    phone: phoneText,
    phoneE164,
    company: answer("company"),
    message: answer("message"),
    serviceLine: pickServiceLine(answers, form.serviceLines),
    serviceLabel: pickServiceLabel(answers, form.fields, form.serviceLines),
    answers,
    honeypotFilled,
    attribution: body.attribution ?? {},
    pageUrl: body.pageUrl ?? null,
  };
}

/** Returns the standard answer a form field is for, by its type or its name, or null for a custom field. */
function roleOf(field: FormField): StandardField | null {
  if (field.type === "email") return "email";
  if (field.type === "tel") return "phone";
  const key = aliasKey(field.name);
  return (Object.keys(FIELD_ALIASES) as StandardField[]).find((standard) => FIELD_ALIASES[standard].includes(key)) ?? null;
}

function pickServiceLine(answers: Record<string, string>, mapping: ServiceLineMapping): string | null {
  const value = mapping.field ? answers[mapping.field] : undefined;
  if (value !== undefined) {
    const mapped = mapping.values[value] ?? mapping.values[value.toLowerCase()];
    if (mapped) return mapped;
  }
  return mapping.fallback;
}

/**
 * Returns the service as the prospect saw it: the chosen option's label for a field with options, or their own
 * words for a free-text field. Null when the form has no service field, it was left empty, or the value is not
 * one of the options.
 */
function pickServiceLabel(answers: Record<string, string>, fields: FormField[], mapping: ServiceLineMapping): string | null {
  const value = mapping.field ? answers[mapping.field] : undefined;
  if (!value) return null;
  const field = fields.find((candidate) => candidate.name === mapping.field);
  if (field?.options) return field.options.find((option) => option.value === value)?.label ?? null;
  return value;
}
