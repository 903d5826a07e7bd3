"""Imported by slow.ipynb: with FORECAST_TEST_DIE_ONCE=PATH, the first process to
import it (the one that creates PATH) dies at once, as a kernel that crashes in
its warm-up would; every later importer lives."""

import os

_marker = os.environ.get("FORECAST_TEST_DIE_ONCE")
if _marker:
    try:
        fd = os.open(_marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        pass
    else:
        os.close(fd)
        os._exit(1)
