from tests.clinical.browser.conftest import page  # noqa: F401 - the workspace's Chromium fixture
