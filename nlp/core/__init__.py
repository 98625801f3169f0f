"""Ground floor: errors, atomic file writes, process pools and memos every stage uses."""

__all__ = []
