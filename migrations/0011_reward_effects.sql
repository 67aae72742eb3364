-- Rewards are retried until they are done: remember which effects of a vote's rewards are done, so a retry
-- (after a Discord outage, or a crash) repeats none of them. Votes rewarded before this migration are done.
ALTER TABLE vote_rewards
    ADD COLUMN thanked_at         timestamptz,
    ADD COLUMN thanked_message_id bigint;

UPDATE vote_rewards SET thanked_at = rewarded_at;
