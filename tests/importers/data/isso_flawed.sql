-- An Isso database with rows to leave out: an unknown mode, a reply whose parent is
-- not in the table, and a text time in created.
CREATE TABLE threads (
    id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE comments (
    tid REFERENCES threads(id), id INTEGER PRIMARY KEY, parent INTEGER,
    created FLOAT NOT NULL, modified FLOAT, mode INTEGER, remote_addr VARCHAR,
    text VARCHAR NOT NULL, author VARCHAR, email VARCHAR, website VARCHAR,
    likes INTEGER DEFAULT 0, dislikes INTEGER DEFAULT 0, voters BLOB NOT NULL,
    notification INTEGER DEFAULT 0);
INSERT INTO threads VALUES (1, '/flawed/', 'Flawed');
INSERT INTO comments VALUES (1, 1, NULL, 1622548800.0, NULL, 1, '', 'Fine', 'Fine', NULL, NULL, 0, 0, x'00', 0);
INSERT INTO comments VALUES (1, 2, NULL, 1622548801.0, NULL, 8, '', 'Odd mode', 'Odd', NULL, NULL, 0, 0, x'00', 0);
INSERT INTO comments VALUES (1, 3, 42, 1622548802.0, NULL, 1, '', 'Orphan', 'Orphan', NULL, NULL, 0, 0, x'00', 0);
INSERT INTO comments VALUES (1, 4, NULL, 'yesterday', NULL, 1, '', 'When?', 'Timeless', NULL, NULL, 0, 0, x'00', 0);
