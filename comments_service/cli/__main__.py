"""`python -m comments_service.cli`: the same command as `comments-service`."""

from comments_service.cli import main

main()
