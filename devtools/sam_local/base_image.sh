#!/usr/bin/env bash
# An offline stand-in for public.ecr.aws/lambda/python:3.12 (no image registry is reachable here), so that
# `sam local invoke`, `start-lambda` and `start-api` run the functions: a debootstrapped Debian rootfs, the
# machine's CPython 3.12 (pyenv) as /var/lang, awslambdaric as /var/runtime/bootstrap's runtime, boto3, the
# /var/task and /opt layout and AWS's environment, imported and tagged with the names SAM looks for. SAM adds its
# Runtime Interface Emulator on top (its `-rapid-` image) by itself.
# Cached: the image carries a hash of its inputs (this script, runtime-requirements.txt, the Python build, the
# architecture) and is rebuilt only when that changes.
# Usage: base_image.sh ARCH (x86_64 | arm64: this machine's architecture; Python is copied, not emulated)
set -euo pipefail
arch=$1
here=$(cd "$(dirname "$0")" && pwd)
image=public.ecr.aws/lambda/python
case $arch in
    x86_64) debian_arch=amd64 wheel_platform=manylinux2014_x86_64 ;;
    arm64) debian_arch=arm64 wheel_platform=manylinux2014_aarch64 ;;
    *) echo "unknown Lambda architecture $arch" >&2; exit 2 ;;
esac

python_home=${LAMBDA_PYTHON_HOME:-$(ls -d "$HOME"/.pyenv/versions/3.12.* 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$python_home" ] || [ ! -x "$python_home/bin/python3.12" ]; then
    echo "no CPython 3.12 for the Lambda image: none under $HOME/.pyenv/versions/3.12.*;" \
        "install one (pyenv install 3.12) or set LAMBDA_PYTHON_HOME to its prefix" >&2
    exit 1
fi
python_build=$("$python_home/bin/python3.12" -c 'import platform, sys; print(sys.version, platform.machine())')
case "$python_build" in
    *"$(uname -m)") ;;
    *) echo "$python_home is not a $(uname -m) Python: $python_build" >&2; exit 1 ;;
esac
inputs_hash=$( { cat "$0" "$here/runtime-requirements.txt"; echo "$arch $python_home $python_build"; } |
    sha256sum | cut -c1-16)

if [ "$(docker image inspect --format '{{index .Config.Labels "library.inputs-hash"}}' "$image:3.12-$arch" 2>/dev/null)" = "$inputs_hash" ]; then
    echo "== Lambda base image $image:3.12-$arch is up to date (inputs $inputs_hash)"
    exit 0
fi
for tool in debootstrap chroot; do
    command -v $tool >/dev/null || { echo "no $tool: apt-get install debootstrap" >&2; exit 1; }
done

