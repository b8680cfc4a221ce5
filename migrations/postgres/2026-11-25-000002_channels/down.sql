DROP TABLE mentions;
DROP TABLE reactions;
DROP TABLE messages;
DROP TABLE channel_members;
DROP TABLE channels;
