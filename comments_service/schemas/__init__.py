"""Request validation and response shapes, in one library (pydantic v2), one module per
api/ module (plus live and moderation).

Request models reject unknown fields. Response models are the one definition of each
shape: most read the service's dataclass themselves (base.OutModel.dump); tests validate
real responses against them so the OpenAPI document cannot drift from what the service
sends. The public comment and thread pages are the exception: comments.comment_dict and
threads.thread_page_dict build plain dicts from the rows, because a page of 500 comments
should not build 500 pydantic objects only to dump them again.

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
    anchor_dict,
    comment_dict,
    replies_page_dict,
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
    passage_counts_dict,
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
    thread_dict,
    thread_page_dict,
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
    "anchor_dict",
    "comment_dict",
    "iso",
    "passage_counts_dict",
    "replies_page_dict",
    "thread_dict",
    "thread_page_dict",
]
