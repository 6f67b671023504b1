import { describe, expect, it } from "vitest";
import {
  attributeValue,
  baselineOf,
  buildSeasonality,
  conversionByBand,
  formatDateLabel,
  formatDateNumeric,
  formatMinorUnits,
  isoWeekOf,
  isoWeekStart,
  pipelineAgeBucketOf,
  responseBandOf,
  shareWithinTarget,
  splitPeriodByMonth,
  toCsv,
  type AttributionModel,
  type DailyCount,
  type ReportTouch,
} from "../../packages/core/src/reports";

const touch = (channel: string, campaign: string | null = null): ReportTouch => ({ channel, campaign });

describe("attributeValue", () => {
  const cases: { name: string; touches: ReportTouch[]; value: number; model: AttributionModel; expected: [string, string | null, number][] }[] = [
    { name: "first touch takes all", touches: [touch("paid_search", "wills"), touch("email")], value: 1000, model: "first_touch", expected: [["paid_search", "wills", 1000]] },
    { name: "last touch takes all", touches: [touch("paid_search", "wills"), touch("email")], value: 1000, model: "last_touch", expected: [["email", null, 1000]] },
    { name: "linear splits evenly", touches: [touch("a"), touch("b")], value: 1000, model: "linear", expected: [["a", null, 500], ["b", null, 500]] },
    // 1000 / 3 = 333 rem 1: the earliest touch takes the spare penny.
    { name: "linear remainder goes earliest", touches: [touch("a"), touch("b"), touch("c")], value: 1000, model: "linear", expected: [["a", null, 334], ["b", null, 333], ["c", null, 333]] },
    // 1001 / 3 = 333 rem 2: the first two take one each.
    { name: "linear remainder of two", touches: [touch("a"), touch("b"), touch("c")], value: 1001, model: "linear", expected: [["a", null, 334], ["b", null, 334], ["c", null, 333]] },
    // Touches 1 and 3 share a key: 334 + 333.
    { name: "linear merges repeated channel", touches: [touch("a", "x"), touch("b"), touch("a", "x")], value: 1000, model: "linear", expected: [["a", "x", 667], ["b", null, 333]] },
    { name: "same channel, other campaign kept apart", touches: [touch("a", "x"), touch("a", "y")], value: 3, model: "linear", expected: [["a", "x", 2], ["a", "y", 1]] },
    { name: "value smaller than touches", touches: [touch("a"), touch("b"), touch("c")], value: 1, model: "linear", expected: [["a", null, 1], ["b", null, 0], ["c", null, 0]] },
    { name: "zero value", touches: [touch("a")], value: 0, model: "linear", expected: [["a", null, 0]] },
    { name: "no touches", touches: [], value: 500, model: "linear", expected: [] },
  ];

  it.each(cases)("$name", ({ touches, value, model, expected }) => {
    const credits = attributeValue(touches, value, model);
    expect(credits.map((credit) => [credit.channel, credit.campaign, credit.minor])).toEqual(expected);
  });

  it("sums exactly to the value", () => {
    for (const value of [1, 7, 99, 100, 12_345, 999_999_999]) {
      for (let count = 1; count <= 7; count++) {
        const touches = Array.from({ length: count }, (_, index) => touch(`c${index}`));
        const total = attributeValue(touches, value, "linear").reduce((sum, credit) => sum + credit.minor, 0);
        expect(total).toBe(value);
      }
    }
  });

  it.each([-1, 1.5, Number.NaN])("rejects value %s", (value) => {
    expect(() => attributeValue([touch("a")], value, "linear")).toThrow(RangeError);
  });
});

describe("responseBandOf", () => {
  const cases: [number | null, string][] = [
    [0, "under_1h"],
    [59.9, "under_1h"],
    [60, "1h_to_4h"],
    [239, "1h_to_4h"],
    [240, "4h_to_24h"],
    [1_439, "4h_to_24h"],
    [1_440, "1d_to_3d"],
    [4_319, "1d_to_3d"],
    [4_320, "over_3d"],
    [100_000, "over_3d"],
    [null, "none"],
  ];
  it.each(cases)("%s minutes is %s", (minutes, band) => {
    expect(responseBandOf(minutes)).toBe(band);
  });

  it("rejects negative minutes", () => {
    expect(() => responseBandOf(-1)).toThrow(RangeError);
  });
});

