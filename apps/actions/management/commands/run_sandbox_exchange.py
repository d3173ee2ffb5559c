from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.actions.sandbox.wsgi import make_sandbox_server


class Command(BaseCommand):
    help = "Serve the sandbox exchange over HTTP per shared/contracts/gateway.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8900)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--token", default="", help="Require this Bearer token.")

    def handle(self, *args: Any, port: int, host: str, token: str, **options: Any) -> None:
        server = make_sandbox_server(host, port, token or None)
        self.stdout.write(f"sandbox exchange on http://{host}:{server.server_port}/", ending="\n")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
