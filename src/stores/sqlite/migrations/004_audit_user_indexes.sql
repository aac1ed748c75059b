-- A user's activity page reads the audit entries where the user is the actor or the target.
CREATE INDEX audit_log_by_actor ON audit_log (actor_id);
CREATE INDEX audit_log_by_target ON audit_log (target_id);
