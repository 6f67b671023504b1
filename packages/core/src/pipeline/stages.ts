/** Default pipeline for professional services, in order. */
export const DEFAULT_STAGES = [
  { key: "new", label: "New" },
  { key: "acknowledged", label: "Acknowledged" },
  { key: "in_conversation", label: "In conversation" },
  { key: "meeting_booked", label: "Meeting booked" },
  { key: "meeting_held", label: "Meeting held" },
  { key: "proposal_sent", label: "Proposal sent" },
  { key: "won", label: "Won" },
  { key: "lost", label: "Lost" },
] as const;

export type StageKey = (typeof DEFAULT_STAGES)[number]["key"];
