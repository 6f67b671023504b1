/** Shared secret of the simulated firm's Postmark inbound integration, sent as the webhook URL's token. */
export const INBOUND_TOKEN = "sim-inbound-token-0123456789";

export interface Mailbox {
  name: string;
  email: string;
}

/** Builds Postmark's inbound webhook JSON for one plain-text email, with only the fields Plumbline reads. */
export function postmarkInbound(mail: { from: Mailbox; to: Mailbox[]; cc: Mailbox[]; subject: string; text: string; date: string; headers: Array<[string, string]> }): string {
  const full = (boxes: Mailbox[]) => boxes.map((box) => ({ Email: box.email, Name: box.name, MailboxHash: "" }));
  const plain = (boxes: Mailbox[]) => boxes.map((box) => box.email).join(", ");
  return JSON.stringify({
    FromName: mail.from.name,
    From: mail.from.email,
    FromFull: { Email: mail.from.email, Name: mail.from.name, MailboxHash: "" },
    To: plain(mail.to),
    ToFull: full(mail.to),
    Cc: plain(mail.cc),
    CcFull: full(mail.cc),
    OriginalRecipient: mail.to[0]?.email ?? "",
    Subject: mail.subject,
    MessageID: crypto.randomUUID(),
    Date: mail.date,
    TextBody: mail.text,
    HtmlBody: "",
    Headers: [...mail.headers, ["Date", mail.date]].map(([Name, Value]) => ({ Name, Value })),
    Attachments: [],
  });
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Formats an instant as an email Date header in UTC, such as "Mon, 5 Jan 2026 10:00:00 +0000". */
export function rfc2822(at: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  const time = `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
  return `${DAYS[at.getUTCDay()]}, ${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]} ${at.getUTCFullYear()} ${time} +0000`;
}
