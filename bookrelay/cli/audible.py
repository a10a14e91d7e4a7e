"""``bookrelay audible …``: log in and out of Audible, show the limits, switch titles on and off."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from bookrelay.app.audible import (
    audible_import_auth_file,
    audible_login_browser,
    audible_login_password,
    audible_logout,
    audible_status,
    set_link_sync,
)
from bookrelay.app.common import load_settings
from bookrelay.cli.errors import handle_errors
from bookrelay.cli.options import ConfigOption, UserOption
from bookrelay.errors import ConfigError

console = Console(highlight=False)
audible_app = typer.Typer(help="Audible: login, limits, and which titles sync.", no_args_is_help=True)

LOCALES = "us|uk|de|fr|ca|it|au|in|jp|es|br"
AUTH_PASSWORD_ENV = "AUDIBLE_AUTH_PASSWORD"


def register(app: typer.Typer) -> None:
    """Add the ``audible`` command group to the main app."""
    app.add_typer(audible_app, name="audible")


def _ask_address(url: str) -> str:
    console.print("Open this address in a browser and sign in to Amazon:", soft_wrap=True)
    console.print(url, soft_wrap=True, markup=False)
    console.print("The browser then ends on a 'page not found' page; copy its whole address.")
    return str(typer.prompt("Address the browser ended on")).strip()


def _ask_captcha(captcha_url: str) -> str:
    console.print("Amazon wants a captcha solved; the image is at:", soft_wrap=True)
    console.print(captcha_url, soft_wrap=True, markup=False)
    return str(typer.prompt("Captcha text")).strip()


def _ask_otp() -> str:
    return str(typer.prompt("One-time code (authenticator app or SMS)")).strip()


def _ask_cvf() -> str:
    return str(typer.prompt("Verification code Amazon sent you")).strip()


def _wait_approval() -> None:
    typer.prompt(
        "Approve the sign-in in the Amazon app or e-mail, then press Enter", default="", show_default=False
    )


@audible_app.command("login")
@handle_errors
def login(
    config: ConfigOption = None,
    user: UserOption = None,
    locale: Annotated[
        str | None, typer.Option("--locale", help=f"Audible marketplace: {LOCALES} (default: from config).")
    ] = None,
    email: Annotated[
        str | None, typer.Option("--email", help="Log in with e-mail and password (asked for, never stored).")
    ] = None,
    auth_file: Annotated[
        Path | None, typer.Option("--auth-file", help="Import an audible-cli auth file instead.")
    ] = None,
    auth_password: Annotated[
        bool,
        typer.Option(
            "--auth-password",
            help=f"The auth file is encrypted: ask for its password (or ${AUTH_PASSWORD_ENV}).",
        ),
    ] = False,
) -> None:
    """Log a user in to Audible (external browser by default) and store the login encrypted.

    Example: bookrelay audible login --user alice --locale uk
    """
    if email and auth_file:
        raise ConfigError("give --email or --auth-file, not both", place="arguments")
    if auth_password and not auth_file:
        raise ConfigError("--auth-password only goes with --auth-file", place="arguments")
    if auth_file is not None:
        password = None
        if auth_password:
            password = os.environ.get(AUTH_PASSWORD_ENV) or str(
                typer.prompt("Password of the auth file", hide_input=True)
            )
        done = audible_import_auth_file(load_settings(config), user, auth_file, password, locale)
    elif email:
        secret = str(typer.prompt(f"Amazon password for {email}", hide_input=True))
        callbacks: dict[str, Any] = {
            "captcha": _ask_captcha,
            "otp": _ask_otp,
            "cvf": _ask_cvf,
            "approval": _wait_approval,
        }
        done = audible_login_password(load_settings(config), user, locale, email, secret, **callbacks)
    else:
        done = audible_login_browser(load_settings(config), user, locale, _ask_address)
    mode = "requests signed with the device key" if done.signing else "bearer tokens"
    console.print(
        f"logged in user {done.user_id} to Audible ({done.locale}) as device "
        f"{done.device_name or '?'}; {mode}; stored encrypted",
        soft_wrap=True,
        markup=False,
    )


@audible_app.command("logout")
@handle_errors
def logout(
    config: ConfigOption = None,
    user: UserOption = None,
    keep_device: Annotated[
        bool, typer.Option("--keep-device", help="Only delete the stored login; do not deregister at Amazon.")
    ] = False,
) -> None:
    """Deregister the user's Audible device at Amazon and delete the stored login.

    Example: bookrelay audible logout --user alice
    """
    if audible_logout(load_settings(config), user, deregister=not keep_device):
        console.print("logged out of Audible: the stored login is deleted")
    else:
        console.print("no Audible login was stored")


@audible_app.command("status")
@handle_errors
def status(config: ConfigOption = None, user: UserOption = None) -> None:
    """Show whether the user is logged in, and the interval and daily cap with today's use.

    Example: bookrelay audible status --user alice
    """
    state = audible_status(load_settings(config), user)
    if state.login is None:
        console.print("not logged in to Audible")
    else:
        login = state.login
        console.print(
            f"logged in ({login.locale}) as device {login.device_name or '?'}, "
            f"account {login.account_name or '?'}",
            soft_wrap=True,
            markup=False,
        )
    minutes = state.limits.min_interval.total_seconds() / 60
    last = f"{state.usage.last_sync_at:%Y-%m-%d %H:%M:%S} UTC" if state.usage.last_sync_at else "never"
    console.print(f"at most one Audible sync every {minutes:g} min; last started: {last}")
    console.print(f"requests today ({state.usage.day}, UTC): {state.usage.calls} of {state.limits.daily_cap}")


def _toggle(config: Path | None, user: str | None, asin: str, enabled: bool) -> None:

    link = set_link_sync(load_settings(config), user, "audible", asin, enabled)
    word = "syncs again" if link.sync_enabled else "no longer syncs (A1)"
    console.print(f"audible:{link.source_item_id} {word}", markup=False)


@audible_app.command("disable")
@handle_errors
def disable(
    asin: Annotated[str, typer.Argument(help="The title's ASIN.")],
    config: ConfigOption = None,
    user: UserOption = None,
) -> None:
    """Stop syncing one Audible title for this user (a shared account's title that is not theirs).

    Example: bookrelay audible disable B0036S4B2G --user alice
    """
    _toggle(config, user, asin, False)


@audible_app.command("enable")
@handle_errors
def enable(
    asin: Annotated[str, typer.Argument(help="The title's ASIN.")],
    config: ConfigOption = None,
    user: UserOption = None,
) -> None:
    """Sync one Audible title again.

    Example: bookrelay audible enable B0036S4B2G --user alice
    """
    _toggle(config, user, asin, True)
