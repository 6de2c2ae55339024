#!/usr/bin/python3
"""A guest's browser on the captive portal: headless Chromium driven over the DevTools protocol
(CDP), for tests/scenarios/captive_browser.sh. Run inside the client namespace.

  captive_browser.py --start http://some-site.test/ --portal http://10.77.1.1:8080/ \
      --resolve-to 10.77.2.2 --expect-title 'tollgate lab origin' --expect-text 'It works.' \
      [--chromium /usr/bin/chromium] [--timeout 20] [--workdir DIR]

Steps: open --start (every name resolves to --resolve-to, except the portal's address); wait
until the tab shows the portal (URL under --portal, ?url= the start URL, a click-through form
with an accept checkbox); tick the box and click the form's submit button (Runtime.evaluate);
wait until the tab is back at the start URL with the expected title and text. Every step prints
one line "STEP name: detail" on stdout; the last line is "OK" or "FAIL: reason" (exit 0 / 1).
Uses only the standard library and the `websocket` module (Debian's python3-websocket).
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import websocket


class Fail(Exception):
    pass


def step(name, detail=""):
    print("STEP %s: %s" % (name, detail), flush=True)


class Browser:
    def __init__(self, chromium, workdir, resolve_to, portal_host, timeout):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="chromium-profile.", dir=workdir)
        self.log = open(os.path.join(workdir, "chromium.log"), "wb")
        rules = "MAP * %s, EXCLUDE %s, EXCLUDE localhost" % (resolve_to, portal_host)
        args = [
            chromium, "--headless=new", "--no-sandbox", "--remote-debugging-port=0",
            "--remote-debugging-address=127.0.0.1",
            "--user-data-dir=" + self.profile, "--host-resolver-rules=" + rules,
            "--no-proxy-server", "--no-first-run", "--no-default-browser-check",
            "--disable-gpu", "--disable-dev-shm-usage", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--disable-client-side-phishing-detection",
            "--metrics-recording-only", "--mute-audio", "--password-store=basic",
            "--use-mock-keychain",
            # plain http stays plain http (no HTTPS upgrade or HTTPS-first attempts)
            "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,"
            "HttpsFirstModeV2ForTypicallySecureUsers,MediaRouter,OptimizationHints,Translate",
            "about:blank",
        ]
        # its own process group: the whole tree goes down with it
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.ws = None
        self.next_id = 0
        self.events = []

    def close(self):
        if self.ws is not None:
            try:
                self.ws.close()
            except Exception:
                pass
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except Exception:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def connect(self):
        """The DevTools port from DevToolsActivePort, then the first page's websocket."""
        portfile = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + self.timeout
        port = None
        while port is None:
            if self.proc.poll() is not None:
                raise Fail("chromium exited with status %s (see chromium.log)" % self.proc.returncode)
            try:
                with open(portfile) as f:
                    first = f.readline().strip()
                if first.isdigit():
                    port = int(first)
            except FileNotFoundError:
                pass
            if port is None:
                if time.monotonic() > deadline:
                    raise Fail("no DevToolsActivePort after %ss" % self.timeout)
                time.sleep(0.05)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        page = None
        while page is None:
            with opener.open("http://127.0.0.1:%d/json/list" % port, timeout=5) as r:
                targets = json.load(r)
            page = next((t for t in targets if t.get("type") == "page"), None)
            if page is None:
                if time.monotonic() > deadline:
                    raise Fail("no page target: %s" % targets)
                time.sleep(0.05)
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=self.timeout,
                                              suppress_origin=True, http_no_proxy=["127.0.0.1"])
        step("devtools", "port %d, page %s" % (port, page.get("id")))

    def call(self, method, **params):
        self.next_id += 1
        mid = self.next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while True:
            if time.monotonic() > deadline:
                raise Fail("no answer to %s" % method)
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise Fail("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def evaluate(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise Fail("evaluate %r: %s" % (expr, r["exceptionDetails"].get("text")))
        return r.get("result", {}).get("value")

    def state(self):
        return self.evaluate(
            "({href: location.href, ready: document.readyState, title: document.title,"
            " text: document.body ? document.body.innerText : ''})")

    def wait(self, what, pred, secs):
        """Poll the page until pred(state) holds; the last state on timeout."""
        deadline = time.monotonic() + secs
        st = None
        while True:
            try:
                st = self.state()
            except Fail:
                st = None  # between documents
            if st is not None and st.get("ready") == "complete" and pred(st):
                return st
            if time.monotonic() > deadline:
                raise Fail("timed out after %ss waiting for %s; last page: %s"
                           % (secs, what, json.dumps(st)[:600]))
            time.sleep(0.1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--start", required=True)
    ap.add_argument("--portal", required=True)
    ap.add_argument("--resolve-to", required=True)
    ap.add_argument("--expect-title", required=True)
    ap.add_argument("--expect-text", required=True)
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--workdir", default=tempfile.gettempdir())
    a = ap.parse_args()
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        os.environ.pop(k, None)

    # killed by timeout(1): SystemExit, so `finally` takes chromium down
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    portal_host = urllib.parse.urlsplit(a.portal).hostname
    b = Browser(a.chromium, a.workdir, a.resolve_to, portal_host, a.timeout)
    try:
        b.connect()
        b.call("Page.enable")
        b.call("Runtime.enable")
        nav = b.call("Page.navigate", url=a.start)
        if nav.get("errorText"):
            raise Fail("navigate %s: %s" % (a.start, nav["errorText"]))
        step("navigate", a.start)

        # 1. the portal, with the original URL kept
        st = b.wait("the portal", lambda s: s["href"].startswith(a.portal), a.timeout)
        step("portal", st["href"])
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(st["href"]).query)
        if q.get("url") != [a.start]:
            raise Fail("the portal URL does not carry ?url=%s: %s" % (a.start, st["href"]))
        form = b.evaluate("""(() => {
            const cb = document.querySelector('form input[type=checkbox][name=accept]');
            if (!cb) return null;
            const f = cb.form;
            const v = n => (f.querySelector('input[name=' + n + ']') || {}).value || '';
            return {method: v('method'), url: v('url'), csrf: v('csrf').length,
                    action: f.action, submit: !!f.querySelector('button[type=submit],input[type=submit]'),
                    checked: cb.checked};
        })()""")
        step("form", json.dumps(form))
        if not form:
            raise Fail("the portal page has no form with an accept checkbox: %s" % st["text"][:400])
        if form["method"] != "clickthrough" or form["url"] != a.start or not form["csrf"] \
                or not form["submit"]:
            raise Fail("unexpected login form: %s" % json.dumps(form))
        if form["checked"]:
            raise Fail("the accept box is ticked before the guest ticks it")

        # 2. tick the box, click the button: the browser posts the form as a guest would
        clicked = b.evaluate("""(() => {
            const cb = document.querySelector('form input[type=checkbox][name=accept]');
            cb.click();
            if (!cb.checked) return 'checkbox not ticked';
            cb.form.querySelector('button[type=submit],input[type=submit]').click();
            return 'clicked';
        })()""")
        step("submit", clicked)
        if clicked != "clicked":
            raise Fail(clicked)

        # 3. back at the original page, served by the origin
        st = b.wait("the original page " + a.start,
                    lambda s: s["href"] == a.start and a.expect_text in s["text"], a.timeout)
        step("arrived", "%s title=%r" % (st["href"], st["title"]))
        if st["title"] != a.expect_title:
            raise Fail("title %r, expected %r" % (st["title"], a.expect_title))
        navs = [e["params"]["frame"]["url"] for e in b.events
                if e["method"] == "Page.frameNavigated" and not e["params"]["frame"].get("parentId")]
        step("navigations", " -> ".join(navs))
        print("OK", flush=True)
        return 0
    except (Fail, OSError, websocket.WebSocketException, ValueError) as e:
        print("FAIL: %s" % e, flush=True)
        return 1
    finally:
        b.close()


if __name__ == "__main__":
    sys.exit(main())
