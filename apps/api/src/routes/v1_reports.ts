import { findFirm } from "@plumbline/db";
import type { Context, Hono } from "hono";
import type { HonoEnv } from "../context";
import { notFound } from "../errors";
import { requireFirm } from "../middleware/firm-access";
import { buildChannelsReport, channelsReportCsv } from "../reports/channels";
import { csvResponse, type CsvTable } from "../reports/csv";
import { readReportRequest, type ReportRequest } from "../reports/filters";
import { buildMatrixReport, matrixReportCsv } from "../reports/matrix";
import { buildPipelineReport, pipelineReportCsv } from "../reports/pipeline";
import { buildSeasonalityReport, seasonalityReportCsv } from "../reports/seasonality";
import { buildSpeedReport, speedReportCsv } from "../reports/speed";

type Firm = NonNullable<Awaited<ReturnType<typeof findFirm>>>;

interface ReportDefinition<T extends { period: { from: string; to: string } }> {
  path: string;
  build: (c: Context<HonoEnv>, request: ReportRequest, firm: Firm, now: Date) => Promise<T>;
  csv: (report: T) => CsvTable;
}

/** A report whose JSON and CSV forms come from one build, with its type checked here and erased for the loop. */
interface ReportRoute {
  path: string;
  run: (c: Context<HonoEnv>, request: ReportRequest, firm: Firm, now: Date) => Promise<{ json: { period: { from: string; to: string } }; csv: () => CsvTable }>;
}

function define<T extends { period: { from: string; to: string } }>(definition: ReportDefinition<T>): ReportRoute {
  return {
    path: definition.path,
    run: async (c, request, firm, now) => {
      const report = await definition.build(c, request, firm, now);
      return { json: report, csv: () => definition.csv(report) };
    },
  };
}

const REPORTS: ReportRoute[] = [
  define({ path: "channels-to-revenue", build: (c, request, firm) => buildChannelsReport(c.get("services").db, request, firm.currency), csv: channelsReportCsv }),
  define({ path: "speed-to-lead", build: (c, request, firm) => buildSpeedReport(c.get("services").db, request, firm), csv: speedReportCsv }),
  define({ path: "pipeline-health", build: (c, request, firm, now) => buildPipelineReport(c.get("services").db, request, firm.currency, now), csv: pipelineReportCsv }),
  define({ path: "service-line-by-channel", build: (c, request) => buildMatrixReport(c.get("services").db, request), csv: matrixReportCsv }),
  define({ path: "seasonality", build: (c, request) => buildSeasonalityReport(c.get("services").db, request), csv: seasonalityReportCsv }),
];

/**
 * `GET /v1/reports/{report}` for each report, as JSON or, with `format=csv` or `Accept: text/csv`, as a CSV
 * download of the same figures. Every query reads the firm of the API key only.
 */
export function registerReportRoutes(app: Hono<HonoEnv>) {
  for (const definition of REPORTS) {
    app.get(`/v1/reports/${definition.path}`, requireFirm("viewer"), async (c) => {
      const firm = await findFirm(c.get("services").db, c.get("firmId"));
      if (!firm) throw notFound("Firm");
      const now = new Date();
      const request = readReportRequest(c.req.query(), c.req.header("accept"), firm, now);
      const report = await definition.run(c, request, firm, now);
      if (request.format === "csv") return csvResponse(report.csv(), definition.path, report.json.period);
      return c.json(report.json);
    });
  }
}
