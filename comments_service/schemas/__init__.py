"""Request validation and response shapes, in one library (pydantic v2), one module per
api/ module (plus live and moderation).

Request models reject unknown fields. Response models are the one definition of each
shape: they read the service's dataclass themselves (base.OutModel.dump); tests validate
real responses against them so the OpenAPI document cannot drift from what the service
sends. The public comment and thread pages, the hot read path, are dumped by functions
compiled from those same models (serialize.compile_dump: dump_thread_page and the like),
so a page of 500 comments builds no pydantic object and no dict is written by hand.

Every name of the former schemas.py is importable from here.
"""

from __future__ import annotations

from comments_service.schemas.base import (
    ErrorDetail,
    ErrorOut,
    RowId,
    StrictModel,
    iso,
)
from comments_service.schemas.comments import (
    AnchorIn,
    AnchorOut,
    AuthorOut,
    CommentEdit,
    CommentOut,
    DeletedOut,
    HeldCommentOut,
    NewComment,
    PostedCommentOut,
    RepliesPageOut,
    RepliesQuery,
    SingleCommentOut,
    dump_posted_comment,
    dump_replies_page,
    dump_single_comment,
)
from comments_service.schemas.counts import (
    CountsOut,
    CountsQuery,
)
from comments_service.schemas.flags import (
    FlaggedOut,
    NewFlag,
)
from comments_service.schemas.form_tokens import (
    FormTokenOut,
)
from comments_service.schemas.passages import (
    PassageCountsOut,
    PassagesQuery,
    dump_passage_counts,
)
from comments_service.schemas.reader_data import (
    NewReaderDataRequest,
    ReaderDataRequestOut,
)
from comments_service.schemas.site_config import (
    PassagesConfigOut,
    PublicConfigOut,
)
from comments_service.schemas.subscriptions import (
    NewSubscription,
    SubscriptionOut,
)
from comments_service.schemas.threads import (
    SortOrder,
    ThreadOut,
    ThreadPageOut,
    ThreadQuery,
    dump_thread_page,
)
from comments_service.schemas.votes import (
    MyVotesOut,
    MyVotesQuery,
    NewVote,
    VoteOut,
)

__all__ = [
    "AnchorIn",
    "AnchorOut",
    "AuthorOut",
    "CommentEdit",
    "CommentOut",
    "CountsOut",
    "CountsQuery",
    "DeletedOut",
    "ErrorDetail",
    "ErrorOut",
    "FlaggedOut",
    "FormTokenOut",
    "HeldCommentOut",
    "MyVotesOut",
    "MyVotesQuery",
    "NewComment",
    "NewFlag",
    "NewReaderDataRequest",
    "NewSubscription",
    "NewVote",
    "PassageCountsOut",
    "PassagesConfigOut",
    "PassagesQuery",
    "PostedCommentOut",
    "PublicConfigOut",
    "ReaderDataRequestOut",
    "RepliesPageOut",
    "RepliesQuery",
    "RowId",
    "SingleCommentOut",
    "SortOrder",
    "StrictModel",
    "SubscriptionOut",
    "ThreadOut",
    "ThreadPageOut",
    "ThreadQuery",
    "VoteOut",
    "dump_passage_counts",
    "dump_posted_comment",
    "dump_replies_page",
    "dump_single_comment",
    "dump_thread_page",
    "iso",
]
