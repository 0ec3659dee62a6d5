/**
 * The managed warehouse's database and roles: the renderer creates them (the PostgreSQL image's
 * first start, the generated credentials Secret), the migration Job keeps the read-only role, and
 * the Grafana datasource connects as it.
 */

/** Database and owner role of the managed PostgreSQL (POSTGRES_DB / POSTGRES_USER of its image). */
export const WAREHOUSE_DATABASE = 'credit';
export const WAREHOUSE_OWNER = 'credit';
/** The read-only role for dashboards and reports: SELECT on the warehouse, nothing else. */
export const WAREHOUSE_READER = 'credit_reader';
/**
 * The ingestion API's role for GET /v1/applications/{id}/decision: SELECT on the columns that route
 * reads (workloads/warehouse/reader-role.ts DECISION_READER_COLUMNS), nothing else. Managed PostgreSQL.
 */
export const WAREHOUSE_DECISION_READER = 'credit_decision_reader';
/** Grafana's core PostgreSQL datasource plugin: the dashboards' warehouse variables and the datasource use it. */
export const GRAFANA_POSTGRES_PLUGIN = 'grafana-postgresql-datasource';
