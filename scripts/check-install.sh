#!/usr/bin/env bash
# `make install` into a temporary prefix, then the installed program as a user of another
# machine would have it: nothing of the Swift toolchain among its shared libraries (only
# Debian packages'), run with an empty environment from outside the repository, reading the
# label lists installed beside it, and shell completions that load.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT
fail() { echo "check-install: FAIL: $*" >&2; exit 1; }

make -s install PREFIX="$prefix" >/dev/null
program="$prefix/lib/mixer-convert/mixer-convert"
[ -L "$prefix/bin/mixer-convert" ] || fail "no bin/mixer-convert link"

libraries=$(ldd "$program" | awk '/=>/ {print $3}')
for library in $libraries; do
  case "$library" in */swift/*|/opt/*) fail "links $library from the toolchain";; esac
  dpkg -S "$(readlink -f "$library")" >/dev/null 2>&1 || dpkg -S "$library" >/dev/null 2>&1 \
    || fail "links $library, which no Debian package provides"
done

cp Tests/Fixtures/vit_tiny_token/params.npz "$work/vit.npz"
cp Tests/Fixtures/images/baseline444.jpg "$work/image.jpg"
cd "$work"
env -i "$prefix/bin/mixer-convert" info >/dev/null || fail "info with an empty environment"
env -i "$prefix/bin/mixer-convert" vit.npz vit.onnx --verify --quiet || fail "convert --verify with an empty environment"
env -i "$prefix/bin/mixer-convert" synth Mixer-S_32 mixer.npz --quiet
env -i "$prefix/bin/mixer-convert" mixer.npz mixer --quiet
# libhdf5 is not linked but loaded on first use: it must load for the installed program too.
env -i "$prefix/bin/mixer-convert" mixer.npz mixer.h5 --quiet || fail "convert to HDF5 with an empty environment"
# The installed label list, edited, must be what classify prints.
sed -i 's/\t.*/\tinstalled-label/' "$prefix/lib/mixer-convert/mixer-convert_Classification.resources/Labels/imagenet1k.tsv"
env -i "$prefix/bin/mixer-convert" classify mixer image.jpg --top 1 | grep -q installed-label \
  || fail "classify does not read the label list installed beside the program"
for shell in bash zsh fish; do
  case $shell in
    bash) file="$prefix/share/bash-completion/completions/mixer-convert"
          bash -c "source '$file' && complete -p mixer-convert" >/dev/null || fail "bash completion does not load" ;;
    zsh) file="$prefix/share/zsh/site-functions/_mixer-convert" ;;
    fish) file="$prefix/share/fish/vendor_completions.d/mixer-convert.fish" ;;
  esac
  grep -q "convert-all" "$file" || fail "$shell completion lacks convert-all"
done
echo "check-install: installed in a temporary prefix; runs with an empty environment; $(echo "$libraries" | wc -w) shared libraries, all from Debian packages"
