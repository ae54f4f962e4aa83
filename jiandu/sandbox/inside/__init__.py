"""What the workers import inside the walls: stdlib-only `answer` and the Pillow `reencode`.

Each worker script (forensics' image and metadata workers, cases' evidence worker, redaction's
render worker) runs as `python -I worker.py` under the jail, where nothing of the project is
importable: it puts this folder first on its `sys.path` and imports `answer` and `reencode` as
top-level modules, and `runner.run_sandboxed` binds this folder read-only into every run. The
server imports the same files as `jiandu.sandbox.inside.answer` to read the answers, so the two
sides cannot disagree on a code or on the format.
"""
