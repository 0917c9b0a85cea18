DROP INDEX audit_log_org_created;
DROP TABLE audit_log;
