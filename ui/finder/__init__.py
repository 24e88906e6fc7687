"""The LR range test page: run the built-in sweep or read a finder's output, compare the suggestion rules,
and open the explore page on a schedule built from the chosen lr.

- ``keys``: every session-state key the page uses.
- ``sweeps``: the built-in sweeps, trained in worker processes (``sweep_worker``), off the server's GIL.
- ``figures``: loss against lr with every rule's suggestion marked.
"""
