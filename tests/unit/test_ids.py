"""The ids apkdrop mints."""

from apkdrop.ids import OPAQUE_ID, new_opaque_id


def test_an_opaque_id_never_starts_with_a_dash() -> None:
    """One in 64 did, and `apkdrop app delete -zuP...` then read the id as an option."""
    minted = [new_opaque_id() for _ in range(5000)]
    assert not [opaque for opaque in minted if opaque.startswith("-")]
    assert all(OPAQUE_ID.match(opaque) for opaque in minted)
    assert len(set(minted)) == len(minted)
