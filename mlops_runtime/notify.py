"""Alarm notifier Lambda: the alarm topic's notifications -> a chat webhook (Slack-compatible).

SNS invokes the function with the topic's messages (one record per message). For each record
the handler

1. reads the webhook URL from SSM (``GetParameter`` with decryption), once per container: the
   cached URL is dropped when a delivery fails, so a rotated URL is picked up on the retry;
2. renders a compact ``{"text": ...}`` payload: a CloudWatch metric or composite alarm becomes
   its state, name, description, reason, triggering children, system/environment, time and a
   console link; any other message (JSON or not) its subject and text;
3. POSTs it with ``urllib.request`` (no dependencies; redirects are not followed), retrying
   HTTP 5xx, 429 and network errors up to ``max_attempts`` attempts with a short exponential
   backoff; other answers (4xx, 3xx) fail at once.

When a message cannot be delivered the handler raises, so Lambda retries the asynchronous
invocation and then hands the event to the function's dead-letter queue. The URL is a secret:
it is never logged and never part of an exception message (network errors are reported by their
type only).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mlops_runtime.aws.clients import client
from mlops_runtime.aws.config_object import load_config
from mlops_runtime.contract.config import NotifyConfig
from mlops_runtime.core.logs import get_logger, log

LOGGER = get_logger("notify")

STATE_ICONS = {
    "ALARM": ":rotating_light:",
    "OK": ":white_check_mark:",
    "INSUFFICIENT_DATA": ":grey_question:",
}
MAX_TEXT_CHARS = 3000
"""Upper bound of a message's text (chat services cut or refuse longer ones)."""
MAX_REASON_CHARS = 600
MAX_CHILDREN = 5
"""Triggering children of a composite alarm listed by name."""
BACKOFF_SECONDS = 0.5
"""Wait before the first retry; doubled for each further retry."""
MAX_BACKOFF_SECONDS = 4.0
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Hosts a plain ``http://`` webhook may use (local relays, tests); anything else needs https."""
USER_AGENT = "mlops-spec-notifier"

sleep: Callable[[float], None] = time.sleep
"""How the retry backoff waits (replaceable in tests)."""


class NotifyError(RuntimeError):
    """A notification could not be delivered, or the webhook parameter is unusable."""


class DeliveryError(NotifyError):
    """Every attempt to POST one message failed (``problem`` never holds the URL)."""

    def __init__(self, problem: str, attempts: int) -> None:
        super().__init__(f"webhook delivery failed after {attempts} attempt(s): {problem}")
        self.problem = problem
        self.attempts = attempts


@dataclass(frozen=True)
class Message:
    """One rendered notification."""

    title: str
    """Alarm name or subject (for logs)."""
    state: str | None
    """The alarm's new state; None for other messages."""
    text: str

    def payload(self) -> bytes:
        return json.dumps({"text": self.text}).encode()


# --- the webhook URL -----------------------------------------------------------------------

_lock = threading.Lock()
_urls: dict[str, str] = {}


def webhook_url(config: NotifyConfig) -> str:
    """The URL held by ``config.webhook_parameter`` (cached per container)."""
    name = config.webhook_parameter
    with _lock:
        if name in _urls:
            return _urls[name]
    ssm = client("ssm", config.max_attempts)
    value = str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]).strip()
    _check_url(name, value)
    with _lock:
        _urls[name] = value
    return value


def forget_webhook_url(parameter: str | None = None) -> None:
    """Drop the cached URL of ``parameter`` (every cached URL when None)."""
    with _lock:
        if parameter is None:
            _urls.clear()
        else:
            _urls.pop(parameter, None)


def _check_url(parameter: str, url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    secure = parts.scheme == "https" and bool(parts.hostname)
    local = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    if not (secure or local):
        raise NotifyError(
            f"SSM parameter {parameter} does not hold an https:// webhook URL "
            "(plain http is accepted for loopback hosts only)"
        )


# --- rendering -----------------------------------------------------------------------------


def render(record: Mapping[str, Any], config: NotifyConfig) -> Message:
    """The message for one SNS record: an alarm notification, or any other message."""
    found = record.get("Sns")
    sns: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    raw = sns.get("Message")
    text = raw if isinstance(raw, str) else json.dumps(raw, default=str)
    subject = str(sns.get("Subject") or "")
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, Mapping) and body.get("AlarmName"):
        return _alarm_message(body, config, str(sns.get("TopicArn") or ""))
    if body is not None:  # JSON, but not an alarm: show it compactly
        text = json.dumps(body, separators=(",", ":"), sort_keys=True, default=str)
    return _plain_message(subject, text, config)


