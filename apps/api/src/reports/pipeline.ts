import { DEFAULT_STAGES, PIPELINE_AGE_BUCKETS, ratio, type PipelineAgeBucketKey } from "@plumbline/core";
import { countChangeOrigins, countClosed, countOpenPipeline, countStalledByReason, findMemberNames, listStalled, type Database } from "@plumbline/db";
import { sum } from "./channels";
import type { CsvTable } from "./csv";
import { describeRequest, labelOf, type ReportRequest } from "./filters";

/** Stalled opportunities listed by name; the counts by reason cover all of them. */
const STALLED_LISTED = 50;

const STAGE_LABELS = new Map<string, string>(DEFAULT_STAGES.map((stage) => [stage.key, stage.label]));

/**
 * Builds the pipeline-health report. Open and stalled opportunities are as they stand now (the owner, service-line
 * and channel filters apply, the period does not). Closures count those closed within the period. The data-origin
 * share counts changes to the period's enquiries: stage moves from evidence against stage overrides and emails
 * filed by hand.
 */
export async function buildPipelineReport(db: Database, request: ReportRequest, currency: string, now: Date) {
  const { from: _from, to: _to, ...dimensions } = request.filters;
  const [open, stalledReasons, stalled, closed, origins, names] = await Promise.all([
    countOpenPipeline(db, dimensions, now),
    countStalledByReason(db, dimensions),
    listStalled(db, dimensions, STALLED_LISTED),
    countClosed(db, dimensions, request.startsAt, request.endsBefore),
    countChangeOrigins(db, request.filters),
    findMemberNames(db, request.filters.firmId),
  ]);

  const stagesPresent = new Set(open.map((group) => group.stage));
  const stageKeys = [...DEFAULT_STAGES.map((stage) => stage.key as string).filter((key) => stagesPresent.has(key)), ...[...stagesPresent].filter((key) => !STAGE_LABELS.has(key)).sort()];
  const byStage = stageKeys.map((stage) => {
    const groups = open.filter((group) => group.stage === stage);
    const byAge = Object.fromEntries(PIPELINE_AGE_BUCKETS.map((bucket) => [bucket.key, sum(groups.filter((group) => group.ageBucket === bucket.key).map((group) => group.open))])) as Record<
      PipelineAgeBucketKey,
      number
    >;
    return {
      stage,
      label: STAGE_LABELS.get(stage) ?? labelOf(stage, stage),
      open: sum(groups.map((group) => group.open)),
      stalled: sum(groups.map((group) => group.stalled)),
      valueMinor: sum(groups.map((group) => group.valueMinor)),
      byAge,
    };
  });

  return {
    report: "pipeline-health",
    ...describeRequest(request),
    asOf: now.toISOString(),
    currency,
    ageBuckets: PIPELINE_AGE_BUCKETS.map((bucket) => ({ key: bucket.key, label: bucket.label })),
    open: { total: sum(byStage.map((stage) => stage.open)), valueMinor: sum(byStage.map((stage) => stage.valueMinor)), byStage },
    stalled: {
      total: sum(stalledReasons.map((row) => row.stalled)),
      byReason: stalledReasons.map((row) => ({ reason: row.reason ?? "no reason recorded", stalled: row.stalled })),
      longest: stalled.map((row) => ({
        id: row.id,
        reference: row.reference,
        stage: row.stage,
        owner: row.ownerUserId === null ? "Unassigned" : (names.get(row.ownerUserId) ?? row.ownerUserId),
        stalledAt: row.stalledAt.toISOString(),
        reason: row.stalledReason,
      })),
    },
    closedInPeriod: closed,
    dataOrigin: { evidenceChanges: origins.evidence, manualChanges: origins.manual, evidenceShare: ratio(origins.evidence, origins.evidence + origins.manual) },
    chart: {
      labels: byStage.map((stage) => stage.label),
      keys: byStage.map((stage) => stage.stage),
      series: PIPELINE_AGE_BUCKETS.map((bucket) => ({ key: bucket.key, label: bucket.label, values: byStage.map((stage) => stage.byAge[bucket.key]) })),
    },
  };
}

export function pipelineReportCsv(report: Awaited<ReturnType<typeof buildPipelineReport>>): CsvTable {
  const header = ["Section", "Item", "Count", ...PIPELINE_AGE_BUCKETS.map((bucket) => bucket.label), "Stalled"];
  const rows: CsvTable["rows"] = report.open.byStage.map((stage) => [
    "Open by stage",
    stage.label,
    stage.open,
    ...PIPELINE_AGE_BUCKETS.map((bucket) => stage.byAge[bucket.key]),
    stage.stalled,
  ]);
  const blanks = PIPELINE_AGE_BUCKETS.map(() => null);
  rows.push(["Open", "Total", report.open.total, ...blanks, report.stalled.total]);
  for (const reason of report.stalled.byReason) rows.push(["Stalled by reason", reason.reason, reason.stalled, ...blanks, null]);
  rows.push(["Closed in period", "Won", report.closedInPeriod.won, ...blanks, null]);
  rows.push(["Closed in period", "Lost", report.closedInPeriod.lost, ...blanks, null]);
  rows.push(["Closed in period", "Closed for silence", report.closedInPeriod.closedForSilence, ...blanks, null]);
  rows.push(["Data origin", "Changes from evidence", report.dataOrigin.evidenceChanges, ...blanks, null]);
  rows.push(["Data origin", "Changes by hand", report.dataOrigin.manualChanges, ...blanks, null]);
  rows.push(["Data origin", "Share from evidence", report.dataOrigin.evidenceShare, ...blanks, null]);
  return { header, rows };
}
