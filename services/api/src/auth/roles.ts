/**
 * Roles and what each one allows. Pure: the plugin asks `allows` after finding who asked and
 * `requirementFor` after finding the route.
 */

/** The roles, from weakest to strongest; each one includes the rights of those before it. */
export const Roles = { viewer: 'viewer', promoter: 'promoter', admin: 'admin' } as const;

/** A role name. */
export type Role = (typeof Roles)[keyof typeof Roles];

const RANK: Readonly<Record<Role, number>> = { viewer: 1, promoter: 2, admin: 3 };

/** One grant of a token: a role in one Project, or (without `project`) the system `admin` role. */
export interface RoleBinding {
  /** The Project the role holds in; absent for the system role. */
  project?: string;
  /** The role. Without a Project only `admin` is meaningful: the system admin. */
  role: Role;
}

/** Who asked, as the auth plugin found out. */
export interface Principal {
  /** The token's name (`bootstrap-admin` for the bootstrap token, `anonymous` with auth off). */
  name: string;
  /** Who the token stands for; this is the `by` of Promotions and approvals and the audit's `who`. */
  subject: string;
  /** The token's grants. */
  roles: readonly RoleBinding[];
}

/** What a request needs: nothing, any valid token, a role in a Project, or the system admin role. */
export type Requirement =
  | { kind: 'public' }
  | { kind: 'authenticated' }
  | { kind: 'project'; project: string; role: Role }
  | { kind: 'system' }
  | { kind: 'apply' };

/** True when the principal is a system admin. */
export const isSystemAdmin = (p: Principal): boolean => p.roles.some((r) => !r.project && r.role === 'admin');

/** True when the principal holds `role` (or a stronger one) in `project`, or is a system admin. */
export const hasRole = (p: Principal, project: string, role: Role): boolean =>
  isSystemAdmin(p) || p.roles.some((r) => r.project === project && RANK[r.role] >= RANK[role]);

// Operations a promoter may run: promote and the gates around it.
const PROMOTER_ROUTES = [
  /^\/api\/v1\/projects\/:project\/promotions$/,
  // A dry run of promote: the same role, though it creates nothing.
  /^\/api\/v1\/projects\/:project\/promotions\/dry-run$/,
  /^\/api\/v1\/projects\/:project\/promotions\/:name\/(abort|approve|reject)$/,
  /^\/api\/v1\/projects\/:project\/freight\/(approve|reject)$/,
  /^\/api\/v1\/projects\/:project\/stages\/:name\/(verify|rollback|promote-downstream)$/,
  /^\/api\/v1\/projects\/:project\/warehouses\/:name\/refresh$/,
  // Manual Freight takes only artifacts the Warehouse discovered; a test changes nothing.
  /^\/api\/v1\/projects\/:project\/freight$/,
  /^\/api\/v1\/projects\/:project\/subscriptions\/test$/,
];

/**
 * What a request to the route `url` (the route's pattern, e.g. `/api/v1/projects/:project`)
 * needs. Everything outside `/api/v1/` (health, UI files, webhooks with their own secrets) and the
 * OpenAPI document are public; an unknown route (`url` undefined) answers 404 to anyone.
 */
export function requirementFor(
  method: string,
  url: string | undefined,
  params: Readonly<Record<string, string | undefined>>,
): Requirement {
  if (url === undefined || !url.startsWith('/api/v1/') || url === '/api/v1/openapi.json') {
    return { kind: 'public' };
  }
  const project = params.project;
  const read = method === 'GET' || method === 'HEAD';
  if (url.startsWith('/api/v1/tokens')) return { kind: 'system' };
  if (url === '/api/v1/whoami') return { kind: 'authenticated' };
  if (url === '/api/v1/apply') return { kind: 'apply' };
  // Like apply, the Projects are in the body: the route checks admin on each (system admin for Projects).
  if (url === '/api/v1/manifests/delete') return { kind: 'apply' };
  if (read) {
    if (project === undefined) return { kind: 'authenticated' };
    if (url.endsWith('/audit')) return { kind: 'project', project, role: 'admin' };
    return { kind: 'project', project, role: 'viewer' };
  }
  // Creating and deleting Projects is the system admin's.
  if (project === undefined || url === '/api/v1/projects/:project') return { kind: 'system' };
  if (PROMOTER_ROUTES.some((r) => r.test(url))) return { kind: 'project', project, role: 'promoter' };
  return { kind: 'project', project, role: 'admin' };
}
