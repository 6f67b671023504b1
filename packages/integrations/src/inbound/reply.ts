import type { Mailbox } from "../mail/types";
import { parseMailbox } from "./headers";
import type { InboundMessage } from "./types";

/**
 * Separates what a person wrote from the history their mail client appended, by the markers clients put in plain
 * text. The patterns describe what Gmail, Outlook, Apple Mail and Thunderbird write, in English, French, German,
 * Spanish, Dutch, Italian and Portuguese.
 */

export interface SplitReply {
  /** The new text, without the signature. */
  reply: string;
  /** The quoted or forwarded history, from its first marker line on. */
  quoted: string;
  /** The sender's signature, without its `-- ` delimiter line; empty when none was found. */
  signature: string;
}

/**
 * Attribution lines that introduce a quote: "On <date>, <name> wrote:" and its translations. Gmail wraps a long one
 * over two or three lines, so callers test lines joined with spaces.
 */
const ATTRIBUTIONS = [
  /^On\s.{4,}\swrote\s?:$/i,
  /^Le\s.{4,}\sa\sécrit\s?:$/i,
  /^Am\s.{4,}\sschrieb\s.*:$/i,
  /^El\s.{4,}\sescribió\s?:$/i,
  /^Op\s.{4,}\sschreef\s.*:$/i,
  /^Il\s.{4,}\sha\sscritto\s?:$/i,
  /^Em\s.{4,}\sescreveu\s?:$/i,
  /^(Den|På)\s.{4,}\sskrev\s.*:$/i,
  // Gmail in Japanese: "2025年1月15日(水) 17:01 Hartley & Cole <...>:".
  /^\d{4}年\d{1,2}月\d{1,2}日.*[:：]$/,
];

/** Outlook's separator before the original message, in the languages of its interface. */
const ORIGINAL_MESSAGE =
  /^-{3,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale|oorspronkelijk bericht|mensagem original|originalmeddelande)\s*-{3,}$/i;

/** Forward markers: Gmail's and Thunderbird's dashed lines, Apple Mail's sentence. */
const FORWARD_MARKER =
  /^(-{3,}\s*(forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado|messaggio inoltrato|doorgestuurd bericht|mensagem encaminhada)\s*-{3,}|begin forwarded message:|anfang der weitergeleiteten nachricht:|début du message (réexpédié|transféré)\s?:?|inicio del mensaje reenviado:)$/i;

/** Outlook's rule above the header block of the message it quotes. */
const OUTLOOK_RULE = /^_{30,}$/;

// Header labels of the block that Outlook (and Gmail's and Apple Mail's forwards) write above a quoted message.
// French puts a space, often a no-break space, before the colon. Gmail's text part may bold a label as `*From:*`.
const FROM_LABEL = /^\*?(from|von|de|van|da|från|fra)[\s\u00a0]?:\*?(\s|$)/i;
const OTHER_LABEL =
  /^\*?(sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|à|objet|enviado|enviado el|fecha|para|asunto|verzonden|aan|onderwerp|inviato|data|a|oggetto|skickat|till|ämne)[\s\u00a0]?:\*?(\s|$)/i;

/** Phone clients' default sign-offs, a signature when nothing but blank lines follows them. */
const MOBILE_SIGNATURE = /^(sent from my |get outlook for |von meinem .+ gesendet|envoyé de mon )/i;

/**
 * Splits a plain-text email into the new reply, its signature and the quoted history. History starts at the first
 * attribution line ("On ... wrote:", "Le ... a écrit :", "Am ... schrieb ...:"), Outlook separator
 * ("-----Original Message-----", a rule of underscores, or a "From:/Sent:/To:/Subject:" block in any of the
 * supported languages), forward marker, or trailing block of `>` lines. The signature starts at a `-- ` line (or a
 * bare `--`, since many clients strip the trailing space), or at a phone client's sign-off on the last line.
 *
 * A bottom-posted reply, where the history comes first, keeps every unquoted line after the attribution as the
 * reply. An interleaved reply keeps its inline quotes in `reply`, and only the final `>` block goes to `quoted`.
 */
export function splitReply(text: string): SplitReply {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  const start = findHistoryStart(lines);

  let replyLines = lines.slice(0, start);
  let quotedLines = lines.slice(start);
  if (isBlank(replyLines) && start < lines.length) ({ replyLines, quotedLines } = splitBottomPosted(quotedLines));

  const signatureStart = findSignatureStart(replyLines);
  const delimiter = signatureStart < replyLines.length && /^--\s?$/.test(replyLines[signatureStart]!) ? 1 : 0;

  return {
    reply: joinTrimmed(replyLines.slice(0, signatureStart)),
    quoted: joinTrimmed(quotedLines),
    signature: joinTrimmed(replyLines.slice(signatureStart + delimiter)),
  };
}

