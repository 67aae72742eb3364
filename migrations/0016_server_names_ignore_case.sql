-- Server names are unique per guild regardless of case: "/setup remove server:rust main" must never pick
-- "Rust Main" out of two. Existing clashes keep the oldest server's name; each later one is renamed
-- "Name (2)", "Name (3)", … (shortened to fit 100 characters, skipping a suffix already taken).
DO $$
DECLARE
    clash record;
    n integer;
    suffix text;
    candidate text;
BEGIN
    FOR clash IN
        SELECT id, guild_id, name
        FROM (
            SELECT id, guild_id, name, row_number() OVER (PARTITION BY guild_id, lower(name) ORDER BY id) AS rank
            FROM servers
        ) ranked
        WHERE rank > 1
        ORDER BY id
    LOOP
        n := 2;
        LOOP
            suffix := ' (' || n || ')';
            candidate := left(clash.name, 100 - char_length(suffix)) || suffix;
            EXIT WHEN NOT EXISTS (
                SELECT 1 FROM servers WHERE guild_id = clash.guild_id AND lower(name) = lower(candidate)
            );
            n := n + 1;
        END LOOP;
        UPDATE servers SET name = candidate WHERE id = clash.id;
    END LOOP;
END
$$;

ALTER TABLE servers DROP CONSTRAINT servers_guild_id_name_key;
CREATE UNIQUE INDEX servers_guild_name_any_case ON servers (guild_id, lower(name));
