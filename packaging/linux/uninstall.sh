#!/bin/sh
# Remove Spyglass as installed by install.sh: exactly the files and folders listed in
# ~/.local/opt/spyglass/install-manifest.txt. Your index and settings are kept; they live in
# ~/.local/share/spyglass and ~/.config/spyglass (delete those yourself to forget everything).
set -eu

: "${HOME:?HOME is not set}"
quiet=no
[ "${1:-}" = "--quiet" ] && quiet=yes
opt=$HOME/.local/opt/spyglass
manifest=$opt/install-manifest.txt
[ -f "$manifest" ] || { echo "uninstall.sh: no installation found ($manifest is missing)" >&2; exit 1; }

saved=$(mktemp)
trap 'rm -f "$saved"' EXIT
cp "$manifest" "$saved"

# files and links first, then the program folder
while IFS=' ' read -r kind path; do
    case $kind in
        file) rm -f "$path" ;;
        link)  # only if it still points at the program (not replaced since)
            if [ "$(readlink "$path" 2>/dev/null || true)" = "$opt/spyglass" ]; then
                rm -f "$path"
            fi ;;
        tree) rm -rf "$path" ;;
    esac
done < "$saved"

# refresh the caches that were there before install (those it created are already gone)
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
apps=$(sed -n 's|^file \(.*\)/spyglass\.desktop$|\1|p' "$saved")
icons=$(sed -n 's|^file \(.*\)/scalable/apps/spyglass\.svg$|\1|p' "$saved")
if [ -n "$apps" ] && [ -e "$apps/mimeinfo.cache" ] && command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$apps" >/dev/null 2>&1 || true
fi
if [ -n "$icons" ] && [ -e "$icons/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t -f "$icons" >/dev/null 2>&1 || true
fi

# folders install created, innermost first, where they are empty now
grep '^dir ' "$saved" | cut -d' ' -f2- | sort -r | while IFS= read -r d; do
    rmdir "$d" 2>/dev/null || true
done

[ "$quiet" = yes ] || echo "Spyglass removed (index and settings kept in $data_home/spyglass and ~/.config/spyglass)"
