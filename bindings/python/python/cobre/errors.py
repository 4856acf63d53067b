"""The exceptions of Cobre.

Every error raised by the library is a :class:`CobreError`. The subclasses
also derive from the matching Python built-in, so ``except ValueError`` /
``except OSError`` / ``except RuntimeError`` keep working:

=====================  ======================  ====================================
class                  also a                  raised for
=====================  ======================  ====================================
:class:`ValidationError`  ``ValueError``       a case, setting or argument that is
                                               invalid (carries every finding)
:class:`SolverError`   ``RuntimeError``        an LP that could not be solved
                                               (``stage``, ``iteration``,
                                               ``scenario``, ``solver_status``)
:class:`IOError`       ``OSError``             a file that cannot be read/written
:class:`WorkerError`   ``RuntimeError``        a worker process that failed or died
                                               (``rank``, ``exit_code``, ``inner``)
:class:`CobreError`    ``Exception``           anything else, e.g.
                                               ``kind="InternalPanic"`` for a bug
=====================  ======================  ====================================

The classes are raised by the native module (the mapping from the Rust
error enum lives in one place, ``bindings/python/src/errors.rs``); they can
also be raised from Python code with keyword arguments.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CobreError", "ValidationError", "SolverError", "IOError", "WorkerError"]


class CobreError(Exception):
    """Base class of every Cobre exception.

    Attributes:
        kind: stable machine-readable name of the error kind, from the
            error kind registry (``"SchemaViolation"``, ``"OutOfRange"``,
            ``"SolverFailure"``, ``"IoError"``, ``"OutputCorrupted"``,
            ``"WorkerFailed"``, ``"Internal"``, ``"InternalPanic"``, ...).
        message: the human-readable description.
        context: where it happened (file, entity, stage, ...), a dict.
        suggestion: what to check or change, or ``None``.
    """

    kind: str = "CobreError"
    context: dict[str, Any]
    suggestion: str | None = None

    def __init__(
        self,
        message: str = "",
        *,
        kind: str | None = None,
        context: dict[str, Any] | None = None,
        suggestion: str | None = None,
        **attributes: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        if kind is not None:
            self.kind = kind
        self.context = dict(context or {})
        if suggestion is not None:
            self.suggestion = suggestion
        for name, value in attributes.items():
            setattr(self, name, value)

    def __str__(self) -> str:
        text = f"[{self.kind}] {self.message}"
        if self.suggestion:
            text += f" (hint: {self.suggestion})"
        return text


class ValidationError(CobreError, ValueError):
    """A case, a setting or an argument is invalid.

    ``kind`` is the registry kind of the first error finding (``"MissingFile"``,
    ``"SchemaViolation"``, ...) or of the bad argument (``"TypeMismatch"``,
    ``"OutOfRange"``, ``"InvalidEnum"``); ``context`` locates it.

    Attributes:
        findings: every finding of the validation (list of :class:`cobre.Finding`).
        errors: the error findings only.
        warnings: the warning findings only.
    """

    kind = "SchemaViolation"
    findings: list[Any] = []
    errors: list[Any] = []
    warnings: list[Any] = []


class SolverError(CobreError, RuntimeError):
    """An LP of the SDDP algorithm could not be solved.

    Attributes:
        stage: stage index (0-based) of the failed solve, or ``None``.
        iteration: training iteration (1-based; 0 in simulation), or ``None``.
        scenario: forward scenario / trial state index, or ``None``.
        solver_status: the solver's status or error text, or ``None``.
    """

    kind = "SolverFailure"
    stage: int | None = None
    iteration: int | None = None
    scenario: int | None = None
    solver_status: str | None = None


class IOError(CobreError, OSError):  # noqa: A001 - cobre.IOError on purpose
    """A file or directory could not be read or written (``filename`` names it)."""

    kind = "IoError"


class WorkerError(CobreError, RuntimeError):
    """A worker process of a multi-process run failed or died (the others
    were ended), or the exchange between workers failed.

    Attributes:
        rank: the failed worker's rank, or ``None``.
        exit_code: its exit code (negative: killed by that signal), or ``None``.
        inner: what the worker reported (``{"type", "kind", "message"}``), or
            ``None`` when it died without a word.
    """

    kind = "WorkerFailed"
    rank: int | None = None
    exit_code: int | None = None
    inner: dict[str, Any] | None = None
