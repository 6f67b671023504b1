import type { Mailbox } from "../mail/types";
import { base64DecodedSize } from "../mail-events/bytes";
import type { HeaderField } from "./headers";
import { assembleInboundMessage } from "./message";
import type { AttachmentInfo, InboundMessage } from "./types";

/**
 * The parts of postal-mime's parse result that Plumbline reads, described here so that this module needs no
 * dependency: an Email Worker calls `await PostalMime.parse(message.raw)` and passes the result on.
 */
export interface PostalMimeAddress {
  name?: string;
  address?: string;
  /** Members, when the entry is a group such as `Team: a@x, b@y;`. */
  group?: PostalMimeAddress[];
}

export interface PostalMimeEmail {
  /** Every header; `key` in lower case, `value` as written. */
  headers: Array<{ key: string; value: string }>;
  from?: PostalMimeAddress;
  to?: PostalMimeAddress[];
  cc?: PostalMimeAddress[];
  /** Decoded from any encoded-words. */
  subject?: string;
  date?: string;
  text?: string;
  html?: string;
  attachments?: Array<{
    filename?: string | null;
    mimeType?: string;
    /** An ArrayBuffer by default; a base64 string with `attachmentEncoding: "base64"`. */
    content?: ArrayBuffer | ArrayBufferView | string;
  }>;
}

/**
 * Normalises a message that a Cloudflare Email Worker parsed with postal-mime. Threading ids come from the raw
 * headers, as for the other sources, so the same junk-value rules apply.
 */
export function normalisePostalMimeEmail(email: PostalMimeEmail): InboundMessage {
  const headers: HeaderField[] = email.headers.map(({ key, value }) => [key, value]);

  return assembleInboundMessage({
    source: "cloudflare",
    headers,
    from: email.from ? (toMailboxes([email.from])[0] ?? null) : undefined,
    to: toMailboxes(email.to ?? []),
    cc: toMailboxes(email.cc ?? []),
    subject: email.subject ?? null,
    date: email.date ?? null,
    text: email.text ?? null,
    html: email.html ?? null,
    attachments: (email.attachments ?? []).map(
      (attachment): AttachmentInfo => ({
        name: attachment.filename || "attachment",
        type: attachment.mimeType || "application/octet-stream",
        size: contentSize(attachment.content),
      }),
    ),
  });
}

function toMailboxes(addresses: PostalMimeAddress[]): Mailbox[] {
  return addresses.flatMap((address): Mailbox[] => {
    if (address.group) return toMailboxes(address.group);
    const email = address.address?.trim();
    if (!email) return [];
    const name = address.name?.trim();
    return [name ? { email, name } : { email }];
  });
}

function contentSize(content: ArrayBuffer | ArrayBufferView | string | undefined): number {
  if (content === undefined) return 0;
  return typeof content === "string" ? base64DecodedSize(content) : content.byteLength;
}