describe("conversionByBand", () => {
  it("fills every band in order", () => {
    const rows = conversionByBand([
      { band: "under_1h", enquiries: 4, won: 1 },
      { band: "none", enquiries: 3, won: 0 },
      { band: "under_1h", enquiries: 2, won: 1 },
    ]);
    expect(rows.map((row) => row.band)).toEqual(["under_1h", "1h_to_4h", "4h_to_24h", "1d_to_3d", "over_3d", "none"]);
    // 2 won of 6.
    expect(rows[0]).toEqual({ band: "under_1h", label: "Under 1 hour", enquiries: 6, won: 2, rate: 0.3333 });
    expect(rows[1]!.rate).toBeNull();
    expect(rows[5]).toMatchObject({ enquiries: 3, won: 0, rate: 0 });
  });
});

describe("shareWithinTarget", () => {
  it.each([
    [3, 4, 0.75],
    [0, 5, 0],
    [0, 0, null],
  ])("%s of %s is %s", (within, total, expected) => {
    expect(shareWithinTarget(within, total)).toBe(expected);
  });

  it("rejects more within than total", () => {
    expect(() => shareWithinTarget(5, 4)).toThrow(RangeError);
  });
});

describe("pipelineAgeBucketOf", () => {
  const now = new Date("2026-06-30T12:00:00Z");
  const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);
  it.each([
    [0, "under_7d"],
    [6.99, "under_7d"],
    [7, "7d_to_30d"],
    [29.5, "7d_to_30d"],
    [30, "30d_to_90d"],
    [89, "30d_to_90d"],
    [90, "over_90d"],
    [400, "over_90d"],
  ])("%s days old is %s", (days, bucket) => {
    expect(pipelineAgeBucketOf(daysAgo(days as number), now)).toBe(bucket);
  });

  it("treats a future date as new", () => {
    expect(pipelineAgeBucketOf(new Date(now.getTime() + 1000), now)).toBe("under_7d");
  });
});

describe("ISO weeks", () => {
  it.each([
    ["2026-01-01", 2026, 1],
    ["2025-12-29", 2026, 1],
    ["2027-01-03", 2026, 53],
    ["2027-01-04", 2027, 1],
    ["2021-01-03", 2020, 53],
    ["2024-12-30", 2025, 1],
    ["2026-06-15", 2026, 25],
  ])("%s is week %s-%s", (date, isoYear, week) => {
    expect(isoWeekOf(date)).toEqual({ isoYear, week });
  });

  it.each([
    [2026, 1, "2025-12-29"],
    [2026, 53, "2026-12-28"],
    [2025, 53, null],
  ])("week %s-%s starts %s", (isoYear, week, start) => {
    expect(isoWeekStart(isoYear, week)).toBe(start);
  });
});

