DROP TABLE credit_transactions;
DROP TABLE chat_messages;
DROP TABLE meetings;
