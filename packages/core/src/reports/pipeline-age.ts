/** Age bands of an open opportunity, counted in whole days since its enquiry. `upToDays` is exclusive. */
export const PIPELINE_AGE_BUCKETS = [
  { key: "under_7d", label: "Under 1 week", upToDays: 7 },
  { key: "7d_to_30d", label: "1 week to 30 days", upToDays: 30 },
  { key: "30d_to_90d", label: "30 to 90 days", upToDays: 90 },
  { key: "over_90d", label: "Over 90 days", upToDays: null },
] as const;

export type PipelineAgeBucketKey = (typeof PIPELINE_AGE_BUCKETS)[number]["key"];

const DAY_MS = 86_400_000;

/** Returns the age band of an opportunity created at `createdAt`, as seen at `now`. */
export function pipelineAgeBucketOf(createdAt: Date, now: Date): PipelineAgeBucketKey {
  const days = Math.max(0, now.getTime() - createdAt.getTime()) / DAY_MS;
  for (const bucket of PIPELINE_AGE_BUCKETS) {
    if (bucket.upToDays !== null && days < bucket.upToDays) return bucket.key;
  }
  return "over_90d";
}
