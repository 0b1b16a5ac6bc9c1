"""``--moonkey-contract FILE``: the test session's calls to the fake, written as one contract.

Before each test's ``moonkey_mock`` app is torn down (and deleted with its journal), the app's
journal and outbox are read over the control API and turned into interactions. At the end of
the session they are merged (repeated interactions collapse by key) and written. Under
pytest-xdist each worker hands its interactions to the controller through ``workeroutput``
and the controller writes the one file.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

FOUND = pytest.StashKey[list[dict[str, Any]]]()
OUTPUT_KEY = "moonkey_contract_interactions"


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--moonkey-contract FILE`` and ``--moonkey-contract-consumer NAME``."""
    group = parser.getgroup("moonkey-mock", "moonkey-mock (fake MoonKey API)")
    group.addoption(
        "--moonkey-contract",
        dest="moonkey_contract",
        default=None,
        metavar="FILE",
        help="write the calls the tests made to the fake as a Pact v4 contract",
    )
    group.addoption(
        "--moonkey-contract-consumer",
        dest="moonkey_contract_consumer",
        default=None,
        metavar="NAME",
        help="the consumer's name in that contract (default: the rootdir's name)",
    )


def _on(config: pytest.Config) -> bool:
    return bool(config.getoption("moonkey_contract", default=None))


def pytest_configure(config: pytest.Config) -> None:
    """Start collecting when a contract is asked for."""
    if _on(config):
        config.stash[FOUND] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    """Read the test's app before its fixture deletes it."""
    found = item.config.stash.get(FOUND, None)
    mock = getattr(item, "funcargs", {}).get("moonkey_mock")
    if found is not None and mock is not None:
        from contracts.record import interactions

        control = mock.control
        found.extend(interactions(control.requests(), control.outbox()))
    return (yield)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """Under xdist: take in what a worker found."""
    found = node.config.stash.get(FOUND, None)
    if found is not None:
        found.extend(getattr(node, "workeroutput", {}).get(OUTPUT_KEY, ()))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker hands its part over; the controller (or a plain run) writes the file."""
    config = session.config
    found = config.stash.get(FOUND, None)
    if found is None:
        return
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[OUTPUT_KEY] = found
        return
    from contracts.record import contract, write

    consumer = config.getoption("moonkey_contract_consumer") or config.rootpath.name
    path = config.invocation_params.dir / str(config.getoption("moonkey_contract"))
    document = contract(consumer, found)
    write(path, document)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        count = len(document["interactions"])
        reporter.write_line(f"moonkey-mock: wrote a contract of {count} interactions to {path}")
