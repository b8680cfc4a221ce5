ALTER TABLE workspaces DROP COLUMN members_add_integrations;
ALTER TABLE messages DROP COLUMN bot;
DROP TABLE integration_log;
DROP TABLE incoming_webhooks;
