ALTER TABLE chat_messages
    DROP COLUMN room_name,
    DROP COLUMN room_id;
