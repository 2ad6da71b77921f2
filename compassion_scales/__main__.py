"""Allow ``python -m compassion_scales``."""

from compassion_scales.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
