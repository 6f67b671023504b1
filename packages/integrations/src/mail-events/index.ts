export { derToRawEcdsaSignature } from "./der";
export { shouldApply } from "./order";
export {
  matchesSendGridMessage,
  parseMailgunEvent,
  parsePostmarkEvent,
  parseResendEvent,
  parseSendGridEvents,
  sendGridMessageId,
  type SendGridEventBatch,
} from "./parse";
export {
  checkBasicAuth,
  checkSharedSecret,
  createMailgunVerifier,
  createResendVerifier,
  createSendGridVerifier,
  MAILGUN_TOLERANCE_SECONDS,
  RESEND_TOLERANCE_SECONDS,
  SENDGRID_SIGNATURE_HEADER,
  SENDGRID_TIMESTAMP_HEADER,
  type MailgunVerifier,
  type MailgunVerifierOptions,
  type ResendVerifier,
  type ResendVerifierOptions,
  type SendGridVerifier,
  type SendGridVerifierOptions,
} from "./signatures";
export type { RawBody } from "./bytes";
export * from "./types";
