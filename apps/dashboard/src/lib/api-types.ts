// Shapes of the API's JSON responses that the dashboard reads, as documented in docs/api.md.

export interface Page<T> {
  data: T[];
  nextCursor?: string | null;
}

export interface Contact {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  phoneE164: string | null;
  company: string | null;
  createdAt: string;
}

/** One visit as the snippet recorded it: UTM values, click ids, referrer, landing page and time. */
export type Touch = Record<string, string | undefined>;

export interface Opportunity {
  id: string;
  reference: string;
  contactId: string;
  stage: string;
  serviceLine: string | null;
  ownerUserId: string | null;
  value: { amountMinor: number; currency: string } | null;
  origin: string;
  channel: string;
  lastTouchChannel: string;
  source: { utmSource: string | null; utmMedium: string | null; utmCampaign: string | null; referrer: string | null; landingPage: string | null };
  attribution: { firstTouch?: Touch; lastTouch?: Touch; firstTouchReason?: string; lastTouchReason?: string } | null;
  createdAt: string;
  updatedAt: string;
  firstResponseAt: string | null;
  lastActivityAt: string | null;
  stalledAt: string | null;
  stalledReason: string | null;
  closedAt: string | null;
  closeReason: string | null;
}

/** A row of `GET /v1/opportunities`, which carries the opportunity's contact. */
export interface ListedOpportunity extends Opportunity {
  contact: Contact;
}

export interface Activity {
  id: string;
  type: string;
  cause: string;
  origin: string;
  actorUserId: string | null;
  occurredAt: string;
  data: Record<string, unknown>;
}

export interface OpportunityDetail extends Opportunity {
  contact: Contact;
  timeline: Activity[];
  timelineTruncated: boolean;
}

export interface Task {
  id: string;
  opportunityId: string | null;
  assigneeUserId: string | null;
  kind: string;
  title: string;
  status: string;
  dueAt: string;
  reminderCount: number;
  completedAt: string | null;
}

export interface Member {
  userId: string;
  name: string;
  email: string;
  role: string;
  awayUntil: string | null;
  away: boolean;
}

export interface Integration {
  id: string;
  kind: "mail" | "chat" | "booking";
  provider: string;
  name: string;
  settings: Record<string, string>;
  isDefault: boolean;
  status: string;
  statusReason: string | null;
  createdAt: string;
}

export interface OutboundMessage {
  id: string;
  opportunityId: string | null;
  kind: string;
  channel: string;
  status: string;
  statusReason: string | null;
  provider: string | null;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

export interface EmailMessage {
  id: string;
  opportunityId: string | null;
  direction: "inbound" | "outbound";
  fromEmail: string | null;
  fromName: string | null;
  toEmails: string[];
  subject: string | null;
  replyText: string | null;
  receivedAt: string;
}

export interface WorkingRange {
  day: number;
  start: string;
  end: string;
}

export interface FollowUpSettings {
  timeZone: string;
  workingHours: WorkingRange[];
  closedDates: string[];
  responseTargetMinutes: number;
  reminderIntervalMinutes: number;
  remindersBeforeEscalation: number;
  fallbackOwnerUserId: string | null;
  escalationUserId: string | null;
  senderEmail: string | null;
  senderName: string | null;
  defaultPhoneRegion: string;
  stallDays: Record<string, number>;
  closeAsLostDays: number;
}

/** `GET /v1/opportunities/summary`, from the sign-in work; absent on an API without it. */
export interface PipelineSummary {
  stages: Array<{ stage: string; count: number; stalled: number; valueMinor: number }>;
  currency: string;
  /** Every service line the firm's opportunities use, whatever the filters. */
  serviceLines: string[];
}

/** `GET /v1/opportunities/board`: the summary with each stage's newest opportunities. */
export interface PipelineBoard extends PipelineSummary {
  stages: Array<PipelineSummary["stages"][number] & { opportunities: ListedOpportunity[]; nextCursor: string | null }>;
}
