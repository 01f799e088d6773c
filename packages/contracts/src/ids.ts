/**
 * Branded identifiers. A FreightId cannot be passed where a StageName is expected, so ids
 * that are all strings at run time cannot be swapped by accident.
 */
declare const brand: unique symbol;

/** A string carrying a compile-time tag that only the matching constructor can produce. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A Project's name: a Kubernetes namespace name (DNS-1123 label). */
export type ProjectName = Brand<string, 'ProjectName'>;
/** A Warehouse's name within its Project. */
export type WarehouseName = Brand<string, 'WarehouseName'>;
/** A Stage's name within its Project. */
export type StageName = Brand<string, 'StageName'>;
/** A Freight id: the lowercase hex SHA-1 Kargo computes over the origin and the artifacts. */
export type FreightId = Brand<string, 'FreightId'>;
/** A Promotion's name: `<stage>.<ulid>.<first 7 of freight>`. */
export type PromotionName = Brand<string, 'PromotionName'>;

/** Tags a project name; callers validate the format at the edge. */
export const projectName = (s: string): ProjectName => s as ProjectName;
/** Tags a Warehouse name. */
export const warehouseName = (s: string): WarehouseName => s as WarehouseName;
/** Tags a Stage name. */
export const stageName = (s: string): StageName => s as StageName;
/** Tags a Freight id. */
export const freightId = (s: string): FreightId => s as FreightId;
/** Tags a Promotion name. */
export const promotionName = (s: string): PromotionName => s as PromotionName;

/** DNS-1123 label: what Kubernetes (and so Kargo) accepts as a namespace or resource name. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** DNS-1123 subdomain: what Kubernetes accepts as most resource names. */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
