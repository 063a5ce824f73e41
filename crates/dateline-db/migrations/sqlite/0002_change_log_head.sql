-- One row that every append to `changes` updates first: it serialises the appends so ids commit
-- in order and followers of the log never skip one.
CREATE TABLE change_log_head (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    appends BIGINT NOT NULL
);
INSERT INTO change_log_head (only_row, appends) VALUES (1, 0);
