"""SparkConf: the key/value settings of an application, with PySpark's API."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable
from typing import cast, overload

#: ember's own settings are named ``spark.ember.*``, since spark-submit forwards only ``spark.*``
#: keys; the names they had before (``ember.checkpoint.keep``...) still work, with one warning
OWN_PREFIX = "spark.ember."
FORMER_PREFIX = "ember."
_warned_former_names: set[str] = set()


def current_setting_name(key: str) -> str:
    """``key``, or the ``spark.ember.*`` name of a setting given by its former ``ember.*`` name
    (warning once per name)."""
    if not key.startswith(FORMER_PREFIX):
        return key
    current = "spark." + key
    if key not in _warned_former_names:
        _warned_former_names.add(key)
        warnings.warn(
            f"the setting {key} is now named {current}; the old name still works for now",
            FutureWarning,
            stacklevel=3,
        )
    return current


class ConfigurationError(ValueError):
    """A setting or argument that cannot work (a malformed or unsupported master URL, a checkpoint
    directory that cannot be created): ``python -m ember run`` prints its message as one line."""


# Settings given on the command line (``python -m ember run --master ... --conf k=v``).  As with
# spark-submit, they fill in what the job's own SparkConf leaves unset.
_submit_defaults: dict[str, str] = {}


def set_submit_defaults(settings: dict[str, str]) -> None:
    """Install the command line's settings; every ``SparkConf(loadDefaults=True)`` sees them."""
    _submit_defaults.clear()
    _submit_defaults.update({current_setting_name(key): value for key, value in settings.items()})


_noticed_overrides: set[str] = set()


def notice_overridden_submit_settings(conf: SparkConf) -> None:
    """Say once on stderr (ember's log) when the job's own setting beats the command line's."""
    for key, given in _submit_defaults.items():
        used = conf.get(key)
        if used != given and key not in _noticed_overrides:
            _noticed_overrides.add(key)
            option = {"spark.master": "--master", "spark.app.name": "--name"}.get(key, "--conf")
            logging.getLogger("ember").warning(
                "The job sets %s=%s itself, which overrides %s from the command line (as with "
                "spark-submit, what the job's SparkConf sets wins)",
                key,
                used,
                f"{option} {given}" if option != "--conf" else f"--conf {key}={given}",
            )


class SparkConf:
    """Configuration for an ember application; setters return ``self`` so they chain."""

    def __init__(self, loadDefaults: bool = True, _jvm=None, _jconf=None):
        self._settings: dict[str, str] = dict(_submit_defaults) if loadDefaults else {}

    def set(self, key: str, value) -> SparkConf:
        self._settings[current_setting_name(key)] = str(value)
        return self

    def setIfMissing(self, key: str, value) -> SparkConf:
        self._settings.setdefault(current_setting_name(key), str(value))
        return self

    def setMaster(self, value: str) -> SparkConf:
        return self.set("spark.master", value)

    def setAppName(self, value: str) -> SparkConf:
        return self.set("spark.app.name", value)

    def setSparkHome(self, value: str) -> SparkConf:
        return self.set("spark.home", value)

    def setExecutorEnv(
        self, key: str | None = None, value: str | None = None, pairs: Iterable[tuple[str, str]] | None = None
    ) -> SparkConf:
        if (key is None) == (pairs is None):
            raise ValueError("setExecutorEnv takes either a key and a value, or pairs")
        for k, v in pairs if pairs is not None else cast("list[tuple[str, str]]", [(key, value)]):
            self.set(f"spark.executorEnv.{k}", v)
        return self

    def setAll(self, pairs: Iterable[tuple[str, str]]) -> SparkConf:
        for key, value in pairs:
            self.set(key, value)
        return self

    @overload
    def get(self, key: str) -> str | None: ...

    @overload
    def get(self, key: str, defaultValue: None) -> str | None: ...

    @overload
    def get(self, key: str, defaultValue: str) -> str: ...

    def get(self, key: str, defaultValue: str | None = None) -> str | None:
        return self._settings.get(current_setting_name(key), defaultValue)

    def getAll(self) -> list[tuple[str, str]]:
        return list(self._settings.items())

    def contains(self, key: str) -> bool:
        return current_setting_name(key) in self._settings

    def toDebugString(self) -> str:
        return "\n".join(f"{k}={v}" for k, v in self._settings.items())

    def __repr__(self) -> str:
        return f"SparkConf({self._settings!r})"
