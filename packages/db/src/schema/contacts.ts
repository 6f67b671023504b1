import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, firmId, updatedAt } from "./columns";
import { firms } from "./tenancy";

/** A person who contacted the firm. One contact per firm per normalised email address. */
export const contacts = sqliteTable(
  "contacts",
  {
    id: text("id").primaryKey(),
    firmId: firmId().references(() => firms.id),
    /** Name exactly as typed, NFC-normalised. */
    name: text("name"),
    /** Address as typed, without control or invisible characters. */
    email: text("email"),
    /** Lower-cased address with the domain in ASCII (punycode): the key contacts are matched on. */
    emailNormalised: text("email_normalised"),
    /** Phone as typed. */
    phone: text("phone"),
    /** E.164 form, read with the firm's default region when no country code was typed. */
    phoneE164: text("phone_e164"),
    company: text("company"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex("contacts_firm_email_unique").on(table.firmId, table.emailNormalised),
    index("contacts_firm_phone_idx").on(table.firmId, table.phoneE164),
    index("contacts_firm_created_idx").on(table.firmId, table.createdAt, table.id),
  ],
);
