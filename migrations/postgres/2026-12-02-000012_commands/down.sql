DROP TABLE command_responses;
DROP TABLE commands;
