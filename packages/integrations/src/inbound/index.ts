export { decodeBytes, type DecodedText } from "./charset";
export { classifyInbound, type InboundClassification, type InboundKind } from "./classify";
export { normalisePostalMimeEmail, type PostalMimeAddress, type PostalMimeEmail } from "./cloudflare";
export {
  decodeEncodedWords,
  parseAddressList,
  parseHeaderBlock,
  parseMailDate,
  parseMailbox,
  readMessageId,
  readMessageIds,
  type HeaderField,
} from "./headers";
export { normaliseMailgunInbound } from "./mailgun";
export { MultipartError, parseMultipartFormData, type FormPart } from "./multipart";
export { normalisePostmarkInbound } from "./postmark";
export { detectForward, splitReply, type SplitReply } from "./reply";
export { parseSendGridInbound } from "./sendgrid";
export { TRUNCATION_MARKER, truncateForTimeline } from "./truncate";
export * from "./types";
