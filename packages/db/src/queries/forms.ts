import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../client";
import { firms, forms } from "../schema";

export type Form = typeof forms.$inferSelect;
export type FormFirm = Pick<
  typeof firms.$inferSelect,
  | "id"
  | "name"
  | "timeZone"
  | "currency"
  | "defaultPhoneRegion"
  | "websiteHosts"
  | "channelRules"
  | "workingHours"
  | "closedDates"
  | "responseTargetMinutes"
  | "fallbackOwnerUserId"
>;

/** Firm settings an enquiry needs, read with the form. */
const formFirmColumns = {
  id: firms.id,
  name: firms.name,
  timeZone: firms.timeZone,
  currency: firms.currency,
  defaultPhoneRegion: firms.defaultPhoneRegion,
  websiteHosts: firms.websiteHosts,
  channelRules: firms.channelRules,
  workingHours: firms.workingHours,
  closedDates: firms.closedDates,
  responseTargetMinutes: firms.responseTargetMinutes,
  fallbackOwnerUserId: firms.fallbackOwnerUserId,
};

/**
 * Finds a live form by its public key with the settings of its firm. The key comes from a firm's web page, so
 * this lookup is what scopes an anonymous submission to its firm.
 */
export async function findFormByKey(db: Database, key: string): Promise<{ form: Form; firm: FormFirm } | null> {
  const row = await db
    .select({
      form: forms,
      firm: formFirmColumns,
    })
    .from(forms)
    .innerJoin(firms, eq(firms.id, forms.firmId))
    .where(and(eq(forms.key, key), isNull(forms.archivedAt)))
    .get();
  return row ?? null;
}

/** Finds one of the firm's forms by id, archived or not, with the same firm settings as findFormByKey. */
export async function findFormById(db: Database, firmId: string, formId: string): Promise<{ form: Form; firm: FormFirm } | null> {
  const row = await db
    .select({
      form: forms,
      firm: formFirmColumns,
    })
    .from(forms)
    .innerJoin(firms, eq(firms.id, forms.firmId))
    .where(and(eq(forms.firmId, firmId), eq(forms.id, formId)))
    .get();
  return row ?? null;
}
