import type { InboundMessage } from "./types";

/** Kind of sender of an inbound email: a person, or software that replied on their behalf. */
export type InboundKind = "human" | "auto_reply" | "out_of_office" | "bounce";

export interface InboundClassification {
  kind: InboundKind;
  /** The evidence that decided it, such as `auto-submitted: auto-replied` or `subject: Abwesenheitsnotiz`. */
  signal: string;
}

// Precedence values that mark mail no person typed. `list` is left out, because people write mailing-list posts.
const AUTOMATIC_PRECEDENCE = new Set(["bulk", "junk", "auto_reply"]);

// Local parts of the addresses that mail servers send delivery reports from.
const REPORT_SENDERS = /^(mailer-daemon|postmaster)$/i;

/** Subject starts of delivery failure reports from common servers (Postfix, Exchange, Gmail, Exim), localised. */
const BOUNCE_SUBJECT =
  /^\s*(undeliverable|undelivered mail returned to sender|delivery status notification|mail delivery failed|delivery failure|failure notice|returned mail|unzustellbar|non remis|onbestelbaar|no se puede entregar|non recapitabile)(?![a-z])/i;

/** Subject starts of out-of-office notices. */
const OUT_OF_OFFICE_SUBJECT =
  /^\s*(out of (the )?office|ooo\b|abwesenheitsnotiz|abwesend|nicht im büro|absence du bureau|absent du bureau|message d'absence|fuera de la oficina|fuori sede|fuori ufficio|afwezig|buiten kantoor|不在)/i;

/**
 * Subject starts that autoresponders write, Outlook's automatic replies first in the languages of its interface
 * ("Automatic reply:", "Automatische Antwort:", "Réponse automatique :" and so on), then generic ones.
 */
const AUTO_REPLY_SUBJECT =
  /^\s*(automatic reply|automatische antwort|réponse automatique|respuesta automática|risposta automatica|automatisch antwoord|resposta automática|automatiskt svar|自動応答|自動返信|自动回复|auto[- ]?reply|auto[- ]?response|automatic response)(?![a-z])/i;

/** Phrases that tell an automatic reply's writer is away, looked for in the subject and at the start of the body. */
const AWAY_PHRASES =
  /out of (the )?office|on (annual |parental |maternity |paternity )?leave|on holiday|on vacation|away from (the|my) office|abwesen|nicht im büro|außer haus|im urlaub|absente?\b|en congé|en vacances|hors du bureau|fuera de la oficina|de vacaciones|ausente|fuori (ufficio|sede)|in ferie|assente|afwezig|met vakantie|niet op kantoor|不在|休暇/i;

// Enough of the body for its first sentences, where an away notice states the absence.
const AWAY_PHRASE_WINDOW = 600;

/**
 * Classifies an inbound email as a person's message, an automatic reply, an out-of-office notice or a bounce.
 * Headers decide first. A delivery status report or a MAILER-DAEMON or postmaster sender is a bounce. Auto-Submitted
 * (any value but `no`), X-Autoreply, X-Autorespond, X-Auto-Response-Suppress or Precedence bulk, junk or auto_reply
 * mark automatic mail. An explicit `Auto-Submitted: no` makes the email human whatever its subject. Only when the
 * headers are silent does the subject decide. Automatic mail whose subject or opening lines tell that the writer is
 * away is an out-of-office notice.
 */
export function classifyInbound(message: Pick<InboundMessage, "from" | "subject" | "text" | "autoSubmitted">): InboundClassification {
  const signals = message.autoSubmitted;
  const subject = message.subject.trim();

  if (signals.deliveryStatusReport) return { kind: "bounce", signal: "content-type: multipart/report; report-type=delivery-status" };
  const localPart = message.from?.email.split("@")[0] ?? "";
  if (REPORT_SENDERS.test(localPart)) return { kind: "bounce", signal: `from: ${localPart}` };

  const headerSignal = automaticHeader(message);
  if (headerSignal) {
    if (BOUNCE_SUBJECT.test(subject)) return { kind: "bounce", signal: `${headerSignal}, subject: ${subject}` };
    return { kind: seemsAway(message) ? "out_of_office" : "auto_reply", signal: headerSignal };
  }
  if (signals.autoSubmitted?.toLowerCase() === "no") return { kind: "human", signal: "auto-submitted: no" };

  if (BOUNCE_SUBJECT.test(subject)) return { kind: "bounce", signal: `subject: ${subject}` };
  if (OUT_OF_OFFICE_SUBJECT.test(subject)) return { kind: "out_of_office", signal: `subject: ${subject}` };
  if (AUTO_REPLY_SUBJECT.test(subject)) return { kind: seemsAway(message) ? "out_of_office" : "auto_reply", signal: `subject: ${subject}` };

  return { kind: "human", signal: "no automatic-mail signal" };
}

/** Finds the first header that marks the message as automatic and returns it as `name: value`, or null. */
function automaticHeader(message: Pick<InboundMessage, "autoSubmitted">): string | null {
  const signals = message.autoSubmitted;
  if (signals.autoSubmitted && signals.autoSubmitted.toLowerCase() !== "no") return `auto-submitted: ${signals.autoSubmitted}`;
  if (signals.autoReply) return `x-autoreply: ${signals.autoReply}`;
  if (signals.autoResponseSuppress) return `x-auto-response-suppress: ${signals.autoResponseSuppress}`;
  if (signals.precedence && AUTOMATIC_PRECEDENCE.has(signals.precedence.toLowerCase())) return `precedence: ${signals.precedence}`;
  return null;
}

function seemsAway(message: Pick<InboundMessage, "subject" | "text">): boolean {
  return OUT_OF_OFFICE_SUBJECT.test(message.subject) || AWAY_PHRASES.test(message.subject) || AWAY_PHRASES.test(message.text.slice(0, AWAY_PHRASE_WINDOW));
}
