ALTER TABLE workspaces ADD COLUMN signup_domains TEXT NOT NULL DEFAULT '';
