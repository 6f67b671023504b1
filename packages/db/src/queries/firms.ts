import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../client";
import { apiKeys, firms } from "../schema";

export type Firm = typeof firms.$inferSelect;

export async function findFirm(db: Database, firmId: string): Promise<Firm | null> {
  return (await db.select().from(firms).where(eq(firms.id, firmId)).get()) ?? null;
}

/**
 * Finds the firm an API key belongs to by the key's hash. This is the one lookup not scoped by firm: it is how a
 * request learns its firm.
 */
export async function findActiveApiKeyByHash(db: Database, keyHash: string) {
  return (
    (await db
      .select({ id: apiKeys.id, firmId: apiKeys.firmId, prefix: apiKeys.prefix, lastUsedAt: apiKeys.lastUsedAt })
      .from(apiKeys)
      .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)))
      .get()) ?? null
  );
}

export async function touchApiKey(db: Database, firmId: string, apiKeyId: string, at: Date): Promise<void> {
  await db.update(apiKeys).set({ lastUsedAt: at }).where(and(eq(apiKeys.firmId, firmId), eq(apiKeys.id, apiKeyId)));
}
