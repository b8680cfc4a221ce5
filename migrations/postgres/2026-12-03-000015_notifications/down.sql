DROP TABLE notifications;
DROP TABLE notification_preferences;
