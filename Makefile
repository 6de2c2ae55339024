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
  nginx-light wrk squid haproxy systemd freeradius chromium python3-websocket dnsmasq-base

.PHONY: all deps build test unit fuzz-smoke fuzz scenarios demo bench install clean

all: build

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing $$missing"; \
	  apt-get update -qq || true; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  for s in nginx squid haproxy freeradius; do systemctl disable --now $$s >/dev/null 2>&1 || true; \
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
	install -d $(DESTDIR)/lib/systemd/system
	sed 's|/usr/local/sbin|$(PREFIX)/sbin|g' systemd/tollgated.service > $(DESTDIR)/lib/systemd/system/tollgated.service
	chmod 0644 $(DESTDIR)/lib/systemd/system/tollgated.service

clean:
	rm -rf $(BUILD) $(BUILD)-fuzz