describe("seasonality", () => {
  /** One count on the Wednesday of the ISO week. */
  const inWeek = (isoYear: number, week: number, enquiries: number): DailyCount => {
    const monday = isoWeekStart(isoYear, week)!;
    const wednesday = new Date(Date.parse(`${monday}T00:00:00Z`) + 2 * 86_400_000).toISOString().slice(0, 10);
    return { date: wednesday, enquiries };
  };

  it("compares a week with earlier years", () => {
    // Week 10: 2023 = 8, 2024 = 10, 2025 = 12. Mean 10, sample SD 2, band 10 ± 4 = 6 to 14. 2026 has 15: high.
    const daily = [inWeek(2023, 10, 8), inWeek(2024, 10, 10), inWeek(2025, 10, 12), inWeek(2026, 10, 15)];
    const [week] = buildSeasonality(daily, { from: "2026-03-02", to: "2026-03-08", granularity: "week", historyStart: "2023-01-02" });
    expect(week).toMatchObject({ key: "2026-W10", label: "Week 10, 2026", start: "2026-03-02", end: "2026-03-08", startLabel: "2 Mar 2026", enquiries: 15 });
    expect(week!.earlierYears).toEqual([
      { year: 2025, enquiries: 12 },
      { year: 2024, enquiries: 10 },
      { year: 2023, enquiries: 8 },
    ]);
    expect(week!.baseline).toEqual({ basis: "earlier_years", mean: 10, sd: 2, low: 6, high: 14, periods: 3 });
    expect(week!.unusual).toBe("high");
  });

  it("ignores years before history starts", () => {
    // History starts in 2025, so only 2025 is an earlier year: too few, and the trailing weeks are used instead.
    const daily = [inWeek(2025, 10, 12), inWeek(2026, 10, 15)];
    const [week] = buildSeasonality(daily, { from: "2026-03-02", to: "2026-03-08", granularity: "week", historyStart: "2025-01-01" });
    expect(week!.earlierYears).toEqual([{ year: 2025, enquiries: 12 }]);
    // Weeks 2–9 of 2026 all have 0: mean 0, SD 0, band 0 ± 2. 15 is high.
    expect(week!.baseline).toEqual({ basis: "trailing", mean: 0, sd: 0, low: -2, high: 2, periods: 8 });
    expect(week!.unusual).toBe("high");
  });

  it("has no baseline without history", () => {
    const [week] = buildSeasonality([inWeek(2026, 10, 3)], { from: "2026-03-02", to: "2026-03-08", granularity: "week", historyStart: "2026-03-04" });
    expect(week!.baseline).toBeNull();
    expect(week!.unusual).toBeNull();
  });

  it("marks a low month", () => {
    // March 2024 = 20, 2025 = 22: mean 21, SD 1.41, band 21 ± 2.83. March 2026 = 10: low.
    const daily: DailyCount[] = [
      { date: "2024-03-05", enquiries: 20 },
      { date: "2025-03-31", enquiries: 22 },
      { date: "2026-03-01", enquiries: 10 },
    ];
    const months = buildSeasonality(daily, { from: "2026-02-15", to: "2026-03-10", granularity: "month", historyStart: "2024-01-01" });
    expect(months.map((month) => month.key)).toEqual(["2026-02", "2026-03"]);
    expect(months[1]).toMatchObject({ label: "March 2026", start: "2026-03-01", end: "2026-03-31", enquiries: 10, unusual: "low" });
    expect(months[1]!.baseline).toEqual({ basis: "earlier_years", mean: 21, sd: 1.41, low: 18.17, high: 23.83, periods: 2 });
  });

  it("keeps identical years from flagging small changes", () => {
    // SD 0 is floored to 1: band 5 ± 2.
    expect(baselineOf([5, 5, 5], "earlier_years")).toMatchObject({ low: 3, high: 7 });
  });
});

describe("splitPeriodByMonth", () => {
  it.each([
    // from, to, whole months, leftover days
    ["2026-03-01", "2026-03-31", ["2026-03", "2026-03"], []],
    ["2026-03-01", "2026-03-30", null, [["2026-03-01", "2026-03-30"]]],
    ["2025-12-06", "2026-12-05", ["2026-01", "2026-11"], [["2025-12-06", "2025-12-31"], ["2026-12-01", "2026-12-05"]]],
    ["2026-02-15", "2026-04-10", ["2026-03", "2026-03"], [["2026-02-15", "2026-02-28"], ["2026-04-01", "2026-04-10"]]],
    ["2024-02-01", "2024-02-29", ["2024-02", "2024-02"], []],
    ["2026-03-02", "2026-04-30", ["2026-04", "2026-04"], [["2026-03-02", "2026-03-31"]]],
    ["2026-03-10", "2026-03-10", null, [["2026-03-10", "2026-03-10"]]],
  ] as const)("%s to %s", (from, to, months, days) => {
    expect(splitPeriodByMonth(from, to)).toEqual({ months, days });
  });
});

describe("CSV", () => {
  it("quotes and guards cells", () => {
    const csv = toCsv(["a", "b", "c"], [
      ["=HYPERLINK(\"x\")", "+44 20", "-12.50"],
      ["@sum", "plain, with comma", 3],
      [null, "line\nbreak", "\tlead"],
    ]);
    expect(csv).toBe(
      'a,b,c\r\n"\'=HYPERLINK(""x"")",\'+44 20,-12.50\r\n\'@sum,"plain, with comma",3\r\n,"line\nbreak",\'\tlead\r\n',
    );
  });

  it.each([
    [0, "0.00"],
    [5, "0.05"],
    [123456, "1234.56"],
    [-250, "-2.50"],
  ])("formats %s minor units as %s", (minor, text) => {
    expect(formatMinorUnits(minor)).toBe(text);
  });

  it("formats British dates", () => {
    expect(formatDateNumeric("2026-01-26")).toBe("26/01/2026");
    expect(formatDateLabel("2026-01-26")).toBe("26 Jan 2026");
  });
});
