"""Webhook signatures: ``t=<unix>,v1=<hex hmac-sha256(secret, "<t>.<body>")>``."""

from __future__ import annotations

import hashlib
import hmac

from hypothesis import given
from hypothesis import strategies as st

from orderflow.kit.signing import parse, sign, verify

SECRET = "whsec_test_0123456789"
T = 1_800_000_000


class TestSign:
    def test_the_header_carries_the_timestamp_and_the_hmac_of_timestamp_dot_body(self) -> None:
        body = b'{"event":"fulfillment.created"}'
        expected = hmac.new(SECRET.encode(), b"%d." % T + body, hashlib.sha256).hexdigest()
        assert sign(SECRET, body, T) == f"t={T},v1={expected}"

    def test_without_a_timestamp_it_signs_at_the_current_time(self) -> None:
        header = sign(SECRET, b"{}")
        assert verify(SECRET, b"{}", header)


class TestVerify:
    @given(st.binary(max_size=256), st.text(min_size=1, max_size=40))
    def test_a_signature_verifies_its_own_body_and_secret(self, body: bytes, secret: str) -> None:
        assert verify(secret, body, sign(secret, body, T), now=T)

    @given(st.binary(max_size=64), st.binary(max_size=64))
    def test_another_body_does_not_verify(self, body: bytes, other: bytes) -> None:
        if body != other:
            assert not verify(SECRET, other, sign(SECRET, body, T), now=T)

    def test_another_secret_does_not_verify(self) -> None:
        assert not verify("other-secret", b"{}", sign(SECRET, b"{}", T), now=T)

    def test_an_old_timestamp_is_refused_as_a_replay(self) -> None:
        header = sign(SECRET, b"{}", T)
        assert verify(SECRET, b"{}", header, now=T + 300)
        assert not verify(SECRET, b"{}", header, now=T + 301)

    def test_a_tampered_timestamp_does_not_verify(self) -> None:
        header = sign(SECRET, b"{}", T).replace(f"t={T}", f"t={T + 1}")
        assert not verify(SECRET, b"{}", header, now=T)

    def test_any_of_several_v1_signatures_may_match_during_secret_rotation(self) -> None:
        mine = sign(SECRET, b"{}", T).split(",")[1]
        assert verify(SECRET, b"{}", f"t={T},v1=deadbeef,{mine}", now=T)

    def test_malformed_headers_do_not_verify(self) -> None:
        for header in ("", "garbage", f"t={T}", "v1=abc", "t=soon,v1=abc", f"t={T},v1"):
            assert not verify(SECRET, b"{}", header, now=T)

    def test_parse_reads_the_timestamp_and_signatures(self) -> None:
        assert parse(f"t={T},v1=aa,v1=bb") == (T, ["aa", "bb"])
