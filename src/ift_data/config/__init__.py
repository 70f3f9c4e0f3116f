"""The config layer: one safe YAML loader and one validator, used by every config file reader."""

from ift_data.config.brief import brief, one_line
from ift_data.config.validate import Section, kind
from ift_data.config.yaml_loader import (
    YamlList,
    YamlMap,
    line_of,
    load_yaml,
    load_yaml_hashed,
    parse_yaml,
    plain,
    read_text,
)

__all__ = ["Section", "YamlList", "YamlMap", "brief", "kind", "line_of", "load_yaml", "load_yaml_hashed", "one_line",
           "parse_yaml", "plain", "read_text"]
