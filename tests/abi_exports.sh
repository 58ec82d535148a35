#!/bin/sh
# abi_exports.sh LIB HEADER... - the shared library exports exactly the
# functions the public headers declare with CIB_API, all in the CONVINBOX_0
# version node, and nothing else.
set -eu
lib=$1
shift
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" {print $3}' | sort)
declared=$(grep -hv '^ *#' "$@" | tr '\n' ' ' | grep -o 'CIB_API[^(;]*(' | sed 's/($//; s/.*[ *]//' | sort -u)
status=0
for sym in $exported; do
    case $sym in
    cib_*@@CONVINBOX_0) ;;
    *) echo "exported but not a versioned cib_ symbol: $sym"; status=1 ;;
    esac
done
names=$(printf '%s\n' $exported | sed 's/@@.*//' | sort)
if [ "$names" != "$declared" ]; then
    echo "exports and declarations differ:"
    printf '%s\n' "$names" >/tmp/abi_exported.$$
    printf '%s\n' "$declared" >/tmp/abi_declared.$$
    diff /tmp/abi_exported.$$ /tmp/abi_declared.$$ || true
    rm -f /tmp/abi_exported.$$ /tmp/abi_declared.$$
    status=1
fi
[ -n "$declared" ] || { echo "no CIB_API declarations found"; status=1; }
exit $status