started=$SECONDS
rootfs=$(mktemp -d /var/tmp/lambda-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
# The libraries the pyenv build links against (ssl, ffi, sqlite, compression, curses, uuid, dbm) and CA roots.
debootstrap --arch="$debian_arch" --variant=minbase \
    --include=ca-certificates,libssl3,libffi8,libsqlite3-0,libbz2-1.0,liblzma5,zlib1g,libreadline8,libncursesw6,libuuid1,libgdbm6,libexpat1 \
    bookworm "$rootfs" >"$rootfs.debootstrap.log" 2>&1 ||
    { tail -n 20 "$rootfs.debootstrap.log" >&2; echo "debootstrap failed (log $rootfs.debootstrap.log)" >&2; exit 1; }
echo "== debootstrap: $((SECONDS - started)) s"

mkdir -p "$rootfs/var/lang" "$rootfs/var/runtime" "$rootfs/var/task" "$rootfs/opt"
# The interpreter and its standard library, without tests, headers, the static library or tools a function
# never uses.
tar -C "$python_home" -c --exclude=./lib/python3.12/test --exclude='./lib/python3.12/site-packages/*' \
    --exclude='./lib/python3.12/config-3.12-*' --exclude='*/__pycache__' --exclude=./lib/libpython3.12.a \
    --exclude=./share --exclude=./include --exclude=./lib/python3.12/idlelib --exclude=./lib/python3.12/tkinter \
    --exclude=./lib/python3.12/ensurepip --exclude='./bin/pip*' --exclude='./bin/idle*' . | tar -C "$rootfs/var/lang" -x
echo /var/lang/lib >"$rootfs/etc/ld.so.conf.d/var-lang.conf"
chroot "$rootfs" ldconfig
ln -sf python3.12 "$rootfs/var/lang/bin/python3"
ln -sf python3.12 "$rootfs/var/lang/bin/python"
"$python_home/bin/python3.12" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-compile \
    --target "$rootfs/var/runtime" --only-binary=:all: --implementation cp --python-version 3.12 \
    --platform "$wheel_platform" -r "$here/runtime-requirements.txt" 2>&1 | grep -v '^WARNING: Location' || true
test -d "$rootfs/var/runtime/awslambdaric" || { echo "awslambdaric did not install into the image" >&2; exit 1; }

cat >"$rootfs/var/runtime/bootstrap" <<'BOOTSTRAP'
#!/bin/sh
# What AWS's python3.12 image runs: the runtime interface client, on the handler named by the entry point, with
# Lambda's module search order: the function, then the layers (/opt/python), then the runtime's own packages.
export AWS_EXECUTION_ENV="${AWS_EXECUTION_ENV:-AWS_Lambda_python3.12}"
export PYTHONPATH="/var/task:/opt/python/lib/python3.12/site-packages:/opt/python:/var/runtime${PYTHONPATH:+:$PYTHONPATH}"
cd "${LAMBDA_TASK_ROOT:-/var/task}"
exec /var/lang/bin/python3.12 -m awslambdaric "${_HANDLER:-$AWS_LAMBDA_FUNCTION_HANDLER}"
BOOTSTRAP
cat >"$rootfs/lambda-entrypoint.sh" <<'ENTRYPOINT'
#!/bin/sh
[ $# -ne 1 ] && { echo "entrypoint requires the handler name to be the first argument" >&2; exit 142; }
export _HANDLER="$1"
if [ -z "${AWS_LAMBDA_RUNTIME_API}" ]; then
    exec /usr/local/bin/aws-lambda-rie /var/runtime/bootstrap
else
    exec /var/runtime/bootstrap
fi
ENTRYPOINT
chmod +x "$rootfs/var/runtime/bootstrap" "$rootfs/lambda-entrypoint.sh"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*

# Python finds its own packages first (/var/runtime, then the layer's /opt/python, like AWS's image).
tar -C "$rootfs" -c . | docker import --platform "linux/$debian_arch" \
    --change 'ENV LANG=C.UTF-8' --change 'ENV TZ=:/etc/localtime' \
    --change 'ENV PATH=/var/lang/bin:/usr/local/bin:/usr/bin:/bin:/opt/bin' \
    --change 'ENV LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib' \
    --change 'ENV LAMBDA_TASK_ROOT=/var/task' --change 'ENV LAMBDA_RUNTIME_DIR=/var/runtime' \
    --change "LABEL library.inputs-hash=$inputs_hash" \
    --change 'WORKDIR /var/task' --change 'ENTRYPOINT ["/lambda-entrypoint.sh"]' - "$image:3.12-$arch" >/dev/null
[ "$arch" = x86_64 ] && docker tag "$image:3.12-$arch" "$image:3.12"
# SAM builds its emulator images on top of the base (public.ecr.aws/...:3.12-rapid-*, and samcli/lambda-python:*
# with the layer) and may keep them: drop them so that they are rebuilt on the new base.
{ docker image ls --format '{{.Repository}}:{{.Tag}}' "$image" | grep -- '-rapid-'
  docker image ls --format '{{.Repository}}:{{.Tag}}' samcli/lambda-python; } | xargs -r docker rmi >/dev/null 2>&1 || true
rm -f "$rootfs.debootstrap.log"
echo "== Lambda base image $image:3.12-$arch built in $((SECONDS - started)) s" \
    "($(docker image inspect --format '{{.Size}}' "$image:3.12-$arch" | awk '{printf "%d MB", $1/1e6}'), inputs $inputs_hash)"
