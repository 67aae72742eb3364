-- The language a server's channel posts, boards, alerts and DMs are written in (/setup options language).
-- NULL follows the guild's preferred locale (Community settings), English when the bot does not speak it.
-- The codes themselves are checked by the bot (bot/core/i18n.py LANGUAGES), so adding a language needs no
-- migration; the shape is checked here.
ALTER TABLE servers ADD COLUMN language text
    CHECK (language ~ '^[a-z]{2,3}(-[A-Z0-9]{2,3})?$');
