"""Meta-tests over the registry and the packs (cloud-custodian style): every registered check is
usable from a pack with `params: {}`, explains itself, and is referenced by some pack."""

from __future__ import annotations

import pytest

from rules.packs import load_pack, pack_ids
from rules.registry import checks

REGISTERED = sorted(checks())
USED = {rule.check for p in pack_ids() for _, rule in load_pack(p).rules()}


@pytest.mark.parametrize("name", REGISTERED)
def test_registered_check_has_a_docstring_and_default_params(name: str) -> None:
    check = checks()[name]
    assert check.name == name
    assert (check.__doc__ or "").strip(), f"{name} needs a docstring (policy show uses it)"
    check.Params()  # `params: {}` in a pack must be valid
    assert set(check.subjects) <= {"post", "profile", "account", "media"}


@pytest.mark.parametrize("name", REGISTERED)
def test_registered_check_is_used_by_some_pack(name: str) -> None:
    assert name in USED, f"check {name!r} is registered but no pack uses it"


def test_confidentiality_is_registered() -> None:
    assert "confidentiality" in REGISTERED
