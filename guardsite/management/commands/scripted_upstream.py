"""Serve the scripted OpenAI-compatible upstream: ``python manage.py scripted_upstream``.

``--script script.json`` answers from a script of rules (see guardsite/runtime/scripted_upstream.py
for the format); without one, every call gets the default reply. Point a deployment's upstream URL
at ``http://HOST:PORT/v1``.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from guardsite.runtime.scripted_upstream import Script, ScriptedUpstream


class Command(BaseCommand):
    help = "Serve a scripted OpenAI-compatible chat-completions upstream for demos and tests."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--script", help="JSON script of rules; the default reply without one")

    def handle(self, *args, **options):
        try:
            script = Script.load(options["script"]) if options["script"] else Script()
        except (OSError, ValueError, json.JSONDecodeError) as exc:
            raise CommandError(f"Cannot use the script: {exc}") from exc
        try:
            server = ScriptedUpstream(script, host=options["host"], port=options["port"])
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {options['host']}:{options['port']}: {exc}"
            ) from exc
        self.stdout.write(
            f"Scripted upstream with {len(script.rules)} rules at {server.base_url} "
            "(Ctrl-C to stop)"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server.server_close()
