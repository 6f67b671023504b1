import { z } from "zod";

/** Work put on the follow-up queue. Messages carry ids only; the consumer loads fresh rows. */
export type FollowUpMessage =
  | { kind: "outbound"; outboundMessageId: string; firmId: string }
  | { kind: "webhook"; webhookEventId: string; firmId: string };

const binding = (name: string, check: (value: unknown) => boolean) =>
  z.custom<unknown>((value) => value != null && check(value), { message: `${name} binding is missing` });

const hasMethods =
  (...methods: string[]) =>
  (value: unknown) =>
    typeof value === "object" && value !== null && methods.every((m) => typeof (value as Record<string, unknown>)[m] === "function");

/**
 * Bindings, variables and secrets the Worker needs. Parsed at the start of `fetch`, `queue` and `scheduled`, so a
 * deploy with a missing one fails with one clear message instead of a TypeError deep in a handler.
 */
const envSchema = z.object({
  DB: binding("DB (D1)", hasMethods("prepare", "batch")),
  FOLLOW_UP_QUEUE: binding("FOLLOW_UP_QUEUE (Queue producer)", hasMethods("send", "sendBatch")),
  APP_ENV: z.enum(["development", "test", "production"]),
  /** 32 random bytes, base64: the AES-GCM key that encrypts integration secrets at rest. */
  ENCRYPTION_KEY: z
    .string({ message: "ENCRYPTION_KEY secret is missing" })
    .refine((value) => base64ByteLength(value) === 32, "ENCRYPTION_KEY must be 32 bytes encoded as base64"),
  /** Key for hashing client IP addresses, so that rate limits work without storing addresses. */
  CLIENT_HASH_KEY: z.string({ message: "CLIENT_HASH_KEY secret is missing" }).min(16, "CLIENT_HASH_KEY must be at least 16 characters"),
  /** HMAC key for session tokens (JWT, HS256); RFC 7518 requires a key at least as long as the 32-byte hash. */
  SESSION_SIGNING_KEY: z
    .string({ message: "SESSION_SIGNING_KEY secret is missing" })
    .refine((value) => new TextEncoder().encode(value).length >= 32, "SESSION_SIGNING_KEY must be at least 32 bytes; generate one with `openssl rand -base64 32`"),
  /** Provider for Plumbline's own emails (sign-in links, invitations); unset sends them to the local outbox outside production. */
  PLATFORM_MAIL_PROVIDER: z.enum(["postmark", "resend", "sendgrid", "mailgun"], { message: "PLATFORM_MAIL_PROVIDER must be postmark, resend, sendgrid or mailgun" }).optional(),
  /** API key (Postmark server token) of the platform mail provider. */
  PLATFORM_MAIL_API_KEY: z.string().min(8, "PLATFORM_MAIL_API_KEY must be at least 8 characters").optional(),
  /** Sender of Plumbline's own emails, such as sign-in@plumbline.example; must be verified with the provider. */
  PLATFORM_MAIL_FROM: z.email({ message: "PLATFORM_MAIL_FROM must be an email address" }).optional(),
  /** Mailgun sending domain, such as mg.plumbline.example; only for PLATFORM_MAIL_PROVIDER=mailgun. */
  PLATFORM_MAIL_DOMAIN: z.string().optional(),
  TURNSTILE_VERIFY_URL: z.url({ message: "TURNSTILE_VERIFY_URL must be a URL" }),
  DASHBOARD_URL: z.url({ message: "DASHBOARD_URL must be a URL" }),
  /** Domain of the per-opportunity Reply-To capture addresses, routed to this Worker's email handler. */
  INBOUND_EMAIL_DOMAIN: z.string({ message: "INBOUND_EMAIL_DOMAIN is missing" }).regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, "INBOUND_EMAIL_DOMAIN must be a domain name"),
  /** Right-hand side of the Message-IDs Plumbline gives its emails. */
  /** Optional JSON map of provider name to API origin, for pointing adapters at local fakes. */
  PROVIDER_BASE_URLS: z
    .string()
    .refine((value) => {
      try {
        const parsed: unknown = JSON.parse(value);
        return typeof parsed === "object" && parsed !== null && Object.values(parsed).every((url) => typeof url === "string" && URL.canParse(url));
      } catch {
        return false;
      }
    }, "PROVIDER_BASE_URLS must be a JSON object of provider names to URLs")
    .optional(),
  /** Optional comma-separated hosts allowed for chat webhooks beyond the providers' own, for local fakes. */
  CHAT_EXTRA_HOSTS: z.string().optional(),
  MESSAGE_ID_DOMAIN: z.string({ message: "MESSAGE_ID_DOMAIN is missing" }).regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, "MESSAGE_ID_DOMAIN must be a domain name"),
}).superRefine((env, context) => {
  if (env.PLATFORM_MAIL_PROVIDER && !env.PLATFORM_MAIL_API_KEY) {
    context.addIssue({ code: "custom", path: ["PLATFORM_MAIL_API_KEY"], message: "PLATFORM_MAIL_API_KEY is missing: PLATFORM_MAIL_PROVIDER is set" });
  }
  if (env.PLATFORM_MAIL_PROVIDER === "mailgun" && !env.PLATFORM_MAIL_DOMAIN) {
    context.addIssue({ code: "custom", path: ["PLATFORM_MAIL_DOMAIN"], message: "PLATFORM_MAIL_DOMAIN is missing: Mailgun needs the sending domain" });
  }
});

export type AppEnv = {
  DB: D1Database;
  FOLLOW_UP_QUEUE: Queue<FollowUpMessage>;
  APP_ENV: "development" | "test" | "production";
  ENCRYPTION_KEY: string;
  CLIENT_HASH_KEY: string;
  SESSION_SIGNING_KEY: string;
  PLATFORM_MAIL_PROVIDER?: "postmark" | "resend" | "sendgrid" | "mailgun";
  PLATFORM_MAIL_API_KEY?: string;
  PLATFORM_MAIL_FROM?: string;
  PLATFORM_MAIL_DOMAIN?: string;
  TURNSTILE_VERIFY_URL: string;
  DASHBOARD_URL: string;
  INBOUND_EMAIL_DOMAIN: string;
  MESSAGE_ID_DOMAIN: string;
  PROVIDER_BASE_URLS?: string;
  CHAT_EXTRA_HOSTS?: string;
};

function base64ByteLength(value: string): number {
  try {
    return atob(value).length;
  } catch {
    return -1;
  }
}

export class EnvError extends Error {
  override name = "EnvError";
}

const validated = new WeakSet<object>();

/** Checks the Worker's env once per env object and returns it typed; throws EnvError naming every problem. */
export function parseEnv(env: unknown): AppEnv {
  if (typeof env === "object" && env !== null && validated.has(env)) return env as AppEnv;

  const result = envSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) =>
      issue.path.length && !issue.message.includes(String(issue.path[0])) ? `${String(issue.path[0])}: ${issue.message}` : issue.message,
    );
    throw new EnvError(`Worker configuration is invalid: ${problems.join("; ")}. Set it in wrangler.toml or with \`wrangler secret put\`.`);
  }

  validated.add(env as object);
  return env as AppEnv;
}
