"""The README's service-container recipes: valid YAML whose fake settings the fake accepts.

The image itself is built and run by ``.ci/image-check``; here each recipe's ``moonkey``
service is checked against the image's own settings (the ``Containerfile``'s ``ENV``): every
``MOONKEY_MOCK_*`` variable is one ``serve`` knows, together they make a valid configuration,
and the names the app uses for the control API are ones the fake answers (decisions I1-I3).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from mock_server.config import MockConfig, env_warnings
from tests.api.test_control_container import image_env

ROOT = Path(__file__).resolve().parents[2]


def _recipes() -> list[dict[str, Any]]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### A service container", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) >= 2, "the section has a workflow and a compose file"
    return [yaml.safe_load(block) for block in blocks]


def _services() -> list[tuple[dict[str, Any], dict[str, str], dict[str, str]]]:
    """(the fake's service, its variables, the variables of whoever uses it), per recipe."""
    found = []
    for recipe in _recipes():
        services = recipe.get("services") or (recipe.get("jobs", {}).get("test") or {}).get(
            "services"
        )
        if not services:
            continue
        fake = services["moonkey"]
        fake_env = fake.get("env") or fake.get("environment") or {}
        if "app" in services:
            user_env = services["app"]["environment"]
        else:
            user_env = recipe["jobs"]["test"]["env"]
        found.append((fake, fake_env, user_env))
    return found


def test_the_readme_has_a_services_block_and_a_compose_file() -> None:
    recipes = _recipes()
    assert any("services" in (job or {}) for job in recipes[0]["jobs"].values())
    assert {"app", "moonkey", "redis"} <= set(recipes[-1]["services"])


def test_the_containerfile_sets_only_known_variables() -> None:
    env = image_env()
    assert env_warnings(env) == []
    assert MockConfig.from_env(env).control_enabled


@pytest.mark.parametrize("index", [0, 1], ids=["workflow", "compose"])
def test_each_recipe_configures_a_valid_fake_its_user_can_reach(index: int) -> None:
    fake, fake_env, user_env = _services()[index]
    assert "moonkey-mock" in fake["image"]
    env = {**image_env(), **{k: str(v) for k, v in fake_env.items()}}
    assert env_warnings(env) == []
    config = MockConfig.from_env(env)
    assert config.control_enabled
    # The key the app is given is the fake's.
    assert user_env["MOONKEY_SECRET_KEY"] == config.secret_key
    # The name the plugin uses for the control API is one the fake answers.
    plugin_url = urlsplit(user_env["MOONKEY_MOCK_URL"])
    assert config.host_allowed(plugin_url.netloc), plugin_url.netloc
    assert plugin_url.port == config.port
