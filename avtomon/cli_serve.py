"""`avtomon serve`: the read-only web view (avtomon/web)."""

from __future__ import annotations

import ipaddress
import socket

import click

from avtomon.cli_common import ConfigProblem, Context, pass_ctx
from avtomon.errors import AvtomonError


def _loopback(host: str) -> bool:
    """Does `host` (a name or an address) only listen on this machine?"""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None))
        except (OSError, ValueError):
            return False


def _check_free(host: str, port: int) -> None:
    """A clear error (exit 2) for an address in use or not this machine's, before the server starts."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        raise ConfigProblem(f"cannot listen on {host}:{port} ({exc.strerror or exc}): another program (another "
                            f"avtomon serve?) uses the port, or the address is not this machine's; choose "
                            f"another with --port or --host") from None


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Any other than this machine's loopback needs --token.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--token", envvar="AVTOMON_TOKEN",
              help="Access token the pages ask for (env AVTOMON_TOKEN); required off loopback. Scripts send "
                   "it as `Authorization: Bearer TOKEN`.")
@click.option("--tz", envvar="AVTOMON_TZ", default="Europe/Moscow", show_default=True,
              help="Time zone of the dates shown and of since/until days (env AVTOMON_TZ).")
@pass_ctx
def serve(ctx: Context, host: str, port: int, token: str | None, tz: str) -> None:
    """Browse the store in a web browser: dashboard, search, company, region, category and article pages.

    Read-only: the store is opened for reading (SQLite mode=ro, a read-only PostgreSQL transaction), so
    it can run beside ingest. Stop it with Ctrl+C.

    \b
    Example:
      avtomon serve                       # http://127.0.0.1:8080/
      AVTOMON_TOKEN=$(openssl rand -hex 16) avtomon serve --host 0.0.0.0 --port 8080
    """
    import uvicorn

    from avtomon.db import open_readonly
    from avtomon.pipeline.filters import zone
    from avtomon.web import create_app

    if not _loopback(host) and not token:
        raise ConfigProblem(f"--host {host} makes the pages reachable from other machines: set an access token "
                            f"with --token or AVTOMON_TOKEN (or keep the default --host 127.0.0.1)")
    try:
        zone(tz)
        engine = open_readonly(ctx.db)
    except AvtomonError as exc:
        raise ConfigProblem(str(exc)) from None
    from avtomon.cli_common import _safe_url

    _check_free(host, port)

    click.echo(f"avtomon serve: http://{host}:{port}/ (read-only, {_safe_url(ctx.db)})", err=True)
    uvicorn.run(create_app(engine, tz=tz, token=token), host=host, port=port, log_level="warning",
                server_header=False)
