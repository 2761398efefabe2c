-- An Isso database written for the tests, as SQL: the tests build the SQLite file
-- from it. The schema is Isso's (isso/db/threads.py, isso/db/comments.py, user_version
-- 5); the rows are hand-written: two threads with comments and one without, replies
-- (Isso nests one level), Markdown with raw HTML, unicode, an edited comment with
-- votes, a pending comment, and two deleted ones (mode 4), one of them with a reply.
PRAGMA user_version = 5;
CREATE TABLE threads (
    id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE comments (
    tid REFERENCES threads(id),
    id INTEGER PRIMARY KEY,
    parent INTEGER,
    created FLOAT NOT NULL,
    modified FLOAT,
    mode INTEGER,
    remote_addr VARCHAR,
    text VARCHAR NOT NULL,
    author VARCHAR,
    email VARCHAR,
    website VARCHAR,
    likes INTEGER DEFAULT 0,
    dislikes INTEGER DEFAULT 0,
    voters BLOB NOT NULL,
    notification INTEGER DEFAULT 0
);
CREATE TABLE preferences (key VARCHAR PRIMARY KEY, value VARCHAR);
INSERT INTO preferences VALUES ('session-key', 'not-a-real-key');

INSERT INTO threads VALUES (1, '/posts/hello-isso/', 'Hello Isso');
INSERT INTO threads VALUES (2, '/posts/ünïcode/?lang=fr', 'Ünïcode everywhere');
INSERT INTO threads VALUES (3, '/posts/silent/', 'Nobody came');

-- 2021-06-01 12:00:00 UTC = 1622548800
INSERT INTO comments VALUES (1, 1, NULL, 1622548800.0, NULL, 1, '198.51.100.0',
    'Hello *world*, see https://isso.example/docs' || char(10) || 'second line',
    'Ann', 'ann@isso.example', 'https://ann.isso.example', 3, 1, x'00', 0);
INSERT INTO comments VALUES (1, 2, 1, 1622549100.25, 1622549400.5, 1, '198.51.100.0',
    'Raw <script>alert(1)</script> stays text, [bad](javascript:alert(1)) too',
    'Bob', NULL, 'bob.example', 0, 0, x'00', 0);
INSERT INTO comments VALUES (1, 3, NULL, 1622552400.0, NULL, 2, '203.0.113.0',
    'Waiting in the queue', 'Queued', NULL, NULL, 0, 0, x'00', 0);
INSERT INTO comments VALUES (1, 4, NULL, 1622556000.0, NULL, 4, '203.0.113.0',
    '', NULL, NULL, NULL, 0, 0, x'00', 0);
INSERT INTO comments VALUES (1, 5, 4, 1622556600.0, NULL, 1, '203.0.113.0',
    'Answering a comment that was deleted', 'Carla', 'carla@isso.example', NULL, 0, 2, x'00', 0);

INSERT INTO comments VALUES (2, 6, NULL, 1625140800.0, NULL, 1, '2001:db8::',
    'Ça marche très bien — 中文 🎉' || char(10) || char(10) || '> quoted **bold**',
    'Zoë', 'zoe@isso.example', NULL, 0, 0, x'00', 0);
INSERT INTO comments VALUES (2, 7, 6, 1625144400.0, NULL, 4, '2001:db8::',
    '', NULL, NULL, NULL, 0, 0, x'00', 0);
