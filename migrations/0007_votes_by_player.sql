-- Find a member's votes through their linked in-game name (/vote's "your last vote", rewards, reminders).
CREATE INDEX votes_by_player ON votes (server_id, lower(player_name), voted_at DESC) WHERE player_name IS NOT NULL;
