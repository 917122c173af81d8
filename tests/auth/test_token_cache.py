"""Decoded bearer tokens are cached briefly; the cache never accepts what a full check rejects."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from orderflow.auth.principal import Principal
from orderflow.auth.tokens import decode_token, issue_token
from orderflow.errors import Unauthorized

SECRET = "s" * 32


class TestDecodedTokenCache:
    def test_a_token_decodes_to_the_same_principal_twice(self) -> None:
        token = issue_token(SECRET, role="vendor", sub="usr_1", vendor_id="ven_1")
        first = decode_token(SECRET, token)
        assert decode_token(SECRET, token) == first
        assert first == Principal(sub="usr_1", role="vendor", vendor_id="ven_1")

    def test_a_cached_token_is_still_rejected_under_another_secret(self) -> None:
        token = issue_token(SECRET, role="customer", sub="cus_1")
        decode_token(SECRET, token)
        with pytest.raises(Unauthorized):
            decode_token("t" * 32, token)

    def test_a_cached_token_is_rejected_once_it_expires(self) -> None:
        token = issue_token(SECRET, role="customer", sub="cus_2", ttl=timedelta(seconds=1))
        decode_token(SECRET, token)
        time.sleep(2.05)  # exp has whole-second resolution: wait until it has surely passed
        with pytest.raises(Unauthorized, match="expired"):
            decode_token(SECRET, token)

    def test_an_invalid_token_is_rejected_every_time(self) -> None:
        for _ in range(2):
            with pytest.raises(Unauthorized, match="not valid"):
                decode_token(SECRET, "not-a-jwt")
