/** Reads a text field from a submitted form, trimmed; a missing field or a file is "". */
export function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value.trim() : "";
}
