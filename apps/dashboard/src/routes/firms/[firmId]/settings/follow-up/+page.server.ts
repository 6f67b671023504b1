import { fail } from "@sveltejs/kit";
import type { FollowUpSettings, Member, Page, WorkingRange } from "$lib/api-types";
import { readJson, sendChange } from "$lib/server/api-errors";
import { field } from "$lib/server/form-data";
import { STALL_STAGES } from "$lib/stall-stages";
import { parseDayRanges, WEEKDAYS } from "$lib/working-hours";
import type { Actions, PageServerLoad } from "./$types";

export const load: PageServerLoad = async (event) => {
  const [settings, members] = await Promise.all([
    readJson<FollowUpSettings>(event, "/v1/settings/follow-up"),
    readJson<Page<Member>>(event, "/v1/members"),
  ]);
  return { settings, members: members.data, timeZones: Intl.supportedValuesOf("timeZone") };
};

const NUMBER_FIELDS = ["responseTargetMinutes", "reminderIntervalMinutes", "remindersBeforeEscalation", "closeAsLostDays"] as const;

export const actions: Actions = {
  default: async (event) => {
    const form = await event.request.formData();
    const values: Record<string, string> = {};
    for (const [name, value] of form) if (typeof value === "string" && name !== "csrf") values[name] = value.trim();
    const fieldErrors: Record<string, string> = {};

    const wholeNumber = (name: string): number | undefined => {
      const text = field(form, name);
      if (!/^\d{1,6}$/.test(text)) {
        fieldErrors[name] = "Enter a whole number.";
        return undefined;
      }
      return Number(text);
    };

    const workingHours: WorkingRange[] = [];
    // The API names a bad range by its index in the list, so each index maps back to its day's input.
    const fieldNames: Record<string, string> = { workingHours: "workingHours" };
    for (const { day } of WEEKDAYS) {
      const parsed = parseDayRanges(field(form, `hours-${day}`), day);
      if (typeof parsed === "string") {
        fieldErrors[`hours-${day}`] = parsed;
        continue;
      }
      for (const range of parsed) {
        const index = workingHours.push(range) - 1;
        for (const suffix of ["", ".day", ".start", ".end"]) fieldNames[`workingHours.${index}${suffix}`] = `hours-${day}`;
      }
    }

    const closedDates = field(form, "closedDates")
      .split(/[\s,]+/)
      .filter((date) => date !== "");
    closedDates.forEach((_, index) => (fieldNames[`closedDates.${index}`] = "closedDates"));

    const stallDays: Record<string, number> = {};
    for (const stage of STALL_STAGES) {
      const days = wholeNumber(`stallDays.${stage.key}`);
      if (days !== undefined) stallDays[stage.key] = days;
    }

    const numbers: Record<string, number> = {};
    for (const name of NUMBER_FIELDS) {
      const number = wholeNumber(name);
      if (number !== undefined) numbers[name] = number;
    }

    if (Object.keys(fieldErrors).length > 0) {
      return fail(422, { message: "Nothing was saved. Correct the fields marked below.", fieldErrors, values });
    }

    const patch = {
      timeZone: field(form, "timeZone"),
      workingHours,
      closedDates,
      stallDays,
      ...numbers,
      senderEmail: field(form, "senderEmail") || null,
      senderName: field(form, "senderName") || null,
      fallbackOwnerUserId: field(form, "fallbackOwnerUserId") || null,
      escalationUserId: field(form, "escalationUserId") || null,
    };
    const result = await sendChange(event, "PATCH", "/v1/settings/follow-up", patch, { values, fieldNames });
    if (!result.ok) return result.failure;
    return { saved: "Settings saved." };
  },
};
