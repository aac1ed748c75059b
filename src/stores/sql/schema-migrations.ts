/** The bookkeeping both migrate.ts files share; their .sql files, locking and transactions are their own. */
export const MIGRATION_RECORDED_SQL = 'SELECT 1 FROM schema_migrations WHERE version = ?';
export const RECORD_MIGRATION_SQL = 'INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)';
/** The latest version recorded (NULL before the first migration). */
export const SCHEMA_VERSION_SQL = 'SELECT MAX(version) AS version FROM schema_migrations';
