export * from "./http/errors";
export * from "./turnstile/verify";
