"""Can Qt open a window on this desktop? If not, which system packages are missing?

Qt's X11 platform plugin (``xcb``) links against a dozen small X libraries that a desktop
install does not always have (``libxcb-cursor0``, ``libxcb-icccm4``, ``libxcb-keysyms1`` on
a fresh Debian). When one is missing, Qt aborts the process with a hint about one of them
only. So this runs *before* Qt starts, asks the dynamic linker (``ldd``) about the plugin,
and names every missing library with the package that ships it on this distribution.

No Qt import here (Qt cannot even load when these checks fail).

    python -m leaddesk.ui.platform_deps            # exit 0, or print what to install and exit 3
    python -m leaddesk.ui.platform_deps --install  # install what is missing (sudo unless root)

``run-app.sh`` runs it with ``--install-if-allowed``: it installs when running as root or
when ``LEADDESK_INSTALL_DEPS=1`` (then with sudo); ``LEADDESK_INSTALL_DEPS=0`` never does.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: soname -> (Debian/Ubuntu package, Fedora package, Arch package). Every library Qt's xcb
#: platform plugin needs that is not part of PySide6 itself.
LIBRARIES: dict[str, tuple[str, str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "xcb-util-image"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util", "xcb-util"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil", "xcb-util-renderutil"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb", "libxcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb", "libx11"),
    "libX11.so.6": ("libx11-6", "libX11", "libx11"),
    "libXau.so.6": ("libxau6", "libXau", "libxau"),
    "libXdmcp.so.6": ("libxdmcp6", "libXdmcp", "libxdmcp"),
    "libGL.so.1": ("libgl1", "libglvnd-glx", "libglvnd"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx", "libglvnd"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl", "libglvnd"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl", "libglvnd"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype", "freetype2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs", "dbus"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2", "glib2"),
}

#: What the README's set-up names: all of the above but GLib, which every desktop has (and
#: whose Debian package was renamed libglib2.0-0t64 in Debian 13 and Ubuntu 24.04).
README_SONAMES = [name for name in LIBRARIES if not name.startswith(("libglib", "libgthread"))]

FAMILIES = ("debian", "fedora", "arch")
FAMILY_NAMES = {"debian": "Debian/Ubuntu", "fedora": "Fedora", "arch": "Arch"}
_FAMILY_IDS = {
    "debian": {"debian", "ubuntu", "linuxmint", "pop", "elementary", "raspbian", "kali", "neon", "zorin"},
    "fedora": {"fedora", "rhel", "centos", "rocky", "almalinux", "nobara"},
    "arch": {"arch", "manjaro", "endeavouros", "garuda", "artix"},
}
EXIT_MISSING = 3


def install_command(family: str, packages: list[str], *, sudo: bool = True) -> list[str]:
    """The one command that installs ``packages`` on a distribution of this family."""
    base = {"debian": ["apt-get", "install", "-y"], "fedora": ["dnf", "install", "-y"],
            "arch": ["pacman", "-S", "--needed", "--noconfirm"]}[family]
    return (["sudo"] if sudo else []) + base + packages


def os_release(path: str | Path = "/etc/os-release") -> dict[str, str]:
    """``/etc/os-release`` as a dict (empty when there is none)."""
    values: dict[str, str] = {}
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return values
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.startswith("#"):
            try:
                values[key.strip()] = " ".join(shlex.split(value))
            except ValueError:
                values[key.strip()] = value.strip().strip('"')
    return values


def family_of(release: dict[str, str]) -> str | None:
    """debian, fedora or arch for this distribution (from ID, then ID_LIKE); None if unknown."""
    ids = [release.get("ID", "").lower()] + release.get("ID_LIKE", "").lower().split()
    for one in ids:
        for family, known in _FAMILY_IDS.items():
            if one in known:
                return family
    return None


def missing_in_ldd(output: str) -> list[str]:
    """The sonames ``ldd`` reports as ``not found``, in order, once each."""
    found: list[str] = []
    for match in re.finditer(r"^\s*(\S+)\s+=>\s+not found", output, re.MULTILINE):
        if match.group(1) not in found:
            found.append(match.group(1))
    return found


def qt_dir() -> Path | None:
    """The Qt folder inside the installed PySide6 (found without importing Qt)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).parent / "Qt"


