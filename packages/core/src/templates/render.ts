const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!);
}

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;

/**
 * Fills `{{name}}` placeholders. In HTML every value is escaped, since values come from the prospect's form;
 * a placeholder with no value becomes empty text. Returns the names it did not know, so a firm's typo in a
 * template can be reported.
 */
export function renderTemplate(
  template: string,
  values: Readonly<Record<string, string>>,
  format: "text" | "html",
): { output: string; unknown: string[] } {
  const unknown: string[] = [];
  const output = template.replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name];
    if (value === undefined) {
      unknown.push(name);
      return "";
    }
    return format === "html" ? escapeHtml(value) : value;
  });
  return { output, unknown };
}

/** Makes a value safe for a one-line email header such as Subject: line breaks and other controls become spaces. */
export function toHeaderText(value: string): string {
  return value.replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]+/g, " ").trim();
}

/** The built-in acknowledgement, in en-GB, used when a firm has not written its own. */
export const DEFAULT_ACKNOWLEDGEMENT = {
  subject: "We have received your enquiry ({{reference}})",
  text: `{{greeting}},

Thank you for contacting {{firm_name}} about {{service_line}}. {{partner_name}} will be in touch with you soon.

Our office hours are {{firm_hours}}. Your reference is {{reference}}. If you reply to this email, your message will reach us directly.

Kind regards,
{{firm_name}}
`,
  html: `<p>{{greeting}},</p>
<p>Thank you for contacting {{firm_name}} about {{service_line}}. {{partner_name}} will be in touch with you soon.</p>
<p>Our office hours are {{firm_hours}}. Your reference is <strong>{{reference}}</strong>. If you reply to this email, your message will reach us directly.</p>
<p>Kind regards,<br>{{firm_name}}</p>
`,
};

const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/** Formats "HH:MM" the way UK firms write times: 09:00 as 9am, 17:30 as 5.30pm, 12:00 as noon. */
function formatClock(time: string): string {
  const [hours, minutes] = time.split(":").map(Number) as [number, number];
  if (hours === 12 && minutes === 0) return "noon";
  const suffix = hours < 12 ? "am" : "pm";
  const hour12 = hours % 12 === 0 ? 12 : hours % 12;
  return minutes === 0 ? `${hour12}${suffix}` : `${hour12}.${String(minutes).padStart(2, "0")}${suffix}`;
}

/**
 * Describes working hours in en-GB, grouping consecutive days with the same hours:
 * "Monday to Thursday 9am to 5.30pm, Friday 9am to 5pm".
 */
export function describeWorkingHours(days: ReadonlyArray<{ day: number; start: string; end: string }>): string {
  const sorted = [...days].sort((a, b) => a.day - b.day);
  const groups: Array<{ first: number; last: number; start: string; end: string }> = [];
  for (const day of sorted) {
    const previous = groups[groups.length - 1];
    if (previous && previous.last === day.day - 1 && previous.start === day.start && previous.end === day.end) previous.last = day.day;
    else groups.push({ first: day.day, last: day.day, start: day.start, end: day.end });
  }
  if (groups.length === 0) return "by appointment";
  return groups
    .map((group) => {
      const dayText =
        group.first === group.last ? WEEKDAYS[group.first - 1] : `${WEEKDAYS[group.first - 1]} to ${WEEKDAYS[group.last - 1]}`;
      return `${dayText} ${formatClock(group.start)} to ${formatClock(group.end)}`;
    })
    .join(", ");
}
