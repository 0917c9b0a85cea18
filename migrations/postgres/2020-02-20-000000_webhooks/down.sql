DROP INDEX outbox_webhook;
DROP TABLE webhooks;
