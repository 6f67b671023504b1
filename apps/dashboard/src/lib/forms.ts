/** Result of a form action, on success or through `fail()`, as the page reads it. */
export interface FormResult {
  /** Name of the form the result belongs to, on pages with several forms. */
  form?: string;
  message?: string;
  saved?: string;
  field?: string;
  fieldErrors?: Record<string, string>;
  values?: Record<string, string>;
}

/**
 * Returns the action result when it belongs to the form `name` (or to any form when `name` is omitted). Actions
 * return different shapes, so the page reads them through this one loose type.
 */
export function resultFor(form: unknown, name?: string): FormResult | null {
  if (typeof form !== "object" || form === null) return null;
  const result = form as FormResult;
  if (name !== undefined && result.form !== name) return null;
  return result;
}
