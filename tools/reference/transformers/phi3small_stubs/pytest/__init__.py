"""Stand-in for pytest: the remote code decorates its own unit tests with pytest.mark; they are not run here."""
from triton import _Inert

mark = _Inert()
