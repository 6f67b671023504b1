import { decodeCursor } from "@plumbline/db";
import { z } from "zod";
import { ApiError } from "../errors";

/** Query parameters shared by every list route. */
export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z
    .string()
    .max(200)
    .refine((value) => decodeCursor(value) !== null, "is not a cursor returned by this API")
    .optional(),
});

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
