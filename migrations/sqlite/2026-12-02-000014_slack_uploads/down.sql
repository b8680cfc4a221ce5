DROP TABLE slack_uploads;
