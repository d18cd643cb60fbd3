"""PySpark's error classes (``pyspark.errors``) for the errors ember raises as PySpark does.

PySpark 4 raises some errors with an error class: the message starts with the class in
brackets, and ``getCondition()`` / ``getMessageParameters()`` return its parts.  ember raises
those under the same names and with the same text, so ``except PySparkRuntimeError`` and
tests matching the message port by changing the import.
"""

from __future__ import annotations

_MESSAGES = {
    "CONTEXT_ONLY_VALID_ON_DRIVER": (
        "It appears that you are attempting to reference SparkContext from a broadcast variable, "
        "action, or transformation. SparkContext can only be used on the driver, not in code "
        "that runs on workers. For more information, see SPARK-5063."
    ),
    "PIPE_FUNCTION_EXITED": "Pipe function `<func_name>` exited with error code <error_code>.",
}


class PySparkException(Exception):
    """An error with an error class; ``str()`` is ``[CLASS] message`` as in PySpark."""

    def __init__(self, errorClass: str, messageParameters: dict[str, str] | None = None):
        self._condition = errorClass
        self._parameters = dict(messageParameters or {})
        message = _MESSAGES[errorClass]
        for name, value in self._parameters.items():
            message = message.replace(f"<{name}>", value)
        super().__init__(f"[{errorClass}] {message}")

    def getCondition(self) -> str:
        return self._condition

    def getErrorClass(self) -> str:
        return self._condition

    def getMessageParameters(self) -> dict[str, str]:
        return dict(self._parameters)

    def getMessage(self) -> str:
        return str(self)

    def __reduce__(self):  # raised in workers, re-raised on the driver
        return type(self), (self._condition, self._parameters)


class PySparkRuntimeError(PySparkException, RuntimeError):
    """PySpark's RuntimeError with an error class."""
