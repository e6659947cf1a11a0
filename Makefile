# The README's commands, where people look for them. Each target runs a script under .ci/,
# which CI runs too (.ci/run is `make test`). Options go in ARGS, e.g.
#   make serve ARGS="127.0.0.1:9000 --token-lifetime 120"
#   make test ARGS="-m 'not browser' -x"

.PHONY: serve test setup bench

serve:  # set up, then run the app with the WeCom emulator on 127.0.0.1:8000
	bash .ci/serve $(ARGS)

test:  # set up with the test tools, lint, and run every test
	bash .ci/test $(ARGS)

setup:  # install what the app needs (Debian packages, .venv, npm, static files, database)
	bash .ci/setup $(ARGS)

bench:  # install wrk and PostgreSQL too, then measure page and lookups (about 12 minutes)
	bash .ci/setup --bench
	.venv/bin/python -m bench.speed $(ARGS)
