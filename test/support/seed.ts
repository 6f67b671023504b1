import { newId, type FormField } from "@plumbline/core";
import { apiKeys, createDatabase, firms, forms, type Database } from "@plumbline/db";
import { env } from "cloudflare:workers";
import { sha256Hex } from "../../apps/api/src/lib/crypto";

export const CONTACT_FORM_FIELDS: FormField[] = [
  { name: "name", label: "Full name", type: "text", required: true, autocomplete: "name" },
  { name: "email", label: "Email", type: "email", required: false, autocomplete: "email" },
  { name: "phone", label: "Phone", type: "tel", required: false, autocomplete: "tel" },
  {
    name: "service",
    label: "How can we help?",
    type: "select",
    required: false,
    options: [
      { value: "family", label: "Family law" },
      { value: "conveyancing", label: "Conveyancing" },
    ],
  },
  { name: "message", label: "Your message", type: "textarea", required: false },
];

export interface SeededFirm {
  firmId: string;
  formId: string;
  formKey: string;
  apiKey: string;
}

export interface FirmOptions {
  allowedOrigins?: string[];
  turnstileSecretEncrypted?: string | null;
  clientRateLimitPerHour?: number;
  formRateLimitPerHour?: number;
  thankYouUrl?: string | null;
  websiteHosts?: string[];
}

export function testDatabase(): Database {
  return createDatabase(env.DB);
}

/**
 * Seeds one firm with a contact form and an API key. Every id and key is new, so test files that share a
 * database never see each other's rows.
 */
export async function seedFirm(name: string, options: FirmOptions = {}): Promise<SeededFirm> {
  const db = testDatabase();
  const now = new Date();
  const firmId = newId("firm");
  const formId = newId("form");
  const formKey = `form_${crypto.randomUUID().slice(0, 8)}`;
  const apiKey = `pl_test_${crypto.randomUUID().replace(/-/g, "")}`;

  await db.batch([
    db.insert(firms).values({
      id: firmId,
      name,
      slug: `${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}-${formKey}`,
      workingHours: [1, 2, 3, 4, 5].map((day) => ({ day: day as 1, start: "09:00", end: "17:30" })),
      websiteHosts: options.websiteHosts ?? ["www.firm.example"],
      createdAt: now,
      updatedAt: now,
    }),
    db.insert(forms).values({
      id: formId,
      firmId,
      key: formKey,
      name: "Contact form",
      allowedOrigins: options.allowedOrigins ?? ["https://www.firm.example", "http://localhost:*"],
      fields: CONTACT_FORM_FIELDS,
      serviceLines: { field: "service", values: { family: "family-law", conveyancing: "property" }, fallback: "general" },
      successMessage: "Thank you. We will be in touch shortly.",
      thankYouUrl: options.thankYouUrl ?? null,
      turnstileSecretEncrypted: options.turnstileSecretEncrypted ?? null,
      turnstileSiteKey: options.turnstileSecretEncrypted ? "1x00000000000000000000AA" : null,
      clientRateLimitPerHour: options.clientRateLimitPerHour ?? 1000,
      formRateLimitPerHour: options.formRateLimitPerHour ?? 10_000,
      createdAt: now,
      updatedAt: now,
    }),
    db.insert(apiKeys).values({
      id: newId("key"),
      firmId,
      name: "Test key",
      prefix: apiKey.slice(0, 12),
      keyHash: await sha256Hex(apiKey),
      createdAt: now,
    }),
  ]);

  return { firmId, formId, formKey, apiKey };
}

/** Seeds the two firms every data-reading test starts with, so tenant isolation is always exercised. */
export async function seedTwoFirms(options: FirmOptions = {}): Promise<[SeededFirm, SeededFirm]> {
  return [await seedFirm("Hartley & Moss", options), await seedFirm("Other Firm LLP", options)];
}
