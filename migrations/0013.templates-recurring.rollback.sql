DROP TABLE recurring_occurrences;
DROP TABLE recurring_meetings;
DROP TABLE meeting_templates;