def _alarm_message(alarm: Mapping[str, Any], config: NotifyConfig, topic_arn: str) -> Message:
    name = str(alarm["AlarmName"])
    state = str(alarm.get("NewStateValue") or "UNKNOWN")
    old = alarm.get("OldStateValue")
    icon = STATE_ICONS.get(state, ":bell:")
    head = f"{icon} *{_escape(state)}*"
    if old and old != state:
        head += f" (was {_escape(str(old))})"
    lines = [f"{head}: {_escape(name)}"]
    if alarm.get("AlarmDescription"):
        lines.append(_escape(_cut(str(alarm["AlarmDescription"]), 300)))
    if alarm.get("NewStateReason"):
        lines.append("> " + _escape(_cut(str(alarm["NewStateReason"]), MAX_REASON_CHARS)))
    children = alarm.get("TriggeringChildren")
    if isinstance(children, list) and children:
        named = [_child_name(c) for c in children[:MAX_CHILDREN]]
        more = len(children) - len(named)
        listed = ", ".join(_escape(n) for n in named) + (f" and {more} more" if more else "")
        lines.append(f"Triggered by: {listed}")
    context = f"{_escape(config.system)} / {_escape(config.environment)}"
    if alarm.get("StateChangeTime"):
        context += f" · {_escape(str(alarm['StateChangeTime']))}"
    lines.append(context)
    link = console_link(name, str(alarm.get("AlarmArn") or ""), topic_arn)
    if link:
        lines.append(f"<{link}|Open in CloudWatch>")
    return Message(title=name, state=state, text=_cut("\n".join(lines), MAX_TEXT_CHARS))


def _plain_message(subject: str, text: str, config: NotifyConfig) -> Message:
    title = subject or "Notification"
    lines = [
        f":information_source: *{_escape(title)}*",
        _escape(_cut(text, MAX_TEXT_CHARS - 200)),
        f"{_escape(config.system)} / {_escape(config.environment)}",
    ]
    return Message(title=title, state=None, text=_cut("\n".join(lines), MAX_TEXT_CHARS))


def _child_name(child: Any) -> str:
    arn = str(child.get("Arn", "")) if isinstance(child, Mapping) else str(child)
    return arn.split(":alarm:", 1)[-1] or "?"


def console_link(alarm: str, alarm_arn: str, topic_arn: str) -> str | None:
    """The CloudWatch console page of ``alarm`` (partition and region from an ARN)."""
    for arn in (alarm_arn, topic_arn):
        parts = arn.split(":")
        if len(parts) > 4 and parts[0] == "arn" and parts[3]:
            partition, region = parts[1], parts[3]
            break
    else:
        return None
    host = {
        "aws-cn": f"{region}.console.amazonaws.cn",
        "aws-us-gov": "console.amazonaws-us-gov.com",
    }.get(partition, f"{region}.console.aws.amazon.com")
    query = urllib.parse.quote(alarm, safe="")
    return f"https://{host}/cloudwatch/home?region={region}#alarmsV2:alarm/{query}"


def _escape(text: str) -> str:
    """Slack's three control characters, escaped as its message format requires."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- delivery ------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook answering with a redirect fails instead of sending the alert elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, payload: bytes, config: NotifyConfig) -> tuple[int, int]:
    """POST ``payload``; (attempts, HTTP status) on success, else :class:`DeliveryError`."""
    for attempt in range(1, config.max_attempts + 1):
        request = urllib.request.Request(
            url,
            data=payload,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
        )
        retry_after: float | None = None
        try:
            with _opener.open(request, timeout=config.timeout_seconds) as response:
                response.read(4096)
                return attempt, int(response.status)
        except urllib.error.HTTPError as error:
            status = int(error.code)
            transient = status >= 500 or status == 429
            problem = f"HTTP {status}"
            retry_after = _retry_after(error.headers.get("Retry-After") if error.headers else None)
            error.close()
        except urllib.error.URLError as error:
            transient, problem = True, f"network error ({type(error.reason).__name__})"
        except (TimeoutError, ConnectionError) as error:
            transient, problem = True, f"network error ({type(error).__name__})"
        if not transient or attempt == config.max_attempts:
            raise DeliveryError(problem, attempt) from None
        wait = min(MAX_BACKOFF_SECONDS, BACKOFF_SECONDS * 2 ** (attempt - 1))
        if retry_after is not None:
            wait = min(MAX_BACKOFF_SECONDS, max(wait, retry_after))
        log(LOGGER, "webhook attempt failed; retrying", attempt=attempt, problem=problem, wait=wait)
        sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


# --- handler -------------------------------------------------------------------------------


def handler(event: Mapping[str, Any], context: Any) -> dict[str, int]:
    """Deliver every SNS record of ``event``; raises when any could not be delivered."""
    config = load_config(NotifyConfig)
    records = event.get("Records") if isinstance(event, Mapping) else None
    records = [r for r in records or [] if isinstance(r, Mapping)]
    if not records:
        log(LOGGER, "no SNS records in the event; nothing to deliver")
        return {"delivered": 0, "failed": 0}
    url = webhook_url(config)
    delivered = failed = 0
    for record in records:
        message = render(record, config)
        try:
            attempts, status = post(url, message.payload(), config)
        except DeliveryError as error:
            failed += 1
            log(
                LOGGER,
                "notification not delivered",
                logging.ERROR,
                title=message.title,
                state=message.state,
                attempts=error.attempts,
                problem=error.problem,
            )
            continue
        delivered += 1
        log(
            LOGGER,
            "notification delivered",
            title=message.title,
            state=message.state,
            attempts=attempts,
            status=status,
        )
    if failed:
        forget_webhook_url(config.webhook_parameter)  # re-read on the retry (rotated URL)
        raise NotifyError(
            f"{failed} of {len(records)} notification(s) could not be delivered to the webhook "
            f"of {config.webhook_parameter}"
        )
    return {"delivered": delivered, "failed": 0}
