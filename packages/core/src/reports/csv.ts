/**
 * Writes rows as CSV (RFC 4180: comma-separated, CRLF line ends, fields with a comma, quote or line break quoted).
 * A text cell that a spreadsheet would read as a formula (starting with =, +, -, @, tab or carriage return) gets
 * a leading apostrophe, so opening the export never runs what a prospect typed. Numbers, and text that is only a
 * decimal number such as "-12.50", are written as they are, so amounts stay numeric.
 */
export function toCsv(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  const lines = [header, ...rows].map((row) => row.map(csvCell).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

function csvCell(value: string | number | null): string {
  if (value === null) return "";
  let text = typeof value === "number" ? String(value) : value;
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Formats minor units as major units with two decimals and no symbol or grouping, such as 123456 as "1234.56". */
export function formatMinorUnits(minor: number): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`Invalid amount ${String(minor)}: expected whole minor units`);
  const sign = minor < 0 ? "-" : "";
  const absolute = Math.abs(minor);
  return `${sign}${Math.floor(absolute / 100)}.${String(absolute % 100).padStart(2, "0")}`;
}
