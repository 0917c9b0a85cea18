DROP TABLE leaves;
DROP TABLE department_managers;
ALTER TABLE departments DROP COLUMN archived_at;
