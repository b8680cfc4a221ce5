ALTER TABLE workspaces DROP COLUMN signup_domains;
