"""The Votifier (v1 RSA, v2 token) listener, its protocol and its keys."""
