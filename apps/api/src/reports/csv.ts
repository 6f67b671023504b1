import { toCsv } from "@plumbline/core";

/** A report as one CSV table: a header row and rows of cells. */
export interface CsvTable {
  header: string[];
  rows: (string | number | null)[][];
}

/** Responds with a table as a CSV download named after the report and its period. */
export function csvResponse(table: CsvTable, name: string, period: { from: string; to: string }): Response {
  return new Response(toCsv(table.header, table.rows), {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${name}_${period.from}_${period.to}.csv"`,
    },
  });
}
