DROP TABLE meeting_notes;
DROP TABLE question_upvotes;
DROP TABLE questions;
DROP TABLE poll_votes;
DROP TABLE polls;
