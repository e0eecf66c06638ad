# The two commands of the quick start, `make demo` and `make test`, each do
# their own set-up on a fresh Debian 12 machine: Debian packages first
# (skipped when already there), then the project's virtualenv (rebuilt only
# when pyproject.toml changes). Run as root or with sudo available.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# What the suite and the demo use from Debian: the PC/SC daemon and the
# virtual reader driver, headers and swig to compile pyscard, a virtual X
# display, fonts that hold Georgian, zbar to read printed QR codes back,
# espeak-ng for the voice guide, systemd-analyze for the unit checks, tzdata
# for Tbilisi time on receipts (slim images lack it), strace to count the
# outbox's fsyncs (tests/test_queue_fsync.py).
APT_PACKAGES := pcscd vsmartcard-vpcd libpcsclite-dev swig gcc python3-dev \
	python3-venv xvfb xauth libmtdev1 libgl1-mesa-dri fonts-dejavu-core \
	fonts-noto-core libzbar0 espeak-ng alsa-utils systemd xdotool tzdata strace

.PHONY: demo test deps venv lint bench clean

demo: venv
	$(BIN)/kiosk demo $(DEMO_ARGS)

# One test worker more than the machine has cores: the UI, card and deploy tests
# spend part of their time waiting on a window, a subprocess or a socket. On 2 cores
# the suite took 9 min 29 s with 3 workers, 10 min 51 s with 2 (-n auto).
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))

test: venv
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check kiosk screens devices offline_queue tests bench tools

bench: venv
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

deps:
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:" $$missing; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

venv: deps $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip wheel setuptools
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python -m kiosk.i18n compile
	touch $@

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

# Deployment (docs/deploying.md): `make install` turns a bare Debian 12
# machine into a kiosk, or upgrades one in place; `make uninstall` keeps the
# data unless PURGE=1. Both honour DESTDIR=DIR (install into a folder).
.PHONY: install uninstall
install:
	$(SUDO) env DESTDIR='$(DESTDIR)' SKIP_APT='$(SKIP_APT)' KEEP_RELEASES='$(KEEP_RELEASES)' deploy/install.sh

uninstall:
	$(SUDO) env DESTDIR='$(DESTDIR)' PURGE='$(PURGE)' FORCE='$(FORCE)' deploy/uninstall.sh
