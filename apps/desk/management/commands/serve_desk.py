"""`manage.py serve_desk`: runserver, plus the in-process clock when there is no Redis.

What `make run` starts without REDIS_URL. The clock (apps.desk.beat) starts in the process
that serves requests: under the autoreloader that is the child alone (the watching parent
never calls inner_run), so exactly one runs; a reload or Ctrl-C stops it after the task in
hand. With REDIS_URL set it does not start: the `beat` process owns the schedule.
"""

import atexit
import signal
import sys
from types import FrameType

from django.conf import settings
from django.core.management import get_commands, load_command_class

from apps.desk.beat import in_process_beat_start, in_process_beat_stop

# Whatever runserver is installed (whitenoise's, staticfiles', Django's), extended.
Runserver = type(load_command_class(get_commands()["runserver"], "runserver"))


class Command(Runserver):  # type: ignore[valid-type, misc]
    help = "Serve the console; without REDIS_URL also run the beat schedule in this process."

    def run(self, **options: object) -> None:
        # A supervisor's SIGTERM ends the process as Ctrl-C does: through sys.exit, so the
        # atexit hook stops the clock after the task in hand (never mid-transaction).
        signal.signal(signal.SIGTERM, _exit_on_term)
        super().run(**options)

    def inner_run(self, *args: object, **options: object) -> None:
        if settings.REDIS_URL:
            self.stdout.write("REDIS_URL is set: the `beat` process runs the schedule.")
        else:
            beat = in_process_beat_start()
            atexit.register(in_process_beat_stop)
            self.stdout.write(
                f"No REDIS_URL: the clock runs in this process ({len(beat.entries)} entries "
                "of CELERY_BEAT_SCHEDULE: escalations, expiries, reconciliation, handovers)."
            )
        try:
            super().inner_run(*args, **options)
        finally:
            in_process_beat_stop()


def _exit_on_term(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)
