#!/bin/sh
# uthash_version.sh SOURCE_ROOT CC - configuring the project against a
# uthash.h older than 2.1, or one without UTHASH_VERSION, stops with a message
# naming the version; the same header saying 2.1.0 configures. Each case is a
# copy of the real header with only its version line changed, found first
# through -I.
set -eu
src=$1
# The uthash.h the compiler finds, from its dependency list.
real=$(printf '#include <uthash.h>\n' | "$2" -M -E -x c - | tr ' \\' '\n\n' | grep '/uthash\.h$' | head -1)
[ -r "$real" ] || { echo "uthash.h not found through $2"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cib-uthash.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0

# configure VERSION_LINE EXPECT: EXPECT is "ok" or a text the error must contain.
configure() {
    mkdir -p "$tmp/inc" && rm -rf "$tmp/build"
    sed "s|^#define UTHASH_VERSION .*|$1|" "$real" >"$tmp/inc/uthash.h"
    if meson setup "$tmp/build" "$src" -Dc_args="-I$tmp/inc" -Dtests=disabled \
        -Dreplay=disabled -Dsqlite=disabled >"$tmp/log" 2>&1; then
        result=ok
    else
        result=refused
    fi
    case $2 in
    ok)
        if [ $result != ok ]; then
            echo "not ok: '$1' was refused:"; tail -5 "$tmp/log"; status=1
        else
            echo "ok: '$1' configures"
        fi ;;
    *)
        if [ $result = ok ]; then
            echo "not ok: '$1' configured"; status=1
        elif ! grep -q "$2" "$tmp/log"; then
            echo "not ok: '$1' refused without '$2':"; tail -5 "$tmp/log"; status=1
        else
            echo "ok: '$1' refused naming '$2'"
        fi ;;
    esac
}

configure '#define UTHASH_VERSION 2.0.2' "uthash.h is version '2.0.2'"
configure '/* no version */' "uthash.h is version 'unknown'"
configure '#define UTHASH_VERSION 2.1.0' ok
exit $status
