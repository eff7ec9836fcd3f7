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


@pytest.mark.parametrize("name", REGISTERED)
def test_each_check_declares_its_own_params_model_as_its_type_argument(name: str) -> None:
    """`class X(Check[XParams])`: the model the engine validates a pack's params with is the
    type `run` is checked against, not the base model."""
    from typing import get_args

    from rules.base import Check, CheckParams

    check = checks()[name]
    declared = [get_args(b) for b in getattr(check, "__orig_bases__", ()) if b.__origin__ is Check]
    assert declared and declared[0][0] is check.Params
    assert check.Params is not CheckParams


def test_a_check_without_a_type_argument_keeps_the_empty_params_model() -> None:
    from rules.base import Check, CheckContext, CheckParams, Hit, Target

    class Bare(Check):  # type: ignore[type-arg]
        name = "bare"

        def run(self, target: Target, params: CheckParams, ctx: CheckContext) -> list[Hit]:
            return []

    assert Bare.Params is CheckParams
