"""The exception tree drawn in `importer.errors`: every leaf sits under one middle-layer class
a caller can catch, the exit code is the class's, and an internal error says so and exits 3
(the journal is consistent: the same command resumes)."""

from __future__ import annotations

import pytest

from importer import errors
from importer.exit_codes import ExitCode

TREE = {
    errors.UsageError: (
        errors.ConfigError,
        errors.SandboxError,
        errors.JournalUnavailable,
        errors.JournalDamaged,
        errors.JournalTooNew,
        errors.ImportNotFound,
        errors.RerunRefused,
        errors.LookupRefused,
        errors.ResolveRefused,
        errors.InboxUnsafe,
        errors.Unsupported,
    ),
    errors.RunStopped: (
        errors.ApiUnavailable,
        errors.QueryRefused,  # an ApiUnavailable: the API refused a lookup's filter
        errors.LookupRefusedWhilePosting,
        errors.AuthenticationFailed,
        errors.ImportLocked,
        errors.Interrupted,
        errors.JournalFailed,
        errors.JournalUnreadable,
        errors.ReportUnwritten,
    ),
}
EXIT = {
    errors.UsageError: ExitCode.USAGE,
    errors.FileRejected: ExitCode.USAGE,
    errors.RunStopped: ExitCode.INCOMPLETE,
    errors.NotificationFailed: ExitCode.INCOMPLETE,
    errors.InternalError: ExitCode.INCOMPLETE,
}


@pytest.mark.parametrize("middle", list(EXIT))
def test_each_middle_layer_has_its_exit_code(middle: type[errors.ImporterError]) -> None:
    assert issubclass(middle, errors.ImporterError)
    assert middle.exit_code is EXIT[middle]
    for leaf in TREE.get(middle, ()):
        assert issubclass(leaf, middle)
        assert leaf.exit_code is EXIT[middle]


def test_every_class_of_the_module_is_in_the_drawn_tree() -> None:
    classes = {
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.ImporterError)
    }
    drawn = {errors.ImporterError, *EXIT, *(leaf for leaves in TREE.values() for leaf in leaves)}
    assert classes == drawn
    for cls in classes:
        assert cls.__name__ in (errors.__doc__ or "")


def test_an_internal_error_says_so_and_keeps_its_cause() -> None:
    def lose_rows() -> None:
        try:
            {}["missing"]
        except KeyError as exc:
            raise errors.InternalError("validation lost rows") from exc

    with pytest.raises(errors.InternalError) as raised:
        lose_rows()
    caught = raised.value
    assert str(caught).startswith("internal error (validation lost rows)")
    assert "running the same command resumes" in str(caught)
    assert isinstance(caught.__cause__, KeyError)
    assert caught.exit_code is ExitCode.INCOMPLETE
