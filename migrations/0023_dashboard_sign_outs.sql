-- Logging out of the web dashboard ends every session of that person: the session lives in an encrypted cookie
-- (nothing to delete server-side), so a cookie made before ``at`` is no longer accepted, wherever it was copied to.
CREATE TABLE dashboard_sign_outs (
    user_id bigint PRIMARY KEY,
    at timestamptz NOT NULL
);
