-- The province database for gongkai-server (run as the postgres superuser:
-- psql -f postgres-setup.sql). Set the password before use; the schema itself is
-- created by the first gongkai-server instance that starts (or by migrate-to-postgres).
CREATE ROLE gongkai_app LOGIN PASSWORD 'change-me';
-- C collation: text sorts by bytes, as on SQLite, so lists come out in the same order
-- from either back-end.
CREATE DATABASE gongkai OWNER gongkai_app ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'
    TEMPLATE template0;