def xcb_binaries(qt: Path | None = None) -> list[Path]:
    qt = qt_dir() if qt is None else qt
    if qt is None:
        return []
    candidates = [qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib" / "libQt6XcbQpa.so.6"]
    return [p for p in candidates if p.exists()]


def missing_libraries(binaries: list[Path] | None = None) -> list[str]:
    """Sonames the xcb plugin needs that the dynamic linker cannot find here."""
    binaries = xcb_binaries() if binaries is None else binaries
    missing: list[str] = []
    for binary in binaries:
        try:
            out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            return []  # no ldd (not glibc Linux): let Qt speak for itself
        missing += [name for name in missing_in_ldd(out) if name not in missing]
    return missing


def packages_for(sonames: list[str], family: str) -> tuple[list[str], list[str]]:
    """(packages to install, sonames no package is known for) on a distribution family."""
    column = FAMILIES.index(family)
    packages: list[str] = []
    unknown: list[str] = []
    for name in sonames:
        if name in LIBRARIES:
            package = LIBRARIES[name][column]
            if package not in packages:
                packages.append(package)
        else:
            unknown.append(name)
    return packages, unknown


def platform_in_use(env: dict[str, str]) -> str | None:
    """The Qt platform this environment will use: xcb, wayland, another plugin's name, or
    None when there is no display at all."""
    chosen = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen
    if env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE", "wayland") == "wayland":
        return "wayland"
    if env.get("DISPLAY"):
        return "xcb"
    return None


@dataclass(frozen=True)
class Problem:
    """Why no window can open, as one message; ``packages`` by family when that is the cure."""

    message: str
    packages: dict[str, list[str]]


def describe(missing: list[str], release: dict[str, str]) -> Problem:
    """The one message for missing libraries: which, and the exact command for this
    distribution first, then for the other families."""
    family = family_of(release)
    by_family = {f: packages_for(missing, f)[0] for f in FAMILIES}
    unknown = packages_for(missing, "debian")[1]
    lines = ["LeadDesk cannot open its window: Qt's X11 platform plugin (xcb) needs libraries "
             "this system does not have:", "  " + " ".join(missing)]
    qt_own = [name for name in unknown if name.startswith("libQt6") or name.startswith("libpyside")]
    if qt_own:
        lines.append("PySide6 itself looks incomplete: delete .venv and run ./run-app.sh again.")
    name = release.get("PRETTY_NAME") or release.get("NAME") or "this system"
    order = [family] + [f for f in FAMILIES if f != family] if family else list(FAMILIES)
    if not family:
        lines.append("Install them with your system's command:")
    for i, f in enumerate(order):
        if not by_family[f]:
            continue
        command = " ".join(install_command(f, by_family[f]))
        if i == 0 and family:
            lines.append(f"Install them on {name} with:")
            lines.append(f"  {command}")
            if len(order) > 1:
                lines.append("On other systems:")
        else:
            lines.append(f"  {FAMILY_NAMES[f]}: {command}")
    others = [n for n in unknown if n not in qt_own]
    if others:
        lines.append("Also install the package that provides: " + " ".join(others)
                     + " (Debian: apt-file search NAME; Fedora: dnf provides NAME).")
    lines.append("Or let ./run-app.sh install them: LEADDESK_INSTALL_DEPS=1 ./run-app.sh")
    return Problem("\n".join(lines), by_family)


def check(env: dict[str, str] | None = None, *, release: dict[str, str] | None = None,
          binaries: list[Path] | None = None) -> Problem | None:
    """None when Qt can open a window here; else what is wrong and how to fix it."""
    env = dict(os.environ) if env is None else env
    platform = platform_in_use(env)
    if platform is None:
        return Problem("LeadDesk cannot open its window: there is no display (neither DISPLAY nor "
                       "WAYLAND_DISPLAY is set). Start it from a desktop session, or on a virtual "
                       "screen: xvfb-run -a ./run-app.sh (Debian: apt-get install xvfb).", {})
    if platform != "xcb":
        return None
    missing = missing_libraries(binaries)
    if not missing:
        return None
    return describe(missing, os_release() if release is None else release)


def install(problem: Problem, release: dict[str, str] | None = None) -> int:
    """Run this distribution's install command for the problem's packages (sudo unless root)."""
    family = family_of(os_release() if release is None else release)
    packages = problem.packages.get(family or "", [])
    if not family or not packages:
        print(problem.message, file=sys.stderr)
        return EXIT_MISSING
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    command = install_command(family, packages, sudo=not root)
    print("Installing the libraries Qt needs to open a window: " + " ".join(command), file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if family == "debian":
        # A fresh container has no package lists yet; a stale one names old versions.
        subprocess.run((["sudo"] if not root else []) + ["apt-get", "update", "-qq"], env=env, check=False)
    result = subprocess.run(command, env=env, check=False)
    return 0 if result.returncode == 0 else EXIT_MISSING


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leaddesk.ui.platform_deps",
                                     description="Check that Qt can open a window here.")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--install", action="store_true", help="install what is missing (sudo unless root)")
    mode.add_argument("--install-if-allowed", action="store_true",
                      help="install when root or LEADDESK_INSTALL_DEPS=1 (never when it is 0)")
    args = parser.parse_args(argv)
    problem = check()
    if problem is None:
        return 0
    allowed = os.environ.get("LEADDESK_INSTALL_DEPS", "")
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    wants = args.install or (args.install_if_allowed and allowed != "0" and (root or allowed == "1"))
    if not wants or not problem.packages:
        print(problem.message, file=sys.stderr)
        return EXIT_MISSING
    if install(problem) != 0:
        return EXIT_MISSING
    again = check()
    if again is not None:
        print(again.message, file=sys.stderr)
        return EXIT_MISSING
    return 0


if __name__ == "__main__":
    sys.exit(main())
