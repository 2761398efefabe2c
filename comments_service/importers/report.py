"""What an import tells its operator: counts, and everything it left out or changed."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from comments_service.importers.records import Skipped


@dataclass
class ImportReport:
    """What an import did: counts, and every item it left out with the reason."""

    threads_created: int = 0
    comments_imported: int = 0
    already_present: int = 0
    imported_by_status: Counter[str] = field(default_factory=Counter)
    emails_dropped: int = 0
    websites_dropped: int = 0
    anchors_dropped: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    # Author names longer than [comments] max_name_chars, cut: "comment 12 (on ...)".
    names_cut: list[str] = field(default_factory=list)
    # Approved on the old site, pending here: why (a password-protected post) -> count.
    held: Counter[str] = field(default_factory=Counter)
    # Article keys of threads created from plain permalinks (/?p=12), which a widget
    # finds only with data-article or another --key-from.
    plain_permalinks: list[str] = field(default_factory=list)


# WordPress's plain permalinks: a page's path is "/" and its query names the post.
PLAIN_PERMALINK = re.compile(r"^/\?(?:p|page_id|attachment_id)=\d+$")
