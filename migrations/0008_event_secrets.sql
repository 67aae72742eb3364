-- The signed event API (POST /events/{server_id}) has its own per-server secret.
ALTER TABLE provider_credentials DROP CONSTRAINT provider_credentials_provider_check;
ALTER TABLE provider_credentials ADD CONSTRAINT provider_credentials_provider_check
    CHECK (provider IN ('topserver', 'topgg', 'gamemonitoring', 'votifier', 'events'));
