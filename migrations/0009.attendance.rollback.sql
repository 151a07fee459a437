DROP TABLE attendance;
DROP TABLE nodes;
