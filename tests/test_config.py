"""Rendering the templates of ``x-composeswap``: ``{service}`` and ``{target}`` are filled in,
anything else is left as written (``${VAR}`` is Compose's, ``{other}`` a typo to report)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from composeswap import config

# The rule as one substitution, which config.render must agree with on every template.
PLACEHOLDER = re.compile(r"(?<!\$)\{([^{}]*)\}")

templates = st.lists(
    st.sampled_from(["{", "}", "$", "service", "target", "other", "/", ":", "-", "x"]), max_size=16
).map("".join)


@given(template=templates, service=st.sampled_from(["api", "{target}", "$x"]))
def test_a_template_is_rendered_as_substituting_its_placeholders(
    template: str, service: str
) -> None:
    values = {"service": service, "target": "dev"}
    expected = PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
    assert config.render(template, service, "dev") == expected


def test_the_default_templates_are_rendered() -> None:
    assert config.render(config.DEFAULTS["image"], "api", "dev") == (
        "${DOCKER_REGISTRY}/api:${IMAGE_TAG}-dev"
    )
    assert config.render("./{service}/{other}", "api", "dev") == "./api/{other}"
