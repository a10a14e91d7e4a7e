"""S1 without garbling: secrets are masked, the words of our own messages are not."""

from __future__ import annotations

from bookrelay.redact import redact, register_secret


def test_S1_a_word_typed_as_a_token_does_not_garble_the_message_about_it() -> None:
    register_secret("wrong")  # what a person types to see what a bad token does
    register_secret("Bearer expired")
    message = "Hardcover answered 401 invalid_token: the token is wrong or expired"
    assert redact(message) == message


def test_S1_real_secrets_are_still_masked_wherever_they_appear() -> None:
    for secret in ("k3y-abcdef", "hunter2", "passwordlong", "Abs-Key-9f8e7d"):
        register_secret(secret)
        assert redact(f"failed with {secret}!") == "failed with ***!"
        assert redact(f"url?key={secret}&x=1") == "url?key=***&x=1"
    assert redact("Authorization: Bearer abcdefghijklmnop") == "Authorization: Bearer ***"
