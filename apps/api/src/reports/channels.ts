import { ATTRIBUTION_MODELS, formatMinorUnits, ratio, type AttributionModel } from "@plumbline/core";
import { sumAttributedFees, sumEnquiryGroups, type Database, type EnquiryGroup } from "@plumbline/db";
import { describeRequest, labelOf, type ReportRequest } from "./filters";
import type { CsvTable } from "./csv";

export const MODEL_LABELS: Record<AttributionModel, string> = { first_touch: "First touch", last_touch: "Last touch", linear: "Linear" };

interface ChannelRow {
  channel: string;
  channelLabel: string;
  campaign: string | null;
  enquiries: number;
  meetings: number;
  wins: number;
  /** Wins ÷ enquiries, 4 decimal places; null with no enquiries. */
  conversionRate: number | null;
  feesWonMinor: number;
  /** Fees won credited to this channel and campaign under each model, in minor units. */
  attributedMinor: Record<AttributionModel, number>;
}

/**
 * Builds the channels-to-revenue report. Enquiries, meetings, wins and fees won count the period's enquiries
 * under their first-touch channel and campaign, whenever they were won. The attribution columns split the same
 * fees over each won opportunity's touches by the three models, so each model's column adds up to the fees won.
 */
export async function buildChannelsReport(db: Database, request: ReportRequest, currency: string) {
  const [groups, credits] = await Promise.all([sumEnquiryGroups(db, request.filters), sumAttributedFees(db, request.filters)]);
  const counts = byChannelAndCampaign(groups);

  const rows = new Map<string, ChannelRow>();
  const rowFor = (channel: string, campaign: string | null) => {
    const key = JSON.stringify([channel, campaign]);
    let row = rows.get(key);
    if (!row) {
      row = {
        channel,
        channelLabel: labelOf(channel, "Unknown"),
        campaign,
        enquiries: 0,
        meetings: 0,
        wins: 0,
        conversionRate: null,
        feesWonMinor: 0,
        attributedMinor: { first_touch: 0, last_touch: 0, linear: 0 },
      };
      rows.set(key, row);
    }
    return row;
  };

  for (const count of counts) {
    const row = rowFor(count.channel, count.campaign);
    Object.assign(row, { enquiries: count.enquiries, meetings: count.meetings, wins: count.wins, feesWonMinor: count.feesWonMinor });
    row.conversionRate = ratio(count.wins, count.enquiries);
  }
  for (const credit of credits) rowFor(credit.channel, credit.campaign).attributedMinor[credit.model] += credit.minor;

  const sorted = [...rows.values()].sort((a, b) => a.channel.localeCompare(b.channel) || (a.campaign ?? "").localeCompare(b.campaign ?? ""));
  const totals = {
    enquiries: sum(counts.map((count) => count.enquiries)),
    meetings: sum(counts.map((count) => count.meetings)),
    wins: sum(counts.map((count) => count.wins)),
    feesWonMinor: sum(counts.map((count) => count.feesWonMinor)),
    winsWithoutValue: sum(counts.map((count) => count.winsWithoutValue)),
  };

  // One bar group per channel (campaigns summed), one series per model.
  const channels = [...new Set(sorted.map((row) => row.channel))];
  const chart = {
    labels: channels.map((channel) => labelOf(channel, "Unknown")),
    keys: channels,
    series: ATTRIBUTION_MODELS.map((model) => ({
      key: model,
      label: MODEL_LABELS[model],
      values: channels.map((channel) => sum(sorted.filter((row) => row.channel === channel).map((row) => row.attributedMinor[model]))),
    })),
  };

  return { report: "channels-to-revenue", ...describeRequest(request), currency, totals, rows: sorted, chart };
}

/** Adds up the groups of each first-touch channel and campaign. */
function byChannelAndCampaign(groups: readonly EnquiryGroup[]) {
  const totals = new Map<string, Pick<EnquiryGroup, "channel" | "campaign" | "enquiries" | "meetings" | "wins" | "feesWonMinor" | "winsWithoutValue">>();
  for (const group of groups) {
    const key = JSON.stringify([group.channel, group.campaign]);
    const entry = totals.get(key) ?? { channel: group.channel, campaign: group.campaign, enquiries: 0, meetings: 0, wins: 0, feesWonMinor: 0, winsWithoutValue: 0 };
    entry.enquiries += group.enquiries;
    entry.meetings += group.meetings;
    entry.wins += group.wins;
    entry.feesWonMinor += group.feesWonMinor;
    entry.winsWithoutValue += group.winsWithoutValue;
    totals.set(key, entry);
  }
  return [...totals.values()];
}

export function channelsReportCsv(report: Awaited<ReturnType<typeof buildChannelsReport>>): CsvTable {
  const header = [
    "Channel",
    "Campaign",
    "Enquiries",
    "Meetings",
    "Wins",
    "Conversion rate",
    `Fees won (${report.currency})`,
    `First touch (${report.currency})`,
    `Last touch (${report.currency})`,
    `Linear (${report.currency})`,
  ];
  const rows = report.rows.map((row) => [
    row.channelLabel,
    row.campaign ?? "",
    row.enquiries,
    row.meetings,
    row.wins,
    row.conversionRate,
    formatMinorUnits(row.feesWonMinor),
    formatMinorUnits(row.attributedMinor.first_touch),
    formatMinorUnits(row.attributedMinor.last_touch),
    formatMinorUnits(row.attributedMinor.linear),
  ]);
  return { header, rows };
}

export function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
