"""``python -m mock_server``: same as ``moonkey-mock``."""

from .cli import main

raise SystemExit(main())
