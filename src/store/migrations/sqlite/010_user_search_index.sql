-- 010_user_search_index (SQLite): user search ranks its username-prefix candidates from an index alone
-- (docs/services/search.md). The partial index holds only ACTIVE users, and its entries carry the
-- username and the rowid (= users.id): the bucket/tier of every prefix candidate is computed without
-- reading a users row, and only the page's rows are read afterwards. status is a key column although
-- it is constant: SQLite 3.40 treats a partial index as covering only when every column the query
-- names (the WHERE's status = 'ACTIVE' included) is in it.
CREATE INDEX users_active_username_idx ON users (username, status) WHERE status = 'ACTIVE';
