"""Paper figures: each module exposes ``make(out_dir, quick=False) -> list[pathlib.Path]`` (registry pending)."""
