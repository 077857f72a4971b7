#!/usr/bin/env bash
# Rotated backup (auditreg-backup.timer, nightly): a pg_dump of the database (custom format, for
# pg_restore) and a tar of the evidence and publication folders, named by date; dumps older than
# BACKUP_KEEP_DAYS days are removed. The weekly restore drill (auditreg-restore-drill.timer) proves
# a backup restores. Copy BACKUP_DIR off the server as the city's backup policy says.
set -euo pipefail
: "${DATABASE_URL:?DATABASE_URL is not set (EnvironmentFile=/etc/auditreg/auditreg.env)}"
dir=${BACKUP_DIR:-/var/backups/auditreg}
keep=${BACKUP_KEEP_DAYS:-14}
stamp=$(date +%Y%m%d-%H%M%S)
mkdir -p "$dir"
umask 077
pg_dump --format=custom --no-owner --dbname="$DATABASE_URL" --file="$dir/auditreg-$stamp.dump.part"
mv "$dir/auditreg-$stamp.dump.part" "$dir/auditreg-$stamp.dump"
folders=()
for f in "${EVIDENCE_ROOT:-}" "${PUBLICATION_ROOT:-}"; do
  [ -n "$f" ] && [ -d "$f" ] && folders+=("$f")
done
if [ ${#folders[@]} -gt 0 ]; then
  tar --create --gzip --file="$dir/auditreg-files-$stamp.tar.gz.part" "${folders[@]}" 2>/dev/null
  mv "$dir/auditreg-files-$stamp.tar.gz.part" "$dir/auditreg-files-$stamp.tar.gz"
fi
find "$dir" -maxdepth 1 -name 'auditreg-*' -mtime "+$keep" -print -delete
echo "backup: $dir/auditreg-$stamp.dump ($(du -h "$dir/auditreg-$stamp.dump" | cut -f1))"
