import { describe, expect, inject, it, vi } from "vitest";
import { seedTwoFirms } from "../support/seed";
import { cronSchedule, DAY_MS, startCalendarOn } from "./clock";
import { castDemoProspects } from "./demo-cast";
import { dumpFirmHistory } from "./demo-dump";
import { expectDocumentedOutcomes, playScript, simulatedFirm } from "./play";
import { scriptErrors } from "./scenario";

/** Whole weeks of history before the current week: over a year, so reports can compare with the year before. */
const DEMO_WEEKS = 58;
const DEMO_SEED = 20_250_101;
const DEMO_TIMEOUT_MS = 30 * 60_000;

/*
 * Plays the simulated firm for over a year with hundreds of prospects and writes what it stored as the demo
 * firm's history (scripts/seed/demo-history.sql). It runs only under `npm run demo:generate`, because it takes
 * minutes. The same checks as the four-month run apply, so the demo shows what the rules produce.
 */
describe.runIf(inject("writeDemoHistory"))("demo history", () => {
  it(
    "plays months and writes history",
    async () => {
      const today = new Date();
      const monday = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - ((today.getUTCDay() + 6) % 7) * DAY_MS);
      const dayZero = new Date(monday.getTime() - DEMO_WEEKS * 7 * DAY_MS);
      startCalendarOn({ year: dayZero.getUTCFullYear(), month: dayZero.getUTCMonth() + 1, day: dayZero.getUTCDate() });
      const lastDay = Math.round((Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - dayZero.getTime()) / DAY_MS);

      const prospects = castDemoProspects(DEMO_SEED, lastDay);
      expect(scriptErrors(prospects, lastDay)).toEqual([]);

      const [firm] = await seedTwoFirms();
      const sim = await simulatedFirm(firm, "direct");
      vi.useFakeTimers({ toFake: ["Date"] });
      await playScript(sim, prospects, lastDay);
      expect(sim.problems).toEqual([]);
      await expectDocumentedOutcomes(sim, prospects, lastDay);
      vi.useRealTimers();

      const end = cronSchedule(lastDay).at(-1)!;
      const sql = await dumpFirmHistory(
        { firmId: firm.firmId, formId: firm.formId, partnerUserId: sim.partner!.userId, partnerEmail: sim.partner!.email },
        end,
        `${prospects.length} prospects over ${lastDay + 1} days, seed ${DEMO_SEED}.`,
      );
      const response = await fetch(`${inject("fakeProvidersUrl")}/__demo-history`, { method: "POST", body: sql });
      expect(response.status).toBe(200);
    },
    DEMO_TIMEOUT_MS,
  );
});
