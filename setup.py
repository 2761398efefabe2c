"""The install's one build step: compile the server's gettext catalogues (issue 20).

Every ``comments_service/translations/LANG/LC_MESSAGES/messages.po`` is compiled to its
``messages.mo`` before the package's files are collected, so `pip install .` (a wheel)
and `pip install -e .` (`make run`, `make test`) both ship them: nothing to run by hand.
The .mo files are build output (gitignored). Should one still be missing or older than
its .po, comments_service/languages.py compiles the .po in memory instead.
Everything else about the package is in pyproject.toml.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

TRANSLATIONS = Path(__file__).resolve().parent / "comments_service" / "translations"


def compile_catalogues(root: Path = TRANSLATIONS) -> int:
    """Write each .po's .mo beside it (fuzzy entries left out, as msgfmt does)."""
    count = 0
    for po in sorted(root.glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=po.parent.parent.name)
        with po.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        count += 1
    return count


class BuildWithCatalogues(build_py):
    """build_py, after compiling the catalogues (it runs for wheels and editable installs)."""

    def run(self) -> None:
        compile_catalogues()
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogues})
