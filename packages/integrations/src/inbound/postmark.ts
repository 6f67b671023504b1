import { z } from "zod";
import type { Mailbox } from "../mail/types";
import { base64DecodedSize } from "../mail-events/bytes";
import { parseAddressList, type HeaderField } from "./headers";
import { assembleInboundMessage } from "./message";
import { InvalidInboundError, type AttachmentInfo, type InboundMessage } from "./types";

const text = z.string().nullish();

const postmarkAddress = z.object({ Email: text, Name: text });

// Every field is optional, because Postmark may leave out empty ones and one missing field must not lose the email.
const postmarkInbound = z.object({
  From: text,
  FromFull: postmarkAddress.nullish(),
  To: text,
  ToFull: z.array(postmarkAddress).nullish(),
  Cc: text,
  CcFull: z.array(postmarkAddress).nullish(),
  Subject: text,
  Date: text,
  TextBody: text,
  HtmlBody: text,
  Headers: z.array(z.object({ Name: z.string(), Value: z.string() })).nullish(),
  Attachments: z
    .array(z.object({ Name: text, ContentType: text, ContentLength: z.number().nullish(), Content: text }))
    .nullish(),
});

type PostmarkAddress = z.infer<typeof postmarkAddress>;

/**
 * Normalises Postmark's inbound webhook JSON (postmarkapp.com/developer/webhooks/inbound-webhook). The sender's own
 * Message-ID, In-Reply-To and References come from `Headers`. Postmark's `MessageID` is Postmark's own id, so it is
 * not used for threading. `Date` is in whatever format the sending server wrote, so it is parsed leniently. Throws
 * InvalidInboundError when the body is not an object of that shape.
 */
export function normalisePostmarkInbound(json: unknown): InboundMessage {
  const parsed = postmarkInbound.safeParse(json);
  if (!parsed.success) throw new InvalidInboundError("postmark", z.prettifyError(parsed.error).replace(/\s+/g, " "), parsed.error);
  const body = parsed.data;

  const headers: HeaderField[] = (body.Headers ?? []).map(({ Name, Value }) => [Name, Value]);

  return assembleInboundMessage({
    source: "postmark",
    headers,
    from: toMailbox(body.FromFull) ?? parseAddressList(body.From ?? "")[0] ?? null,
    to: toMailboxes(body.ToFull, body.To),
    cc: toMailboxes(body.CcFull, body.Cc),
    subject: body.Subject ?? null,
    date: body.Date ?? null,
    text: body.TextBody ?? null,
    html: body.HtmlBody ?? null,
    attachments: (body.Attachments ?? []).map(
      (attachment): AttachmentInfo => ({
        name: attachment.Name || "attachment",
        type: attachment.ContentType || "application/octet-stream",
        size: attachment.ContentLength ?? base64DecodedSize(attachment.Content ?? ""),
      }),
    ),
  });
}

function toMailbox(address: PostmarkAddress | null | undefined): Mailbox | null {
  const email = address?.Email?.trim();
  if (!email) return null;
  const name = address?.Name?.trim();
  return name ? { email, name } : { email };
}

function toMailboxes(full: PostmarkAddress[] | null | undefined, plain: string | null | undefined): Mailbox[] {
  const mailboxes = (full ?? []).map(toMailbox).filter((mailbox): mailbox is Mailbox => mailbox !== null);
  return mailboxes.length > 0 ? mailboxes : parseAddressList(plain ?? "");
}
