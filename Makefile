# The two commands: `make up` brings the lab up, `make test` runs every test.
.PHONY: up down ps test unit lint bootstrap

bootstrap:
	@scripts/bootstrap.sh

up: bootstrap
	.venv/bin/socketlab up

down: bootstrap
	.venv/bin/socketlab down

ps: bootstrap
	.venv/bin/socketlab ps

test: bootstrap
	.venv/bin/ruff check .
	.venv/bin/pytest

unit: bootstrap
	.venv/bin/pytest tests/unit
