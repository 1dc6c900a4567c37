#!/usr/bin/env python
"""Django's command-line utility for WintEHR."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wintehr.settings")
    from django.core.exceptions import ImproperlyConfigured

    from wintehr.env import exit_on_bad_configuration

    with exit_on_bad_configuration():
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 - load settings now so a bad value fails here
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        sys.exit(f"wintehr: configuration error: {exc}")


if __name__ == "__main__":
    main()
