# Tollgate: the one entry point. CMake does the compiling; this file installs, builds, tests, demos.
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
JOBS    ?= $(shell nproc)
FUZZ_SECONDS ?= 20

# Every Debian package the build, tests, demo and bench need.
DEB_PACKAGES := build-essential cmake pkg-config clang libclang-rt-14-dev \
  libre2-dev libpoco-dev libmnl-dev libnftnl-dev libnetfilter-queue-dev libtins-dev libssl-dev \
  libgtest-dev libgmock-dev libcap-dev \
  nftables iptables iproute2 procps psmisc curl openssl ca-certificates python3 socat netcat-openbsd \
  nginx-light wrk squid haproxy systemd freeradius chromium python3-websocket dnsmasq-base \
  prometheus man-db groff-base logrotate bind9-dnsutils

.PHONY: all deps build test unit fuzz-smoke fuzz scenarios demo bench install clean

all: build

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing $$missing"; \
	  apt-get update -qq || true; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  for s in nginx squid haproxy freeradius prometheus; do systemctl disable --now $$s >/dev/null 2>&1 || true; \
	    pkill -x $$s >/dev/null 2>&1 || true; done; \
	else echo "make deps: all packages present"; fi

$(BUILD)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

unit: build
	$(BUILD)/unit_tests --gtest_brief=1

$(BUILD)-fuzz/Makefile: CMakeLists.txt
	CXX=clang++ cmake -S . -B $(BUILD)-fuzz -DTOLLGATE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

fuzz-build: deps $(BUILD)-fuzz/Makefile
	cmake --build $(BUILD)-fuzz -j $(JOBS)

# A short bounded run of every fuzz target over its corpus (make test); `make fuzz` runs longer.
fuzz-smoke: fuzz-build
	FUZZ_SECONDS=5 tests/fuzz/run $(BUILD)-fuzz

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run $(BUILD)-fuzz

scenarios: build
	tests/scenarios/run

test: unit fuzz-smoke scenarios
	@echo "make test: all tiers passed"

demo: build
	tools/demo

bench: build
	tests/bench/run

install: build
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)/etc/tollgate
	install -m 0755 $(BUILD)/tollgated $(BUILD)/tollgatectl $(DESTDIR)$(PREFIX)/sbin/
	[ -e $(DESTDIR)/etc/tollgate/tollgate.conf ] || \
	  install -m 0644 daemon/config/default.conf $(DESTDIR)/etc/tollgate/tollgate.conf
	install -d $(DESTDIR)/lib/systemd/system $(DESTDIR)/usr/lib/sysusers.d \
	  $(DESTDIR)/usr/lib/tmpfiles.d $(DESTDIR)/etc/logrotate.d
	sed 's|/usr/local/|$(PREFIX)/|g' systemd/tollgated.service > $(DESTDIR)/lib/systemd/system/tollgated.service
	chmod 0644 $(DESTDIR)/lib/systemd/system/tollgated.service
	install -m 0644 systemd/tollgate.sysusers $(DESTDIR)/usr/lib/sysusers.d/tollgate.conf
	install -m 0644 systemd/tollgate.tmpfiles $(DESTDIR)/usr/lib/tmpfiles.d/tollgate.conf
	[ -e $(DESTDIR)/etc/logrotate.d/tollgate ] || \
	  install -m 0644 systemd/tollgate.logrotate $(DESTDIR)/etc/logrotate.d/tollgate
	@# On this machine (no DESTDIR): the user and its directories now, not at the next boot.
	if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
	  systemd-sysusers tollgate.conf && systemd-tmpfiles --create tollgate.conf; fi
	install -d $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 docs/man/tollgate.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 docs/man/tollgated.8 docs/man/tollgatectl.8 $(DESTDIR)$(PREFIX)/share/man/man8/

# The Debian package from a `make install DESTDIR=` tree (tools/make-deb; DEB_OUT= for elsewhere).
.PHONY: deb
deb:
	tools/make-deb -b $(BUILD) $(if $(DEB_OUT),-o $(DEB_OUT))

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz
