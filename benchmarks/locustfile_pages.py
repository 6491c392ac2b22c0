"""The clients of ``benchmarks/bench_pages.py`` (locust; not meant to be run alone).

Each client is the demo analyst, with a session of its own that the benchmark opened
through the login form before the load (so password hashing is not measured), and
opens, in a closed loop without pauses, one of five pages chosen evenly: the Top-100, a
filtered ranking, the scorecard of a random ranked enterprise, and the two peers served
by the same server under the same load (a static file and the cheapest Django view).
What to ask for comes from the JSON file named by ``BENCH_PAGES_PLAN``.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from http.cookiejar import Cookie
from urllib.parse import urlencode, urlsplit

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

PLAN = json.loads(open(os.environ["BENCH_PAGES_PLAN"], encoding="utf-8").read())
SESSIONS = itertools.cycle(PLAN["sessions"])


class PageReader(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.client.cookiejar.set_cookie(
            Cookie(
                0,
                "sessionid",
                next(SESSIONS),
                None,
                False,
                urlsplit(self.host).hostname,
                False,
                False,
                "/",
                True,
                False,
                None,
                False,
                None,
                None,
                {},
            )
        )

    def get(self, path: str, name: str):
        self.client.get(path, name=name)

    @task
    def top100(self):
        self.get("/top100/", "Top-100")

    @task
    def top100_filtered(self):
        self.get("/top100/?" + urlencode(random.choice(PLAN["filters"])), "Top-100 filtered")

    @task
    def scorecard(self):
        self.get(f"/enterprises/{random.choice(PLAN['national_ids'])}/", "scorecard")

    @task
    def peer_static(self):
        self.get(PLAN["static"], "peer: static file")

    @task
    def peer_view(self):
        self.get(PLAN["methodology"], "peer: methodology file")
