"""Run and drive the real app from outside: what the tests, ``make bench`` and ``make load`` share.

- ``server``: the app on a free local port (``scripts/serve.py``), health wait, stop.
- ``proxy``: the deployment's nginx rules in front of local servers.
- ``browser``: Chromium launched as this machine allows, chart reads and widget moves in the page.
- ``protocol``: a Streamlit client speaking the websocket protocol without a browser.

Not part of the app (the Dockerfile does not copy it); it imports the app's ``ui`` only for names the page
uses (the chart component's name, widget keys).
"""
