"""Every helper a test module imports. Test modules import from here, never from each other or
from a conftest (which holds fixtures and hooks only), and never from benchmarks/."""
