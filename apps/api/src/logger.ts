/** Fields a log line may carry. Secrets, message bodies and full prospect addresses never go in. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, error: unknown, fields?: LogFields): void;
  with(fields: LogFields): Logger;
}

/**
 * Creates a logger that writes one JSON object per line, which Workers Logs indexes by field. `event` names
 * what happened (`enquiry.accepted`); the bound fields (request id, firm id) go on every line.
 */
export function createLogger(bound: LogFields = {}): Logger {
  const write = (level: "info" | "warn" | "error", event: string, fields: LogFields = {}) => {
    const line = JSON.stringify({ level, event, time: new Date().toISOString(), ...bound, ...fields });
    if (level === "error") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
  };

  return {
    info: (event, fields) => write("info", event, fields),
    warn: (event, fields) => write("warn", event, fields),
    error: (event, error, fields) =>
      write("error", event, {
        ...fields,
        errorName: error instanceof Error ? error.name : typeof error,
        errorMessage: error instanceof Error ? error.message : String(error),
      }),
    with: (fields) => createLogger({ ...bound, ...fields }),
  };
}

/** Masks an address for logs: `jane.prospect@example.com` becomes `j***@example.com`. */
export function maskEmail(address: string | null | undefined): string | null {
  if (!address) return null;
  const at = address.lastIndexOf("@");
  if (at <= 0) return "***";
  return `${address[0]}***${address.slice(at)}`;
}
