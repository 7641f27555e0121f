"""Generates the Python gRPC stubs of the CityTwin API from the repository's .proto files.

Nothing generated is kept in the repository. `ensure_stubs()` (called when `citytwin_client` is
imported) compiles

    proto/citytwin/v1/twin.proto       -> citytwin/v1/twin_pb2.py, twin_pb2_grpc.py
    proto/citytwin/v1/analytics.proto, forecast.proto, audit.proto -> likewise
    proto/grpc/health/v1/health.proto  -> citytwin_grpc_health/v1/health_pb2.py, health_pb2_grpc.py

with Debian's python3-grpc-tools (`python3 -m grpc_tools.protoc`) into a cache directory and puts
that directory on sys.path. The health proto is compiled from a copy placed under
`citytwin_grpc_health/`, because a module path starting with `grpc.` would be looked up inside the
installed `grpc` package; the wire names (package grpc.health.v1) are unchanged.

The cache directory is named after a digest of the .proto files' contents and of the protoc and
protobuf versions, so editing a .proto (or upgrading the toolchain) leads to a fresh generation; a
directory is only ever published complete (generated aside, then renamed into place), so processes
starting at the same time do not see half-written stubs.

Where things are (environment variables override the defaults):
    CITYTWIN_PROTO_DIR  the directory holding citytwin/v1/twin.proto (default: the repository's
                        proto/ directory, found relative to this file)
    CITYTWIN_STUB_DIR   where to generate; used as is, regenerated when its stamp does not match
                        (default: $XDG_CACHE_HOME/citytwin/python-stubs/<digest>, falling back to
                        the temporary directory when the cache is not writable)

Run it by hand to pre-generate (e.g. for a read-only deployment) and print the directory:
    /usr/bin/python3 -m citytwin_client.generate [--out DIR] [--proto-dir DIR] [--force]
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

TWIN_PROTO = "citytwin/v1/twin.proto"
# Every citytwin.v1 file the client exposes; twin.proto first (the others import it).
CITYTWIN_PROTOS = (TWIN_PROTO, "citytwin/v1/analytics.proto", "citytwin/v1/forecast.proto",
                   "citytwin/v1/audit.proto")
HEALTH_PROTO = "grpc/health/v1/health.proto"
# Where the copy of health.proto goes inside the generation tree (see the module docstring).
HEALTH_STAGED = "citytwin_grpc_health/v1/health.proto"
STAMP = ".citytwin-stubs"
# Modules the generation must produce; also what is imported afterwards.
GENERATED_MODULES = tuple(
    proto[:-len(".proto")] + suffix for proto in CITYTWIN_PROTOS for suffix in ("_pb2.py", "_pb2_grpc.py")) + (
    "citytwin_grpc_health/v1/health_pb2.py",
    "citytwin_grpc_health/v1/health_pb2_grpc.py",
)


class StubGenerationError(RuntimeError):
    """The stubs could not be generated; the message says why and what to install."""


def find_proto_dir():
    """The directory holding citytwin/v1/twin.proto and grpc/health/v1/health.proto."""
    configured = os.environ.get("CITYTWIN_PROTO_DIR")
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [configured] if configured else [os.path.join(here, "..", "..", "..", "proto")]
    for candidate in candidates:
        candidate = os.path.normpath(candidate)
        if os.path.isfile(os.path.join(candidate, TWIN_PROTO)):
            for needed in CITYTWIN_PROTOS + (HEALTH_PROTO,):
                if not os.path.isfile(os.path.join(candidate, needed)):
                    raise StubGenerationError(f"{candidate}: has {TWIN_PROTO} but not {needed}")
            return candidate
    raise StubGenerationError(
        f"cannot find {TWIN_PROTO} (looked in {', '.join(os.path.normpath(c) for c in candidates)}); "
        "set CITYTWIN_PROTO_DIR to the repository's proto/ directory")


def _grpc_tools_dir():
    """grpc_tools' directory, found without importing it (its protoc module is slow to import)."""
    import importlib.util
    spec = importlib.util.find_spec("grpc_tools")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        if os.path.isfile(os.path.join(location, "protoc.py")):
            return location
    raise StubGenerationError(
        "no grpc_tools.protoc: the stubs are generated with grpc_tools; install Debian's python3-grpc-tools "
        f"(apt-get install python3-grpc-tools) and run this with /usr/bin/python3 (this is {sys.executable})")


def _include_dirs(tools_dir):
    """Where google/protobuf/wrappers.proto is: grpc_tools' bundled copy, else libprotobuf-dev's."""
    for candidate in (os.path.join(tools_dir, "_proto"), "/usr/include", "/usr/local/include"):
        if os.path.isfile(os.path.join(candidate, "google", "protobuf", "wrappers.proto")):
            return [candidate]
    return []


def _toolchain_version(tools_dir):
    parts = [tools_dir]
    try:
        from importlib import metadata
        parts.append("grpcio-tools " + metadata.version("grpcio-tools"))
    except Exception:  # noqa: BLE001 - the version is only part of a cache key
        pass
    try:
        import google.protobuf
        parts.append("protobuf " + google.protobuf.__version__)
    except ImportError:
        pass
    return "; ".join(parts)


