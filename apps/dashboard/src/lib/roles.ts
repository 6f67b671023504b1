/** A person's role in a firm, lowest first. Each role may do everything the roles before it may. */
export const ROLES = ["viewer", "partner", "admin", "owner"] as const;

export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Readonly<Record<Role, string>> = {
  viewer: "Viewer",
  partner: "Partner",
  admin: "Admin",
  owner: "Owner",
};

export function hasRole(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}
