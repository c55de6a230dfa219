"""The one error type of the tool: what went wrong and how to fix it, printed as one line."""


class PrepError(Exception):
    """An error the user can act on. `what` names the file (and line) and the problem; `fix` says what to do.

    Raised in worker processes too: the (what, fix) arguments make it picklable across the process pool."""

    def __init__(self, what: str, fix: str):
        super().__init__(what, fix)
        self.what = what
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.what} — {self.fix}"


def missing_package(name: str, purpose: str) -> PrepError:
    """The error for a Python package the node's environment lacks, naming the installer."""
    import os
    import sys

    script = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                                           "python_env.sh"))
    return PrepError(f"the Python package '{name}' ({purpose}) is not installed for {sys.executable}",
                     f"run this tool with the managed environment's python, prepared by: bash {script} ensure --for test")
