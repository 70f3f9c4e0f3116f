"""Chat formats (presets + custom YAML), loss-masking modes and the masking recommendation."""

from ift_data.chat.format import ChatFormat, FormatError, FormattedExample, Piece, RoleMarkup, format_example
from ift_data.chat.masking import DEFAULT_MASK_MODE, MASK_MODES, apply_mask, label_pieces
from ift_data.chat.registry import PRESETS, get_chat_format

__all__ = [
    "DEFAULT_MASK_MODE",
    "MASK_MODES",
    "PRESETS",
    "ChatFormat",
    "FormatError",
    "FormattedExample",
    "Piece",
    "RoleMarkup",
    "apply_mask",
    "format_example",
    "get_chat_format",
    "label_pieces",
]
