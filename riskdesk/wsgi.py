import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskdesk.settings")
application = get_wsgi_application()

# What start-up loads (Django, the apps, every page's module through the URLconf, pandas,
# numpy: about 270,000 objects) lives as long as the process. Frozen, the collector's full
# passes scan only what requests made (about 20,000 objects, 13-43 ms); unfrozen, each
# full pass walked all of it, 160-190 ms on this machine every few hundred requests: the
# queue page's p95 at 1,000,000 alerts (bench/queue_page.py, issue 15).
get_resolver().url_patterns  # noqa: B018 - every page's module imported now, not on a first request
gc.collect()
gc.freeze()
