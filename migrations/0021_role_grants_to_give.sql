-- Voter roles are given through the grants themselves: a vote records its grant (to give, with the listing site
-- for the audit log's reason) and the guild's role turns give them one by one within Discord's role limit, so a
-- burst of votes never holds the other effects of its votes (thank-yous, announcements) behind the role bucket.
-- Grants recorded before this migration were given when they were recorded.
ALTER TABLE role_grants
    ADD COLUMN given_at timestamptz,
    ADD COLUMN provider text CHECK (char_length(provider) <= 40);

UPDATE role_grants SET given_at = now();

CREATE INDEX role_grants_to_give ON role_grants (guild_id) WHERE given_at IS NULL;
