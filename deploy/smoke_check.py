"""The checks of deploy/smoke.sh, against nginx (HTTPS) in front of gunicorn (production settings).

Standard library only: it runs with the system's python3, outside the installed venv. Clients connect
from different loopback addresses (127.0.0.2, 127.0.0.3, …) so that nginx sees different clients, as
it would on the city's network. Exits non-zero at the first failed check, saying which."""

import argparse
import http.client
import io
import os
import re
import ssl
import sys
import time
import zipfile
from http.cookies import SimpleCookie
from urllib.parse import urlencode

PASSWORD = os.environ["SMOKE_PASSWORD"]
MB = 1024 * 1024


class Failed(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failed(what)
    print(f"ok   {what}")


class Browser:
    """One client: its own source address, cookies, and the Referer a browser sends (CSRF over HTTPS)."""

    def __init__(self, args, source="127.0.0.2"):
        self.args, self.source, self.cookies = args, source, {}
        self.context = ssl.create_default_context(cafile=args.cafile)
        self.origin = f"https://localhost:{args.https_port}"

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPSConnection(
            "localhost", self.args.https_port, context=self.context, source_address=(self.source, 0), timeout=60
        )
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers.setdefault("Referer", self.origin + path)
            headers.setdefault("Origin", self.origin)
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        conn.close()
        return response, data

    def csrf(self, path):
        response, data = self.request("GET", path)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', data)
        if response.status != 200 or not match:
            raise Failed(f"GET {path}: {response.status}, no CSRF token")
        return match.group(1).decode()

    def login(self, username, password, extra_headers=None):
        token = self.csrf("/login/")
        body = urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
        headers = {"Content-Type": "application/x-www-form-urlencoded", **(extra_headers or {})}
        return self.request("POST", "/login/", body=body, headers=headers)

    def upload(self, path, filename, content):
        token = self.csrf(path)
        boundary = "----auditreg-smoke-boundary"
        body = b"".join(
            [
                f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'.encode(),
                f"{token}\r\n".encode(),
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'.encode(),
                b"Content-Type: application/zip\r\n\r\n",
                content,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        return self.request(
            "POST", path, body=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )


def security_headers(args):
    browser = Browser(args)
    response, _ = browser.request("GET", "/login/")
    h = response.msg
    check(response.status == 200, "GET /login/ over HTTPS: 200")
    check("max-age=31536000" in (h.get("Strict-Transport-Security") or ""), "HSTS on the page")
    check(h.get("X-Content-Type-Options") == "nosniff", "X-Content-Type-Options: nosniff")
    check(h.get("X-Frame-Options") == "DENY", "X-Frame-Options: DENY")
    check(h.get("Referrer-Policy") == "same-origin", "Referrer-Policy: same-origin")
    csp = h.get("Content-Security-Policy") or ""
    check("default-src 'self'" in csp and "frame-ancestors 'none'" in csp, "Content-Security-Policy")
    cookie = " ".join(h.get_all("Set-Cookie") or [])
    check("csrftoken=" in cookie and "Secure" in cookie, "CSRF cookie is Secure")
    server_headers(h, "nginx page")
    # the plain HTTP port only redirects
    conn = http.client.HTTPConnection("127.0.0.1", args.http_port, timeout=10)
    conn.request("GET", "/login/", headers={"Host": "localhost"})
    redirect = conn.getresponse()
    check(
        redirect.status == 301 and redirect.getheader("Location", "").startswith("https://localhost"),
        "HTTP answers 301 to HTTPS",
    )
    server_headers(redirect.msg, "nginx redirect")
    # an error page from nginx itself names no version either
    response, data = browser.request("GET", "/static/does-not-exist.css")
    check(response.status == 404 and not re.search(rb"nginx/\d", data), "nginx 404 page names no version")


def server_headers(headers, where):
    servers = headers.get_all("Server") or []
    check(all(not re.search(r"\d", s) for s in servers), f"{where}: Server header names no version ({servers})")


def page_and_css(args):
    browser = Browser(args)
    response, _ = browser.login("smoke-auditor", PASSWORD)
    check(response.status == 302, "login over HTTPS: 302")
    check("sessionid" in browser.cookies, "session cookie set")
    location = response.getheader("Location")
    for _ in range(3):  # "/" sends each role on to its own start page (the dashboard for the audit office)
        response, page = browser.request("GET", location)
        if response.status not in (301, 302, 303):
            break
        location = response.getheader("Location")
    check(
        response.status == 200 and b'lang="ja"' in page and "監査".encode() in page,
        f"the start page after login ({location}): 200, in Japanese",
    )
    css_path = re.search(rb'href="(/static/css/[^"]+\.css)"', page)
    check(css_path is not None, "the page links its stylesheet")
    css_response, css = browser.request("GET", css_path.group(1).decode())
    with open(args.css, "rb") as f:
        expected = f.read()
    check(
        css_response.status == 200 and css == expected, f"{css_path.group(1).decode()} from nginx: 200, the app's CSS"
    )
    check((css_response.getheader("Content-Type") or "").startswith("text/css"), "CSS served as text/css")
    # gunicorn alone (whitenoise) serves it too, and hides its version
    conn = http.client.HTTPConnection("127.0.0.1", args.app_port, timeout=10)
    conn.request("GET", "/static/css/app.css", headers={"Host": "localhost", "X-Forwarded-Proto": "https"})
    direct = conn.getresponse()
    check(direct.status == 200 and direct.read() == expected, "gunicorn itself serves /static/css/app.css (whitenoise)")
    server_headers(direct.msg, "gunicorn")
    return browser


def uploads(browser):
    response, bundle = browser.request("GET", "/imports/bundle.zip?report=kanazawa-2024-dx")
    check(response.status == 200 and bundle[:2] == b"PK", "the report bundle downloads as zip")
    limit = 20 * MB
    near = _padded(bundle, limit - 256 * 1024)
    started = time.monotonic()
    response, _ = browser.upload("/imports/new/", "near-limit.zip", near)
    check(
        response.status == 302 and re.match(r"/imports/\d+/$", response.getheader("Location", "")),
        f"upload of {len(near) / MB:.1f} MB (limit 20 MB) reaches the app and is staged for preview "
        f"({time.monotonic() - started:.1f} s)",
    )
    preview, page = browser.request("GET", response.getheader("Location"))
    check(preview.status == 200 and "取り込む".encode() in page, "the preview page of that upload: 200")
    over = _padded(bundle, limit + 256 * 1024)
    response, page = browser.upload("/imports/new/", "over-limit.zip", over)
    check(
        response.status == 400 and "ファイルが大きすぎます".encode() in page,
        f"upload of {len(over) / MB:.1f} MB: refused by the app with its Japanese message (not nginx's 413)",
    )


def _padded(bundle: bytes, size: int) -> bytes:
    """The bundle zip plus one stored member of random bytes, to `size` bytes in all (an unknown file:
    the import warns and skips it)."""
    buffer = io.BytesIO(bundle)
    with zipfile.ZipFile(buffer, "a") as archive:
        padding = size - len(bundle) - 200
        archive.writestr(zipfile.ZipInfo("kanazawa-2024-dx/padding.bin"), os.urandom(padding), zipfile.ZIP_STORED)
    data = buffer.getvalue()
    return data


def lockout_through_the_proxy(args):
    attacker = Browser(args, source="127.0.0.2")
    for i in range(5):
        # the attacker also claims to be 127.0.0.3 in its own X-Forwarded-For: nginx appends the truth
        attacker.login(f"guess{i}", "wrong-password", extra_headers={"X-Forwarded-For": "127.0.0.3"})
    response, _ = attacker.login("smoke-other", PASSWORD)
    check(response.status == 429, "after 5 bad passwords the attacking client (127.0.0.2) is locked out")
    other = Browser(args, source="127.0.0.3")
    response, _ = other.login("smoke-other", PASSWORD)
    check(response.status == 302, "another client (127.0.0.3) behind the same nginx still signs in")


def main():
    parser = argparse.ArgumentParser()
    for name in ("--https-port", "--http-port", "--app-port"):
        parser.add_argument(name, type=int, required=True)
    parser.add_argument("--cafile", required=True)
    parser.add_argument("--css", required=True)
    parser.add_argument("--fixtures", required=True)
    args = parser.parse_args()
    try:
        security_headers(args)
        browser = page_and_css(args)
        uploads(browser)
        lockout_through_the_proxy(args)
    except Failed as exc:
        print(f"FAIL {exc}", file=sys.stderr)
        return 1
    print("all smoke checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
