import type { FollowUpSettings } from "$lib/api-types";
import { readJson } from "$lib/server/api-errors";
import { loadFirmAccess } from "$lib/server/firms";
import { DEFAULT_TIME_ZONE } from "$lib/format";
import type { LayoutServerLoad } from "./$types";

/**
 * Checks the person can see this firm before any page of it loads, and gives every page the firm's time zone
 * for dates. The API checks access again on every call; this check only decides what to render.
 */
export const load: LayoutServerLoad = async (event) => {
  // Both at once: a firm the person cannot see fails either way, and the access check's 404 is thrown first.
  const settingsRead = readJson<FollowUpSettings>(event, "/v1/settings/follow-up");
  settingsRead.catch(() => undefined);
  const { me, firm } = await loadFirmAccess(event);
  const settings = await settingsRead;
  return {
    me,
    firm,
    role: firm.role,
    timeZone: settings.timeZone || DEFAULT_TIME_ZONE,
    stallDays: settings.stallDays,
  };
};
