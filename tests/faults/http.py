"""A person at the desk over real HTTP (stdlib only): signs in, keeps the session cookie,
sends the CSRF token, never follows redirects (the answer itself is what is checked)."""

import http.cookiejar
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Answer:
    status: int  # 0: no answer at all (connection refused / reset / timed out)
    body: str
    seconds: float
    location: str = ""

    def json(self) -> Any:
        return json.loads(self.body)


class Person:
    def __init__(self, base_url: str, timeout: float = 60) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )
        self.token = ""

    def csrf(self) -> str:
        return next((c.value or "" for c in self.cookies if c.name == "csrftoken"), "")

    def send(
        self, method: str, path: str, data: dict[str, Any] | None = None, *, body: bytes = b"",
        content_type: str = "", headers: dict[str, str] | None = None,
    ) -> Answer:  # fmt: skip
        all_headers = {"Referer": self.base_url + path, **(headers or {})}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}).encode()
            content_type = "application/x-www-form-urlencoded"
        if content_type:
            all_headers["Content-Type"] = content_type
        if method != "GET":
            all_headers["X-CSRFToken"] = self.csrf()
        request = urllib.request.Request(
            self.base_url + path, data=body or None, method=method, headers=all_headers
        )
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                text = response.read().decode("utf-8", "replace")
                status, location = response.status, response.headers.get("Location", "")
        except urllib.error.HTTPError as error:
            text = error.read().decode("utf-8", "replace")
            status, location = error.code, error.headers.get("Location", "")
        except (OSError, urllib.error.URLError) as error:
            text, status, location = str(error), 0, ""
        return Answer(status, text, time.monotonic() - started, location)

    def get(self, path: str) -> Answer:
        return self.send("GET", path)

    def post(self, path: str, data: dict[str, Any]) -> Answer:
        return self.send("POST", path, data)

    def sign_in(self, username: str, password: str) -> "Person":
        self.get("/sign-in/")
        answer = self.post("/sign-in/", {"username": username, "password": password})
        assert answer.status == 302, (answer.status, answer.body[:300])
        return self
