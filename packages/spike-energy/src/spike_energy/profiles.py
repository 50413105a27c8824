"""Hardware energy profiles: energy per multiply-accumulate (MAC) and per accumulate (AC).

The default profile ``"45nm"`` holds the figures SNN papers use (Horowitz, ISSCC 2014, 45 nm CMOS,
32-bit floating point): ``E_MAC = 4.6 pJ`` (3.7 pJ multiply + 0.9 pJ add) and ``E_AC = 0.9 pJ``.
The other commonly cited 45 nm figures are kept in :data:`HOROWITZ_45NM` for user profiles and for
the optional memory-access model (:mod:`spike_energy.memory`).
"""

from __future__ import annotations

import dataclasses
import math

__all__ = [
    "HOROWITZ_45NM",
    "HardwareProfile",
    "get_profile",
    "list_profiles",
    "register_profile",
]

#: Horowitz (ISSCC 2014) 45 nm energies in joules. SRAM/DRAM entries are per 64-bit access.
HOROWITZ_45NM: dict[str, float] = {
    "fp32_add": 0.9e-12,
    "fp32_mult": 3.7e-12,
    "fp16_add": 0.4e-12,
    "fp16_mult": 1.1e-12,
    "int32_add": 0.1e-12,
    "int32_mult": 3.1e-12,
    "int8_add": 0.03e-12,
    "int8_mult": 0.2e-12,
    "sram_8kb_64bit": 10e-12,
    "sram_32kb_64bit": 20e-12,
    "sram_1mb_64bit": 100e-12,
    "dram_64bit_low": 1.3e-9,
    "dram_64bit_high": 2.6e-9,
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class HardwareProfile:
    """Energy per operation of one hardware target.

    Args:
        name: profile name.
        e_mac: energy of one multiply-accumulate, joules.
        e_ac: energy of one accumulate (addition), joules.
        description: one line saying where the numbers come from.

    Examples:
        >>> p = HardwareProfile(name="mine", e_mac=2e-12, e_ac=0.5e-12)
        >>> round(p.energy(macs=10, acs=4) * 1e12, 6)
        22.0
    """

    name: str
    e_mac: float
    e_ac: float
    description: str = ""

    def __post_init__(self) -> None:
        for field in ("e_mac", "e_ac"):
            value = getattr(self, field)
            if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{field} must be a finite non-negative number, got {value!r}")

    def energy(self, *, macs: float, acs: float) -> float:
        """Energy in joules of ``macs`` MACs and ``acs`` ACs.

        Args:
            macs: number of multiply-accumulates.
            acs: number of accumulates.

        Returns:
            ``e_mac * macs + e_ac * acs`` in joules.
        """
        return self.e_mac * macs + self.e_ac * acs


_H = HOROWITZ_45NM
_PROFILES: dict[str, HardwareProfile] = {}


def register_profile(profile: HardwareProfile, *, overwrite: bool = False) -> HardwareProfile:
    """Register a user profile under ``profile.name``.

    Args:
        profile: the profile.
        overwrite: replace an existing profile of the same name.

    Returns:
        The profile.

    Raises:
        ValueError: if the name is taken and ``overwrite`` is false.
    """
    if not isinstance(profile, HardwareProfile):
        raise TypeError(f"profile must be a HardwareProfile, got {type(profile).__name__}")
    if profile.name in _PROFILES and not overwrite:
        raise ValueError(f"hardware profile {profile.name!r} is already registered")
    _PROFILES[profile.name] = profile
    return profile


def get_profile(profile: str | HardwareProfile) -> HardwareProfile:
    """Resolve a profile name (or pass a profile through).

    Args:
        profile: a registered name (see :func:`list_profiles`) or a :class:`HardwareProfile`.

    Returns:
        The profile.

    Raises:
        ValueError: for an unknown name.
    """
    if isinstance(profile, HardwareProfile):
        return profile
    if profile not in _PROFILES:
        raise ValueError(f"unknown hardware profile {profile!r}; known: {sorted(_PROFILES)}")
    return _PROFILES[profile]


def list_profiles() -> list[str]:
    """Names of the registered hardware profiles, sorted."""
    return sorted(_PROFILES)


for _p in (
    HardwareProfile(
        name="45nm",
        e_mac=_H["fp32_mult"] + _H["fp32_add"],
        e_ac=_H["fp32_add"],
        description="45 nm CMOS, fp32 (Horowitz 2014): E_MAC 4.6 pJ, E_AC 0.9 pJ (SNN-paper default)",
    ),
    HardwareProfile(
        name="45nm-fp16",
        e_mac=_H["fp16_mult"] + _H["fp16_add"],
        e_ac=_H["fp16_add"],
        description="45 nm CMOS, fp16 (Horowitz 2014): E_MAC 1.5 pJ, E_AC 0.4 pJ",
    ),
    HardwareProfile(
        name="45nm-int32",
        e_mac=_H["int32_mult"] + _H["int32_add"],
        e_ac=_H["int32_add"],
        description="45 nm CMOS, int32 (Horowitz 2014): E_MAC 3.2 pJ, E_AC 0.1 pJ",
    ),
    HardwareProfile(
        name="45nm-int8",
        e_mac=_H["int8_mult"] + _H["int8_add"],
        e_ac=_H["int8_add"],
        description="45 nm CMOS, int8 (Horowitz 2014): E_MAC 0.23 pJ, E_AC 0.03 pJ",
    ),
):
    register_profile(_p)
