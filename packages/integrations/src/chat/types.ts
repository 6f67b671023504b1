/** A partner alert about one new enquiry, before any chat tool's formatting. */
export interface EnquiryAlert {
  kind: "enquiry";
  /** Such as "New enquiry: Family law". */
  title: string;
  /** Label and value pairs shown in order, such as Name, Email, Phone, Service, Channel. Values are user text. */
  fields: Array<{ label: string; value: string }>;
  /** The prospect's message, user text. */
  message?: string;
  /** Link to the opportunity in the dashboard. */
  link: { url: string; label: string };
}

/** Several alerts folded into one message, when a burst would exceed the chat tool's rate. */
export interface DigestAlert {
  kind: "digest";
  title: string;
  items: Array<{ title: string; summary: string; link: { url: string; label: string } }>;
}

export type ChatAlert = EnquiryAlert | DigestAlert;

export interface ChatAdapter {
  readonly provider: "slack" | "teams";
  send(alert: ChatAlert): Promise<{ provider: string }>;
}