def stub_key(proto_dir=None):
    """Digest of everything the generated code depends on: the .proto files and the toolchain."""
    proto_dir = proto_dir or find_proto_dir()
    digest = hashlib.sha256()
    digest.update(_toolchain_version(_grpc_tools_dir()).encode())
    digest.update(sys.version.split()[0].encode())
    for name in CITYTWIN_PROTOS + (HEALTH_PROTO,):
        digest.update(b"\0" + name.encode() + b"\0")
        with open(os.path.join(proto_dir, name), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()[:20]


def default_cache_root():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "citytwin", "python-stubs")


def _writable_root(root):
    try:
        os.makedirs(root, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=".probe-", dir=root)
        os.rmdir(probe)
        return root
    except OSError:
        fallback = os.path.join(tempfile.gettempdir(), f"citytwin-python-stubs-{os.getuid()}")
        os.makedirs(fallback, mode=0o700, exist_ok=True)
        return fallback


def _is_complete(directory, key):
    try:
        with open(os.path.join(directory, STAMP), encoding="utf-8") as f:
            if f.read().strip() != key:
                return False
    except OSError:
        return False
    return all(os.path.isfile(os.path.join(directory, m)) for m in GENERATED_MODULES)


def _compile(proto_dir, out_dir, key):
    """Runs protoc into out_dir (which must exist and be empty) and writes the stamp last."""
    tools_dir = _grpc_tools_dir()
    source = os.path.join(out_dir, "_proto")
    os.makedirs(os.path.join(source, os.path.dirname(TWIN_PROTO)))
    os.makedirs(os.path.join(source, os.path.dirname(HEALTH_STAGED)))
    for proto in CITYTWIN_PROTOS:
        shutil.copyfile(os.path.join(proto_dir, proto), os.path.join(source, proto))
    shutil.copyfile(os.path.join(proto_dir, HEALTH_PROTO), os.path.join(source, HEALTH_STAGED))
    command = [sys.executable, "-m", "grpc_tools.protoc", "-I", source]
    for include in _include_dirs(tools_dir):
        command += ["-I", include]
    command += [f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", *CITYTWIN_PROTOS, HEALTH_STAGED]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise StubGenerationError(
            f"protoc failed (exit {result.returncode}) compiling {', '.join(CITYTWIN_PROTOS)} and {HEALTH_PROTO} "
            f"from {proto_dir}:\n"
            f"{result.stderr.strip() or result.stdout.strip()}\ncommand: {' '.join(command)}")
    shutil.rmtree(source)
    # Regular packages (protoc 3.5 writes none), so no other directory on sys.path can merge in.
    for module in GENERATED_MODULES:
        package = os.path.dirname(module)
        while package:
            open(os.path.join(out_dir, package, "__init__.py"), "a", encoding="utf-8").close()
            package = os.path.dirname(package)
    missing = [m for m in GENERATED_MODULES if not os.path.isfile(os.path.join(out_dir, m))]
    if missing:
        raise StubGenerationError(f"protoc did not produce {', '.join(missing)} in {out_dir}")
    with open(os.path.join(out_dir, STAMP), "w", encoding="utf-8") as f:
        f.write(key + "\n")


def ensure_stubs(out_dir=None, proto_dir=None, force=False):
    """Generates the stubs unless an up-to-date copy exists; returns the directory holding them.

    out_dir: generate exactly there (default: $CITYTWIN_STUB_DIR, else a cache directory named
    after the digest of the inputs). proto_dir: default find_proto_dir().
    """
    proto_dir = proto_dir or find_proto_dir()
    key = stub_key(proto_dir)
    out_dir = out_dir or os.environ.get("CITYTWIN_STUB_DIR")
    if out_dir:
        out_dir = os.path.abspath(out_dir)
        target = out_dir
    else:
        target = os.path.join(_writable_root(default_cache_root()), key)
    if not force and _is_complete(target, key):
        return target
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".generating-", dir=parent)
    try:
        _compile(proto_dir, staging, key)
        # Publish: move the complete tree into place. Another process may have won the race; its
        # copy is just as good. An outdated or broken copy is moved aside first.
        if os.path.exists(target):
            if not force and _is_complete(target, key):
                return target
            old = tempfile.mkdtemp(prefix=".old-", dir=parent)
            try:
                os.rename(target, os.path.join(old, "stubs"))
            except FileNotFoundError:
                pass
            shutil.rmtree(old, ignore_errors=True)
        try:
            os.rename(staging, target)
        except OSError:
            if not _is_complete(target, key):
                raise
        return target
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Generate the CityTwin Python gRPC stubs; prints their directory.")
    parser.add_argument("--out", help="directory to generate into (default: $CITYTWIN_STUB_DIR or the cache)")
    parser.add_argument("--proto-dir", help="directory holding citytwin/v1/twin.proto (default: the repository's proto/)")
    parser.add_argument("--force", action="store_true", help="regenerate even when up to date")
    args = parser.parse_args(argv)
    try:
        print(ensure_stubs(args.out, args.proto_dir, args.force))
    except (StubGenerationError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
