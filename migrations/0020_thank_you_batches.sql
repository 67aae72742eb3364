-- Thank-you posts leave through a per-channel outbox, so a burst of votes into one channel reads as a few
-- messages ("Thank you Alice, Bob and 12 others") within Discord's 5 messages per 5 s, instead of trickling out.
-- A vote to thank gets its channel; when a post is due, the waiting votes of the channel form a batch (the
-- smallest vote id names it, and the post's nonce), committed before the post, so a retry posts that same batch.
ALTER TABLE vote_rewards
    ADD COLUMN thank_channel_id bigint CHECK (thank_channel_id > 0),
    ADD COLUMN thank_batch      bigint;

CREATE INDEX vote_rewards_thanks_due ON vote_rewards (thank_channel_id, vote_id)
    WHERE thanked_at IS NULL AND thank_channel_id IS NOT NULL;
