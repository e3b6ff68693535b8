"""Shared pieces of the widgets: event hooks, error and status boxes, PNG images.

Conventions every widget follows (the browser tests and the how-to rely on them):

- the widget is an :class:`ipywidgets.VBox` subclass with CSS class ``tk-widget`` and its own
  ``tk-<name>`` class; the controls users touch carry stable classes (``tk-run``, ``tk-site``,
  ``tk-time`` ...);
- it writes what it shows into a status line (``tk-status``: "3 curves ...") and errors into an
  error box (``tk-error``) with the message, and the traceback when there is one, so a failure
  is visible in Voila instead of disappearing into the kernel log;
- events are ``on_<event>(callback, remove=False)`` methods backed by
  :class:`ipywidgets.CallbackDispatcher`;
- plots are PNG images (:class:`ipywidgets.Image`), so they work in Voila without a plotting
  extension and tests can check the bytes.
"""

from __future__ import annotations

import functools
import html
import traceback as tb
from collections.abc import Callable
from typing import Any

import ipywidgets as w

__all__ = ["esc", "error_html", "HookMixin", "guarded", "image_widget", "hide", "show"]

_ERROR_STYLE = ("border-left:4px solid #c62828;background:#fdecea;padding:6px 10px;"
                "margin:4px 0;color:#611a15;font-size:13px;max-width:900px")
_EMPTY_STYLE = "color:#555;font-style:italic;padding:6px 0"


def esc(value: object) -> str:
    """HTML-escape ``value``."""
    return html.escape(str(value), quote=True)


def error_html(message: str, traceback: str | None = None) -> str:
    """An error box: the message, and the traceback in a collapsible block."""
    body = f"<b>Error:</b> {esc(message)}"
    if traceback:
        body += ("<details open><summary>traceback</summary><pre style='white-space:pre-wrap;"
                 f"font-size:11px;max-height:320px;overflow:auto'>{esc(traceback)}</pre>"
                 "</details>")
    return f"<div class='tk-error-box' style='{_ERROR_STYLE}'>{body}</div>"


def empty_html(message: str) -> str:
    """An empty-state line."""
    return f"<div class='tk-empty-box' style='{_EMPTY_STYLE}'>{esc(message)}</div>"


def hide(widget: w.Widget) -> None:
    widget.layout.display = "none"


def show(widget: w.Widget, display: str = "") -> None:
    widget.layout.display = display or None


def image_widget(width: str, cls: str = "tk-plot") -> w.Image:
    """An empty PNG image widget with a fixed width (a VBox would stretch it)."""
    img = w.Image(format="png", layout=w.Layout(width=width, height="auto"))
    img.add_class(cls)
    return img


class HookMixin:
    """``on_<event>`` hooks: :meth:`_hook` returns the dispatcher of an event, :meth:`_fire`
    calls its callbacks (an exception in a callback is logged, never raised into the
    widget)."""

    _hooks: dict[str, w.CallbackDispatcher]

    def _hook(self, event: str) -> w.CallbackDispatcher:
        hooks = self.__dict__.setdefault("_hooks", {})
        if event not in hooks:
            hooks[event] = w.CallbackDispatcher()
        return hooks[event]

    def _register(self, event: str, callback: Callable[..., Any], remove: bool) -> None:
        self._hook(event).register_callback(callback, remove=remove)

    def _fire(self, event: str, *args: Any) -> None:
        self._hook(event)(*args)


class ErrorBoxMixin:
    """An error box (``tk-error``) and a status line (``tk-status``)."""

    error: w.HTML
    status_line: w.HTML

    def _init_messages(self) -> None:
        self.status_line = w.HTML("")
        self.status_line.add_class("tk-status")
        self.error = w.HTML("")
        self.error.add_class("tk-error")

    @property
    def error_message(self) -> str:
        """Text of the error shown (empty when none)."""
        return self.__dict__.get("_error_message", "")

    def show_error(self, message: str, traceback: str | None = None) -> None:
        self.__dict__["_error_message"] = message
        self.error.value = error_html(message, traceback)

    def clear_error(self) -> None:
        self.__dict__["_error_message"] = ""
        self.error.value = ""

    def set_status(self, text: str, *, html_text: str | None = None) -> None:
        self.__dict__["_status_text"] = text
        self.status_line.value = html_text if html_text is not None else esc(text)

    @property
    def status_text(self) -> str:
        """The status line as plain text."""
        return self.__dict__.get("_status_text", "")


def guarded(what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a handler so that an exception shows in the widget's error box (``what``
    failed: message) instead of vanishing into the kernel log."""

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(self, *args, **kwargs)
            except Exception as exc:  # shown to the user, with the traceback for bugs
                from toolkit.errors import ToolkitError

                detail = None if isinstance(exc, ToolkitError | ValueError | KeyError |
                                                OSError) else tb.format_exc()
                text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
                self.show_error(f"{what}: {text or type(exc).__name__}", detail)
                return None

        return wrapper

    return decorator
