"""Which registry an image reference pulls from, by the container runtimes' rules."""

__all__ = ["registry_of"]

DEFAULT_REGISTRY = "docker.io"


def registry_of(image: str) -> str:
    """`nginx:1.27` -> docker.io; `registry.k8s.io/pause:3.9` -> registry.k8s.io.

    The first path segment names a registry only when it looks like a host
    (has a dot or a port, or is localhost), as in the distribution reference grammar.
    """
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return DEFAULT_REGISTRY