/** Finds the first line of history. Returns `lines.length` when there is none. */
function findHistoryStart(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith(">")) continue;
    if (isAttribution(lines, i) || ORIGINAL_MESSAGE.test(line) || FORWARD_MARKER.test(line) || OUTLOOK_RULE.test(line) || isHeaderBlock(lines, i)) return i;
  }

  const trailing = trailingQuoteStart(lines);
  if (trailing < lines.length) return trailing;
  // A text that opens with a `>` block and goes on unquoted is a bottom-posted reply.
  const first = lines.findIndex((line) => line.trim() !== "");
  return first >= 0 && lines[first]!.trim().startsWith(">") ? first : lines.length;
}

function isAttribution(lines: string[], index: number): boolean {
  let joined = "";
  for (let span = 0; span < 3 && index + span < lines.length; span++) {
    const line = lines[index + span]!.trim();
    if (line === "" || line.startsWith(">")) return false;
    joined = span === 0 ? line : `${joined} ${line}`;
    if (ATTRIBUTIONS.some((pattern) => pattern.test(joined))) return true;
  }
  return false;
}

/** Detects a `From:` line followed, within the next six lines, by at least two other header labels. */
function isHeaderBlock(lines: string[], index: number): boolean {
  if (!FROM_LABEL.test(lines[index]!.trim())) return false;
  const following = lines.slice(index + 1, index + 7).map((line) => line.trim());
  return following.filter((line) => OTHER_LABEL.test(line)).length >= 2;
}

/** Finds the first line of the `>` block that ends the text, blank lines aside. Returns `lines.length` when there is none. */
function trailingQuoteStart(lines: string[]): number {
  let start = lines.length;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    if (!line.startsWith(">")) break;
    start = i;
  }
  return start;
}

/** Splits history above the reply: the attribution and `>` lines are history, and everything else is the reply. */
function splitBottomPosted(lines: string[]): { replyLines: string[]; quotedLines: string[] } {
  const replyLines: string[] = [];
  const quotedLines: string[] = [];
  let inHistory = true;
  for (const [i, line] of lines.entries()) {
    const trimmed = line.trim();
    if (i === 0 || trimmed.startsWith(">") || (inHistory && trimmed === "")) {
      quotedLines.push(line);
      continue;
    }
    inHistory = false;
    replyLines.push(line);
  }
  return { replyLines, quotedLines };
}

function findSignatureStart(lines: string[]): number {
  const delimiter = lines.findIndex((line) => /^--\s?$/.test(line));
  if (delimiter >= 0) return delimiter;

  let last = lines.length - 1;
  while (last >= 0 && lines[last]!.trim() === "") last--;
  return last >= 0 && MOBILE_SIGNATURE.test(lines[last]!.trim()) ? last : lines.length;
}

function isBlank(lines: string[]): boolean {
  return lines.every((line) => line.trim() === "");
}

function joinTrimmed(lines: string[]): string {
  return lines.join("\n").trim();
}

// ---------------------------------------------------------------------------------------------------------------
// Forwards

/** Subject prefixes of a forward: Fwd/Fw, and Outlook's WG (German), TR (French), RV (Spanish), I (Italian), Doorst (Dutch), ENC (Portuguese). */
const FORWARD_SUBJECT = /^\s*(fwd?|wg|tr|rv|i|doorst|enc)\s*:/i;

// How far below a forward marker the original From: line may sit: Gmail and Apple Mail put it next, Outlook after
// a rule or a blank line.
const FROM_SEARCH_LINES = 6;

/**
 * Finds the original sender of a forwarded email: the `From:` line under Gmail's "---------- Forwarded message
 * ---------", Apple Mail's "Begin forwarded message:", or (when the subject starts with a forward prefix such as
 * "Fwd:" or "WG:") Outlook's separator or header block. Returns null when the email is not a forward or the From:
 * line carries no address, as Outlook writes for senders in the address book. In a forward of a forward, the
 * outermost (most recent) forwarded message is the one read.
 */
export function detectForward(message: Pick<InboundMessage, "subject" | "text">): Mailbox | null {
  const lines = message.text.replace(/\r\n?/g, "\n").split("\n").map(unquote);
  const forwardSubject = FORWARD_SUBJECT.test(message.subject);

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const marker = FORWARD_MARKER.test(line) || (forwardSubject && (ORIGINAL_MESSAGE.test(line) || OUTLOOK_RULE.test(line)));
    if (marker) return readFromLine(lines.slice(i + 1, i + 1 + FROM_SEARCH_LINES));
    if (forwardSubject && isHeaderBlock(lines, i)) return readFromLine([line]);
  }
  return null;
}

/** Drops quote markers, so a forward quoted with `>` reads like any other. */
function unquote(line: string): string {
  return line.replace(/^(>\s?)+/, "").trim();
}

function readFromLine(lines: string[]): Mailbox | null {
  const line = lines.find((candidate) => FROM_LABEL.test(candidate));
  if (!line) return null;

  // Outlook once wrote `Name [mailto:addr]`, and Gmail's text part may bold the name as `*Name*`.
  const value = line
    .replace(FROM_LABEL, "")
    .replace(/\[mailto:([^\]]+)\]/i, "<$1>")
    .replace(/\*/g, "")
    .trim();
  return parseMailbox(value);
}
