-- Chat sent in a breakout room keeps the room (its id and, for transcripts after the rooms
-- are gone, its name); NULL for the main room.
-- depends: 0010.welcome-credit

ALTER TABLE chat_messages
    ADD COLUMN room_id   text,
    ADD COLUMN room_name text;
