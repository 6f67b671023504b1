import { decodeCursor } from "@plumbline/db";
import { z } from "zod";
import { ApiError } from "../errors";

const MAX_PAGE_SIZE = 100;

// parseQuery puts "Query parameter <name>" in front, so each message reads as the rest of that sentence.
const LIMIT_MESSAGE = `must be a whole number from 1 to ${MAX_PAGE_SIZE}`;
const CURSOR_MESSAGE = "is not a cursor returned by this API";

/** Query parameters shared by every list route. */
export const listQuerySchema = z.object({
  limit: z.coerce
    .number({ error: LIMIT_MESSAGE })
    .int({ error: LIMIT_MESSAGE })
    .min(1, { error: LIMIT_MESSAGE })
    .max(MAX_PAGE_SIZE, { error: LIMIT_MESSAGE })
    .default(25),
  cursor: z
    .string()
    .max(200, { error: CURSOR_MESSAGE })
    .refine((value) => decodeCursor(value) !== null, CURSOR_MESSAGE)
    .optional(),
});

/**
 * The `owner` filter of the opportunity routes: a user id, or `none` for unassigned opportunities, which becomes
 * null. User ids start with `user_`, so `none` cannot be one.
 */
export const ownerFilter = z
  .string()
  .min(1, { error: "must be a user id or none" })
  .max(64, { error: "must be at most 64 characters" })
  .transform((value) => (value === "none" ? null : value))
  .optional();

/** The `stalled` filter of the opportunity routes: `true` or `false`, as a boolean. */
export const stalledFilter = z
  .enum(["true", "false"], { error: "must be true or false" })
  .transform((value) => value === "true")
  .optional();

/** Parses query parameters with a zod schema, answering 400 with the first bad parameter named. */
export function parseQuery<T extends z.ZodType>(schema: T, query: Record<string, string>): z.infer<T> {
  const result = schema.safeParse(query);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.join(".");
    throw new ApiError("invalid_request", `Query parameter ${field} ${issue.message}.`, { field });
  }
  return result.data;
}
